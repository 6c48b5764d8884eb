"""Runtime settings, read from the environment (prefix CEPLAN_) and an optional .env file."""

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CEPLAN_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./ceplan.db",
        description="SQLAlchemy URL. SQLite (the default) needs no set-up; PostgreSQL is the production database.",
    )
    auto_migrate: bool | None = Field(
        default=None,
        description="Migrate and seed at start. Unset means: yes for SQLite, no for PostgreSQL.",
    )
    seed_dir: str = Field(default="seed", description="Folder of the seed YAML files.")
    log_level: str = "INFO"
    access_log: bool = Field(
        default=False,
        description="Log every request (uvicorn's access log). Off by default: /metrics counts requests, and a "
        "log line per request costs about a third of the cheapest request's time.",
    )

    snapshot_check_seconds: float = Field(
        default=1.0, gt=0, description="How often each worker checks the database for a newer catalogue."
    )
    max_body_bytes: int = Field(default=1_048_576, gt=0, description="Larger request bodies get 413.")
    max_batch_answer_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="The most the plans of one POST /v1/plans/batch answer may take; past it the batch gets 422 "
        "`batch_answer_too_large`, asking for fewer requests. A worker holds the whole answer in memory while it "
        "sends it: 100 typical plans are about 4 MB, a quarter of the default.",
    )
    key_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long a worker trusts a key that authenticated, without asking the database again; a revoked "
        "key stops working within this time. 0 asks the database on every request.",
    )
    auth_failures_per_minute: int = Field(
        default=10, gt=0, description="Failed API-key attempts a client may make per minute before 429."
    )
    rate_limit_storage: str = Field(
        default="memory://", description="Where failed attempts are counted: memory:// or redis://host:port."
    )
    cors_origins: list[str] = Field(
        default=[], description='Origins allowed to call from a browser, as JSON: ["https://app.example"].'
    )
    require_api_key: bool = Field(
        default=False, description="Require an API key for reads and plans too (writes always need one)."
    )
    require_screening: bool = Field(
        default=False,
        description="Refuse (422) a plan request without a `screening` block, instead of planning with a notice "
        "that nothing was screened.",
    )

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_driver(cls, url: str) -> str:
        # A bare postgresql:// URL would pick psycopg2, which we do not ship.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate


@lru_cache
def get_settings() -> Settings:
    return Settings()
