"""Liveness and readiness probes."""

from fastapi import APIRouter

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}
