"""Path parameters shared by the routes: checked before they reach a lookup or a query."""

from typing import Annotated

from fastapi import Path

SlugPath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,79}$", description="An id: lowercase letters, digits, _.")]
VersionPath = Annotated[int, Path(ge=1, le=1_000_000, description="A version number.")]
