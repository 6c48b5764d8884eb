"""Documented error answers, shared by the routes' `responses=`."""

from typing import Any

from app.schemas.problem import Problem

PROBLEM = "application/problem+json"


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        404: "No such resource (problem+json, code `not_found`).",
        413: "The request body is too large.",
        415: "The body is not JSON.",
        422: "The request is not valid: the problem names the field and the allowed values.",
    }
    return {
        status: {"model": Problem, "description": descriptions[status], "content": {PROBLEM: {}}} for status in statuses
    }
