"""Prometheus metrics: request count and latency by route (the instrumentator), and plans generated.

Requests are labelled by route template (`/v1/plan-templates/{slug}`), and every request that matches no route
(unknown paths, trailing-slash redirects) by one label, `none`: the number of label values is fixed by the routes,
whatever paths clients send, and no tenant's slug is ever shown. The instrumentator labels a path that Starlette's
own `redirect_slashes` would redirect by the raw path, so app.api.middleware.install_slash_redirects turns that
off and redirects itself.

Who may read it: with CEPLAN_METRICS_TOKEN, only `Authorization: Bearer <token>`; without, anyone, except when
CEPLAN_REQUIRE_API_KEY is set: a server that keeps its reads private refuses /metrics (403) until a token is set.
"""

import logging
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry, Counter
from prometheus_fastapi_instrumentator import Instrumentator

from app.config import Settings
from app.errors import Forbidden, Unauthorized

logger = logging.getLogger("ceplan")
_bearer = HTTPBearer(auto_error=False)


class MetricsTokenRequired(Unauthorized):
    code = "metrics_token_required"
    title = "Metrics token required"


class MetricsClosed(Forbidden):
    code = "metrics_token_not_set"
    title = "Metrics are not served"


def _guard(settings: Settings) -> Callable[[HTTPAuthorizationCredentials | None], None]:
    token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None
    if token is None and settings.require_api_key:
        logger.warning("GET /metrics is refused: CEPLAN_REQUIRE_API_KEY is set and CEPLAN_METRICS_TOKEN is not")

    def guard(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        if token is None:
            if settings.require_api_key:
                raise MetricsClosed("API keys are required here: set CEPLAN_METRICS_TOKEN to serve /metrics")
            return
        presented = credentials.credentials.encode() if credentials else b""
        if not secrets.compare_digest(presented, token):  # constant time: the comparison reveals no prefix
            raise MetricsTokenRequired("send the metrics token: Authorization: Bearer <CEPLAN_METRICS_TOKEN>")

    return guard


def install_metrics(app: FastAPI, settings: Settings) -> None:
    # One registry per app, so several apps in one process (the tests) never clash.
    registry = CollectorRegistry()
    app.state.plans_generated = Counter(
        "ceplan_plans_generated", "Plans answered, by outcome (plan or referral).", ["status"], registry=registry
    )
    instrumentator = Instrumentator(registry=registry, excluded_handlers=["^/metrics$"], should_group_untemplated=True)
    instrumentator.instrument(app)
    instrumentator.expose(app, endpoint="/metrics", include_in_schema=False, dependencies=[Depends(_guard(settings))])


def count_plan(request: Request, status: str) -> None:
    request.app.state.plans_generated.labels(status=status).inc()
