"""Prometheus metrics: request count and latency by route (the instrumentator), and plans generated."""

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter
from prometheus_fastapi_instrumentator import Instrumentator


def install_metrics(app: FastAPI) -> None:
    # One registry per app, so several apps in one process (the tests) never clash.
    registry = CollectorRegistry()
    app.state.plans_generated = Counter(
        "ceplan_plans_generated", "Plans answered, by outcome (plan or referral).", ["status"], registry=registry
    )
    Instrumentator(registry=registry, excluded_handlers=["/metrics"]).instrument(app).expose(
        app, endpoint="/metrics", include_in_schema=False
    )


def count_plan(request: Request, status: str) -> None:
    request.app.state.plans_generated.labels(status=status).inc()
