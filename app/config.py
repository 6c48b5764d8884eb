"""Runtime settings, read from the environment (prefix CEPLAN_) and an optional .env file."""

import ipaddress
from functools import lru_cache

import limits
from pydantic import Field, HttpUrl, SecretStr, field_validator
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

    # What one tenant may store (a write past a quota gets 403 quota_exceeded), and how many tenants' snapshots a
    # worker keeps built.
    max_templates_per_tenant: int = Field(default=200, gt=0, description="Plan templates one tenant may create.")
    max_versions_per_template: int = Field(default=500, gt=0, description="Versions one plan template may have.")
    max_exercises_per_tenant: int = Field(default=500, gt=0, description="Exercises of its own one tenant may add.")
    tenant_views: int = Field(
        default=16,
        gt=0,
        description="Tenants' catalogue snapshots a worker keeps built (the shared one is always kept); a tenant "
        "whose snapshot was dropped gets it built again, in about a millisecond, on its next request.",
    )
    # What one client may hold of a worker (`ceplan serve` passes these to uvicorn and to app.server's protocol),
    # who may read /metrics, and the address redirects name.
    keep_alive_seconds: int = Field(
        default=5,
        gt=0,
        description="A connection with no request in flight and nothing arriving is closed after this long.",
    )
    head_timeout_seconds: int = Field(
        default=10,
        gt=0,
        description="A request's line and headers must have arrived this long after the server began waiting for "
        "them; else 408 and the connection is closed (a client trickling its headers holds nothing for long).",
    )
    body_timeout_seconds: int = Field(
        default=10,
        gt=0,
        description="A request body of which nothing arrives for this long gets 408 and the connection is closed.",
    )
    max_connections: int = Field(
        default=1000,
        gt=0,
        description="Open connections per worker; one more is answered 503 and closed at once. Keep the "
        "descriptor limit (ulimit -n) above it.",
    )
    max_header_bytes: int = Field(
        # The longest valid request line (every query parameter at its documented maximum, percent-encoded) is
        # about 41 KB: the head limit must let every valid request through, and still refuses a megabyte key.
        default=65_536,
        ge=1024,
        description="Largest request line plus headers; a larger one gets 431 and the connection is closed.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, GET /metrics needs `Authorization: Bearer <token>`. When unset, /metrics is open, "
        "unless CEPLAN_REQUIRE_API_KEY is set: then it is refused (403) until a token is set.",
    )
    public_url: HttpUrl | None = Field(
        default=None,
        description="The address clients use (https://plans.example); trailing-slash redirects point there. "
        "Unset, they carry a relative Location. The Host header is never used.",
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

    # Limits on who may call how often (app.api.ratelimit).
    trusted_proxies: list[str] = Field(
        default=[],
        description='Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, as JSON: ["10.0.0.5", '
        '"10.1.0.0/16"]. Empty (the default): nobody\'s, so a client cannot pick the address it is limited as.',
    )
    plan_rate: str | None = Field(
        default=None,
        description='Plan budget per API key (per client address without one), e.g. "600/minute"; a batch spends '
        "one per plan in it, an analysis one. Unset: unlimited.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            if proxy != "*":
                ipaddress.ip_network(proxy, strict=False)  # a typo fails at start, not silently trusts nobody
        return proxies

    @field_validator("plan_rate")
    @classmethod
    def _a_rate(cls, rate: str | None) -> str | None:
        if rate is not None:
            limits.parse(rate)  # "600/minute", "10/second", ...: a ValueError names what is wrong
        return rate


@lru_cache
def get_settings() -> Settings:
    return Settings()
