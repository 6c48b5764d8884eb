"""The ASGI application: create_app() wires settings, database, snapshot, routes, middleware and errors."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from app.api.auth import KnownKeys
from app.api.caching import NotModified, not_modified_handler
from app.api.errors import UnexpectedErrors, install_error_handlers
from app.api.metrics import install_metrics
from app.api.middleware import RequestBodyRules, SecurityHeaders, install_slash_redirects
from app.api.ratelimit import AuthFailureLimiter, PlanBudget
from app.api.router import include_routes
from app.config import Settings, get_settings
from app.db.engine import make_engine
from app.logs import configure_logging
from app.runtime import limit_malloc_arenas
from app.services.setup import prepare_database
from app.services.snapshot import CatalogueStore

PROBLEM_SCHEMA = "#/components/schemas/Problem"
KEY_SCHEMES: tuple[dict[str, list[str]], ...] = (
    {"HTTPBearer": []},
    {"APIKeyHeader": []},
)  # the security schemes of app.api.auth
DESCRIPTION = (
    "Send the results of a movement assessment (an overhead squat where the knees cave in, say); get back a "
    "four-phase corrective plan (Inhibit, Lengthen, Activate, Integrate) that a trainer can hand to a client. "
    "Corrective exercise is not physical therapy: pain, injury or recent surgery gets a referral, not a plan.\n\n"
    "Every error is `application/problem+json` (RFC 9457) with a stable `code`. Reads and plans are open; "
    "writes need an API key (`Authorization: Bearer <key>` or `X-API-Key`)."
)


def _operation_id(route: APIRoute) -> str:
    # Stable operationIds (the handler's name) keep generated clients and the committed spec stable.
    return route.name


def _needs_key(method: str, path: str) -> bool:
    """Writes always need an API key; reads, analyses and plans only when CEPLAN_REQUIRE_API_KEY is set."""
    open_posts = ("/v1/plans", "/v1/plans/batch", "/v1/analyses")
    return method in ("put", "patch", "delete") or (method == "post" and path not in open_posts)


def _problem_validation_errors(app: FastAPI) -> None:
    """FastAPI documents its own 422 body; ours is problem+json. Make the spec say what the API does."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = default_openapi()
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                response = operation.get("responses", {}).get("422")
                if response and "application/json" in response.get("content", {}):
                    response["description"] = "The request is not valid: the problem names the fields at fault."
                    response["content"] = {"application/problem+json": {"schema": {"$ref": PROBLEM_SCHEMA}}}
        for path, operations in spec.get("paths", {}).items():
            for method, operation in operations.items():
                if path.startswith("/v1"):
                    # Every /v1 operation takes a key (plans and reads read it without a security dependency);
                    # where it is optional, it only adds the caller's own templates and exercises.
                    operation["security"] = [*KEY_SCHEMES, *([] if _needs_key(method, path) else [{}])]
        for unused in ("HTTPValidationError", "ValidationError"):
            spec.get("components", {}).get("schemas", {}).pop(unused, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, access_log=settings.access_log)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_malloc_arenas()  # before the first worker thread starts
        engine = make_engine(settings.database_url)
        if settings.should_auto_migrate:
            prepare_database(settings.database_url, Path(settings.seed_dir))
        app.state.engine = engine
        app.state.settings = settings
        store = CatalogueStore(engine, settings.snapshot_check_seconds, settings.tenant_views)
        store.refresh(force=True)
        # The snapshot lives as long as the process: keep the garbage collector from walking it again and again.
        gc.freeze()
        store.start_watching()
        app.state.catalogue_store = store
        app.state.auth_limiter = AuthFailureLimiter(settings.auth_failures_per_minute, settings.rate_limit_storage)
        app.state.plan_budget = (
            PlanBudget(settings.plan_rate, settings.rate_limit_storage) if settings.plan_rate else None
        )
        app.state.known_keys = KnownKeys(settings.key_cache_seconds)
        yield
        store.stop_watching()
        engine.dispose()

    app = FastAPIOffline(
        title="ceplan",
        version="1.0.0",
        summary="Corrective-exercise plans from movement assessments.",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    install_error_handlers(app)
    app.add_exception_handler(NotModified, not_modified_handler)
    # Middleware added later wraps what was added before: the request id and security headers wrap everything.
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(RequestBodyRules, max_bytes=settings.max_body_bytes)
    install_metrics(app, settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            # Browsers hide other response headers from scripts: a web client needs these to back off in time.
            expose_headers=[
                "ETag",
                "X-Request-ID",
                "X-Catalogue-Version",
                "Retry-After",
                "RateLimit",
                "RateLimit-Policy",
            ],
        )
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    app.add_middleware(SecurityHeaders)
    include_routes(app)
    install_slash_redirects(app, settings.public_url)
    _problem_validation_errors(app)
    return app


app = create_app()
