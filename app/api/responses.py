"""Documented error answers, shared by the routes' `responses=`."""

from typing import Any

from app.schemas.problem import Problem

PROBLEM = "application/problem+json"
_INTEGER = {"schema": {"type": "integer"}}
_TEXT = {"schema": {"type": "string"}}
RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Policy": {
        "description": "The limits that shaped this answer (draft-ietf-httpapi-ratelimit-headers): "
        '`"name";q=<quota>;w=<seconds>`.',
        **_TEXT,
    },
    "RateLimit": {
        "description": 'What is left of each: `"name";r=<remaining>;t=<seconds until a unit frees>`.',
        **_TEXT,
    },
}
RETRY_AFTER: dict[str, Any] = {"Retry-After": {"description": "Seconds to wait before trying again.", **_INTEGER}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "The body is not valid JSON, not UTF-8, or nested too deeply; or the request sends more than one API key "
        "(problem+json, code `ambiguous_credentials`).",
        401: "No API key, or a key that is not valid (problem+json, code `unauthorized`).",
        403: "The key may not do this: read-only, or a shared resource (problem+json).",
        404: "No such resource, or not yours (problem+json, code `not_found`).",
        409: "The resource's state does not allow it: published versions never change (problem+json).",
        412: "If-Match does not match the current ETag: somebody changed it first (problem+json).",
        428: "Edits need If-Match with the ETag you read (problem+json).",
        413: "The request body is larger than the server accepts (problem+json).",
        415: "The body is not application/json (problem+json).",
        422: "The request is not valid: the problem names the field and the allowed values.",
        429: "Too many failed API-key attempts from this address or with this key; see Retry-After (problem+json).",
        503: "The database cannot be reached right now; see Retry-After (problem+json).",
        500: "The server failed; the problem carries no internals, the log has the request id.",
    }
    # The failed-key limiter shapes 401s (what is left) and 429s (when to come back).
    headers = {401: RATE_LIMIT_HEADERS, 429: {**RETRY_AFTER, **RATE_LIMIT_HEADERS}}
    return {
        status: {
            "model": Problem,
            "description": descriptions[status],
            "content": {PROBLEM: {}},
            **({"headers": headers[status]} if status in headers else {}),
        }
        for status in statuses
    }


PLAN_BUDGET_429: dict[str, Any] = {
    **problems(429)[429],
    "description": "Too many failed API-key attempts, or the plan budget (CEPLAN_PLAN_RATE) is spent: code "
    "`plan_budget_exceeded`; see Retry-After and RateLimit (problem+json).",
}


NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the copy you hold (If-None-Match) is current."}
}
CACHED_READ = {**NOT_MODIFIED, **problems(401)}

BODY = problems(400, 413, 415)
