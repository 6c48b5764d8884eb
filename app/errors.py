"""Service-level errors. Each carries its HTTP status; app.api.errors renders them as problem+json."""

from app.schemas.problem import FieldError


class CeplanError(Exception):
    status_code = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, allowed: list[str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.allowed = allowed


class NotFound(CeplanError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class InvalidFilter(CeplanError):
    status_code = 422
    code = "invalid_filter"
    title = "Invalid filter"
