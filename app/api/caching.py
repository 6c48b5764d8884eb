"""HTTP caching of catalogue reads: an ETag per catalogue revision and caller, answered with 304 when fresh."""

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


async def catalogue_read(request: Request, response: Response) -> CatalogueRead:
    caller = await get_caller(request)
    # A URL's answer is fixed for one catalogue revision and one tenant (custom exercises differ per tenant).
    etag = f'W/"{caller.catalogue.revision}-{caller.tenant or "shared"}"'
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


CatalogueReadDep = Annotated[CatalogueRead, Depends(catalogue_read)]


async def not_modified_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers=exc.headers)
