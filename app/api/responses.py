"""Documented error answers, shared by the routes' `responses=`."""

from typing import Any

from app.schemas.problem import Problem

PROBLEM = "application/problem+json"


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "The body is not valid JSON, not UTF-8, or nested too deeply (problem+json).",
        401: "No API key, or a key that is not valid (problem+json, code `unauthorized`).",
        403: "The key may not do this: read-only, or a shared resource (problem+json).",
        404: "No such resource, or not yours (problem+json, code `not_found`).",
        409: "The resource's state does not allow it: published versions never change (problem+json).",
        412: "If-Match does not match the current ETag: somebody changed it first (problem+json).",
        428: "Edits need If-Match with the ETag you read (problem+json).",
        413: "The request body is larger than the server accepts (problem+json).",
        415: "The body is not application/json (problem+json).",
        422: "The request is not valid: the problem names the field and the allowed values.",
        429: "Too many failed API-key attempts from this client; see Retry-After (problem+json).",
        503: "The database cannot be reached right now; see Retry-After (problem+json).",
        500: "The server failed; the problem carries no internals, the log has the request id.",
    }
    return {
        status: {"model": Problem, "description": descriptions[status], "content": {PROBLEM: {}}} for status in statuses
    }


NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the copy you hold (If-None-Match) is current."}
}
CACHED_READ = {**NOT_MODIFIED, **problems(401)}

BODY = problems(400, 413, 415)
