"""The /v1 API: every versioned route module, included once."""

from fastapi import APIRouter

from app.api import catalogue, plans, templates
from app.api.responses import problems

api_router = APIRouter(prefix="/v1", responses=problems(429, 500))
api_router.include_router(catalogue.router)
api_router.include_router(catalogue.writes)
api_router.include_router(plans.router)
api_router.include_router(templates.router)
