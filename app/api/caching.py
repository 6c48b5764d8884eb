"""HTTP caching of catalogue reads: an ETag per catalogue revision and caller, answered with 304 when fresh."""

from fastapi import Request, Response

from app.api.auth import ReaderDep
from app.api.deps import CATALOGUE_VERSION_HEADER, CatalogueDep

CACHE_SECONDS = 60


class NotModified(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("not modified")
        self.headers = headers


async def catalogue_validators(
    request: Request, response: Response, catalogue: CatalogueDep, principal: ReaderDep
) -> None:
    # A URL's answer is fixed for one catalogue revision and one tenant (custom exercises differ per tenant).
    owner = principal.tenant if principal else "shared"
    etag = f'W/"{catalogue.revision}-{owner}"'
    visibility = "private" if principal else "public"
    headers = {
        "ETag": etag,
        "Cache-Control": f"{visibility}, max-age={CACHE_SECONDS}",
        "Vary": "Authorization, X-API-Key",
        CATALOGUE_VERSION_HEADER: str(catalogue.revision),
    }
    presented = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in presented or "*" in presented:
        raise NotModified(headers)
    response.headers.update(headers)
    request.state.cache_headers = headers


def cached_json(request: Request, content: bytes) -> Response:
    """Pre-rendered JSON with the caching headers of the request (a returned Response does not get the headers
    that dependencies set on the injected one)."""
    return Response(content, media_type="application/json", headers=request.state.cache_headers)


async def not_modified_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers=exc.headers)
