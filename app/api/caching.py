"""HTTP caching of catalogue reads: an ETag per revision of what the answer holds, answered with 304 when fresh."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from app.api.deps import CATALOGUE_VERSION_HEADER, Caller, get_caller

CACHE_SECONDS = 60


class NotModified(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("not modified")
        self.headers = headers


@dataclass(frozen=True)
class CatalogueRead(Caller):
    """A catalogue read: the caller, and the caching headers of its answer."""

    headers: dict[str, str]

    def json(self, content: bytes) -> Response:
        """Pre-rendered JSON with the caching headers (a returned Response does not get the headers that
        dependencies set on the injected one)."""
        return Response(content, media_type="application/json", headers=self.headers)


def _read(request: Request, response: Response, caller: Caller, etag: str) -> CatalogueRead:
    visibility = "private" if caller.principal else "public"
    headers = {
        "ETag": etag,
        "Cache-Control": f"{visibility}, max-age={CACHE_SECONDS}",
        "Vary": "Authorization, X-API-Key",
        CATALOGUE_VERSION_HEADER: str(caller.catalogue.revision),
    }
    presented = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in presented or "*" in presented:
        raise NotModified(headers)
    response.headers.update(headers)
    return CatalogueRead(caller.catalogue, caller.principal, headers)


async def catalogue_read(request: Request, response: Response) -> CatalogueRead:
    """A read of the seeded knowledge (muscles, rulesets...): the same answer for every caller, so its validator
    changes only when the seeded knowledge does, never with a tenant's write."""
    caller = await get_caller(request)
    # The letters keep these validators apart from those of the one global revision that came before them.
    return _read(request, response, caller, f'W/"k{caller.catalogue.shared_revision}"')


async def exercise_read(request: Request, response: Response) -> CatalogueRead:
    """A read of exercises, which include the caller's own: the validator follows the caller's view (the seeded
    knowledge and the tenant's own part), so another tenant's write does not change it."""
    caller = await get_caller(request)
    return _read(request, response, caller, f'W/"e{caller.catalogue.revision}-{caller.tenant or "shared"}"')


CatalogueReadDep = Annotated[CatalogueRead, Depends(catalogue_read)]
ExerciseReadDep = Annotated[CatalogueRead, Depends(exercise_read)]


async def not_modified_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers=exc.headers)
