"""A throwaway PostgreSQL server for the tests: Debian's binaries, a cluster initialised in a temporary directory.

``initdb`` and ``postgres`` refuse to run as root, and CI runs as root: there the server runs as the ``postgres``
user the Debian package creates, in a directory handed to it. As any other user it runs as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

# Throwaway data: durability settings off, so creating a database per test costs milliseconds.
FAST = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed here."""


def bin_dir() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<version>/bin)."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresMissing("PostgreSQL is not installed (apt-get install postgresql)")


@dataclass
class PostgresServer:
    """A running cluster; ``url(db)`` names one of its databases, ``create_database`` makes a fresh one."""

    port: int
    directory: Path
    proc: subprocess.Popen
    superuser: str
    _created: int = field(default=0)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{db}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        self._created += 1
        name = f"t{os.getpid()}_{self._created}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def in_ci() -> bool:
    """Whether this is a CI run (CI=true), where every test must run."""
    return os.environ.get("CI", "").strip().lower() == "true"


def start_or_skip(port: int, ci: bool | None = None) -> PostgresServer:
    """start(port); without the binaries the calling test is skipped, or failed in CI, where `.ci/run` installs
    them, so a broken install can never pass the run with the PostgreSQL tests unrun."""
    try:
        return start(port)
    except PostgresMissing as e:
        if in_ci() if ci is None else ci:
            pytest.fail(f"{e}; CI must run the PostgreSQL tests (.ci/run installs postgresql)")
        pytest.skip(f"{e}; PostgreSQL store rows skipped")


def _run_as() -> tuple[dict, str]:
    """Popen arguments that drop root to the postgres user, and the database superuser's name."""
    if os.geteuid() != 0:
        return {}, pwd.getpwuid(os.geteuid()).pw_name
    try:
        pg = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresMissing("running as root and there is no postgres user to run the server as") from None
    return {"user": pg.pw_uid, "group": pg.pw_gid, "extra_groups": []}, "postgres"


def start(port: int) -> PostgresServer:
    """initdb into a fresh temporary directory and start postgres on 127.0.0.1:port (socket in the same directory)."""
    binaries = bin_dir()
    as_user, superuser = _run_as()
    # Dropped to the postgres user, the server must reach its directory: /tmp, not a root-only $TMPDIR.
    directory = Path(tempfile.mkdtemp(prefix="assistant-pg-", dir="/tmp" if as_user else None))
    if as_user:
        os.chown(directory, as_user["user"], as_user["group"])
    data = directory / "data"
    init = subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "-U", superuser, "--auth=trust", "--encoding=UTF8",
         "--locale=C", "--no-sync"],
        cwd=directory, capture_output=True, text=True, timeout=120, **as_user,
    )
    if init.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr[-2000:]}")
    log = open(directory / "postgres.log", "wb")
    proc = subprocess.Popen(
        [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
         "-k", str(directory), *FAST],
        cwd=directory, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **as_user,
    )
    log.close()
    server = PostgresServer(port, directory, proc, superuser)
    deadline = time.monotonic() + 60
    while True:
        try:
            psycopg.connect(server.url(), connect_timeout=2).close()
            return server
        except psycopg.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (directory / "postgres.log").read_text(errors="replace")[-2000:]
                server.stop()
                raise RuntimeError(f"postgres on port {port} did not start (exit {proc.poll()}): {tail}") from None
            time.sleep(0.1)
