"""Errors of the rules: a bad request in domain terms. The web layer renders them as 422 problems."""

from collections.abc import Iterable


class DomainError(Exception):
    code = "invalid_request"
    title = "The request cannot be planned"

    def __init__(self, message: str, *, field: str | None = None, allowed: Iterable[str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.allowed = None if allowed is None else tuple(allowed)


class UnknownId(DomainError):
    """An id that the catalogue does not have."""

    def __init__(self, kind: str, value: str, *, field: str, allowed: Iterable[str]) -> None:
        super().__init__(f"unknown {kind} '{value}'", field=field, allowed=allowed)
        self.code = f"unknown_{kind}"
        self.title = f"Unknown {kind}"
