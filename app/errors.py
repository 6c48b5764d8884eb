"""Service-level errors. Each carries its HTTP status; app.api.errors renders them as problem+json."""

from typing import ClassVar

from app.schemas.problem import FieldError


class CeplanError(Exception):
    status_code = 400
    code = "bad_request"
    title = "Bad request"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        allowed: list[str] | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.allowed = allowed
        if code:
            self.code = code
        self.response_headers = {**(type(self).headers or {}), **(headers or {})}


class NotFound(CeplanError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class InvalidFilter(CeplanError):
    status_code = 422
    code = "invalid_filter"
    title = "Invalid filter"


class InvalidInput(CeplanError):
    status_code = 422
    code = "invalid_input"
    title = "The request is not valid"


class Unauthorized(CeplanError):
    status_code = 401
    code = "unauthorized"
    title = "API key required"
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": 'Bearer realm="ceplan"'}


class Forbidden(CeplanError):
    status_code = 403
    code = "forbidden"
    title = "Not allowed"


class Conflict(CeplanError):
    status_code = 409
    code = "conflict"
    title = "Conflict with the current state"


class PreconditionFailed(CeplanError):
    status_code = 412
    code = "precondition_failed"
    title = "The resource has changed"


class PreconditionRequired(CeplanError):
    status_code = 428
    code = "precondition_required"
    title = "If-Match required"


class TooManyRequests(CeplanError):
    status_code = 429
    code = "too_many_requests"
    title = "Too many requests"


class AmbiguousCredentials(CeplanError):
    status_code = 400
    code = "ambiguous_credentials"
    title = "More than one API key"
