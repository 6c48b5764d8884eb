"""The ASGI application: create_app() wires settings, database, snapshot, routes and error handlers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api import health
from app.api.errors import install_error_handlers
from app.api.router import api_router
from app.config import Settings, get_settings
from app.db.engine import make_engine
from app.services.setup import prepare_database
from app.services.snapshot import CatalogueStore


def _operation_id(route: APIRoute) -> str:
    # Stable operationIds (the handler's name) keep generated clients and the committed spec stable.
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        if settings.should_auto_migrate:
            prepare_database(settings.database_url, Path(settings.seed_dir))
        app.state.engine = engine
        app.state.settings = settings
        app.state.catalogue_store = CatalogueStore(engine)
        app.state.catalogue_store.refresh(force=True)
        yield
        engine.dispose()

    app = FastAPI(
        title="ceplan",
        version="1.0.0",
        summary="Corrective-exercise plans from movement assessments.",
        description=(
            "Send the results of a movement assessment (an overhead squat where the knees cave in, say); get "
            "back a four-phase corrective plan (Inhibit, Lengthen, Activate, Integrate) that a trainer can hand "
            "to a client. Corrective exercise is not physical therapy: pain, injury or recent surgery gets a "
            "referral, not a plan."
        ),
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(api_router)
    return app


app = create_app()
