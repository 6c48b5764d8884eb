"""Dependencies shared by the routes, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Request

from app.domain.catalogue import Catalogue
from app.services.snapshot import CatalogueStore


def get_store(request: Request) -> CatalogueStore:
    store: CatalogueStore = request.app.state.catalogue_store
    return store


def get_catalogue(request: Request) -> Catalogue:
    return get_store(request).get()


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
