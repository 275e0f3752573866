"""Running writers in threads beside writer processes, for the durable stores' concurrency tests."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable


def run_writers(write: Callable[[int], None], children: list[subprocess.Popen], threads: int = 4) -> list[BaseException]:
    """Run write(0..threads-1) in threads while the child processes run; return the errors the threads raised.

    Asserts that every child process exited cleanly.
    """
    errors: list[BaseException] = []

    def guarded(k: int) -> None:
        try:
            write(k)
        except BaseException as e:  # surfaced to the caller, not lost in the thread
            errors.append(e)

    workers = [threading.Thread(target=guarded, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for c in children:
        _, err = c.communicate(timeout=60)
        assert c.returncode == 0, err.decode() if isinstance(err, bytes) else err
    return errors
