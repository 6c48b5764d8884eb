"""Errors of the rules: a bad request in domain terms. The web layer renders them as 422 problems."""

from collections.abc import Iterable

ECHO_MAX = 64


def shown(value: str) -> str:
    """A value the caller sent, as an error quotes it: at most ECHO_MAX characters, then an ellipsis. An error
    names what was wrong; it never hands a large input back (that would double what a request costs us)."""
    return value if len(value) <= ECHO_MAX else value[:ECHO_MAX] + "\u2026"


class DomainError(Exception):
    code = "invalid_request"
    title = "The request cannot be planned"
    # What `errors[].message` says at the field, when it should not repeat the whole message (the detail).
    field_message: str | None = None

    def __init__(self, message: str, *, field: str | None = None, allowed: Iterable[str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.allowed = None if allowed is None else tuple(allowed)


class UnknownId(DomainError):
    """An id that the catalogue does not have: quoted once, in the detail, and at most ECHO_MAX characters."""

    def __init__(self, kind: str, value: str, *, field: str, allowed: Iterable[str]) -> None:
        super().__init__(f"unknown {kind} '{shown(value)}'", field=field, allowed=allowed)
        self.code = f"unknown_{kind}"
        self.title = f"Unknown {kind}"
        self.field_message = f"unknown {kind}: see `allowed`"
