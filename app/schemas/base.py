"""The base of every request body: strict types, no unknown fields, no NUL bytes."""

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


class StrictInput(BaseModel):
    """Request bodies reject unknown fields and lax coercion: nothing is silently ignored or guessed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def _no_nul_bytes(cls, value: Any) -> Any:
        # No store of ours can hold a NUL byte in text, and no exercise name needs one.
        if _has_nul(value):
            raise ValueError("text may not contain NUL (\\x00) characters")
        return value
