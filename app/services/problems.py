"""Problem bodies (RFC 9457), built in one place for error answers and for failed batch items alike."""

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from app.domain.errors import DomainError
from app.schemas.problem import FieldError, Problem


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    allowed: list[str] | None = None,
) -> Problem:
    return Problem(
        type=f"urn:ceplan:problem:{code}",
        title=title,
        status=status,
        detail=detail,
        code=code,
        errors=errors,
        allowed=allowed,
    )


def domain_problem(error: DomainError, prefix: str = "") -> Problem:
    field = f"{prefix}{error.field}" if error.field else None
    return problem(
        422,
        error.code,
        error.title,
        str(error),
        errors=[FieldError(field=field, message=error.field_message or str(error))] if field else None,
        allowed=sorted(error.allowed) if error.allowed is not None else None,
    )


def validation_problem(errors: list[FieldError]) -> Problem:
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return problem(422, "validation_error", "The request is not valid", detail, errors=errors)


def field_path(location: Sequence[Any], prefix: str = "") -> str:
    """The dotted path of the field at fault; FastAPI's leading `body` goes (the body is the whole request)."""
    parts = [str(p) for p in location]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return prefix + ".".join(parts) if parts else prefix.rstrip(".") or "body"


def pydantic_problem(error: ValidationError, prefix: str = "") -> Problem:
    return validation_problem(
        [FieldError(field=field_path(e["loc"], prefix), message=e["msg"]) for e in error.errors()]
    )
