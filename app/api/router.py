"""The /v1 API: every versioned route module, included once."""

from fastapi import FastAPI

from app.api import catalogue, health, plans, templates
from app.api.responses import problems

V1 = "/v1"
# Each module's routes go straight into the app under /v1 (not through a /v1 router of routers), the most requested
# first: routing and the metrics' route lookup try routes in order, and each level of nested routers or route tried
# before the right one costs every request a few microseconds.
V1_ROUTERS = (plans.router, catalogue.router, catalogue.writes, templates.router)


def include_routes(app: FastAPI) -> None:
    app.include_router(health.router)
    for router in V1_ROUTERS:
        app.include_router(router, prefix=V1, responses=problems(400, 429, 500))
