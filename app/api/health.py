"""Liveness and readiness probes."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    catalogue_revision: int | None


@router.get("/healthz", summary="Liveness")
async def healthz() -> Health:
    """The process is up and answering."""
    return Health(status="ok")


@router.get("/readyz", summary="Readiness", responses={503: {"model": Readiness, "description": "Not ready."}})
def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and the catalogue snapshot is loaded; 503 otherwise."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        database = "unreachable"
    snapshot = request.app.state.catalogue_store.loaded
    ready = database == "ok" and snapshot is not None
    body = Readiness(
        status="ready" if ready else "not_ready",
        database=database,
        catalogue_revision=snapshot.revision if snapshot else None,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
