"""The /v1 API: every versioned route module, included once."""

from fastapi import APIRouter

from app.api import catalogue, plans, templates

api_router = APIRouter(prefix="/v1")
api_router.include_router(catalogue.router)
api_router.include_router(plans.router)
api_router.include_router(templates.router)
