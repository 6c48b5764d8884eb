"""Dependencies shared by the routes, as Annotated aliases."""

import hashlib
from dataclasses import dataclass
from typing import Annotated

import orjson
from fastapi import Depends, Header, Request, Response

from app.api.auth import caller_principal
from app.domain.catalogue import Catalogue
from app.services.accounts import Principal
from app.services.snapshot import CatalogueStore
from app.services.writes import HEADER as IDEMPOTENCY_HEADER
from app.services.writes import IdempotencyKey

CATALOGUE_VERSION_HEADER = "X-Catalogue-Version"


def get_store(request: Request) -> CatalogueStore:
    store: CatalogueStore = request.app.state.catalogue_store
    return store


@dataclass(frozen=True)
class Caller:
    """Who is asking (an optional API key) and the snapshot that answers them."""

    catalogue: Catalogue
    principal: Principal | None

    @property
    def tenant(self) -> str | None:
        """The tenant whose own exercises and templates the answer may hold: None for a caller whose tenant has
        none, who sees the shared catalogue as an anonymous caller does (and shares its remembered answers)."""
        return self.catalogue.owner


async def get_caller(request: Request) -> Caller:
    # One dependency rather than a snapshot, a principal and its two key schemes side by side: each dependency
    # FastAPI resolves costs about 10 us, and plans and catalogue reads are the requests answered most.
    principal = await caller_principal(request)
    return Caller(get_store(request).get(principal.tenant if principal else None), principal)


CallerDep = Annotated[Caller, Depends(get_caller)]


def _fingerprint(method: str, path: str, body: bytes) -> str:
    """What identifies a request: a retry re-encoding the same JSON (other spacing, other key order) is the same."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


async def idempotency_key(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Any unique string (a UUID, say) of printable ASCII: a retry of the write with the same key "
            "and request gets the first answer again (header Idempotent-Replayed: true) instead of a second resource "
            "or a 409; the same key with another request gets 422 idempotency_key_reused. Kept for 24 hours.",
        ),
    ] = None,
) -> IdempotencyKey | None:
    if key is None:
        return None
    return IdempotencyKey(key, _fingerprint(request.method, request.url.path, await request.body()))


def say_if_replayed(response: Response, idempotency: IdempotencyKey | None) -> None:
    if idempotency is not None and idempotency.replayed:
        response.headers["Idempotent-Replayed"] = "true"


IdempotencyDep = Annotated[IdempotencyKey | None, Depends(idempotency_key)]
