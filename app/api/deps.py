"""Dependencies shared by the routes, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Request, Response

from app.domain.catalogue import Catalogue
from app.services.snapshot import CatalogueStore

CATALOGUE_VERSION_HEADER = "X-Catalogue-Version"


def get_store(request: Request) -> CatalogueStore:
    store: CatalogueStore = request.app.state.catalogue_store
    return store


async def get_catalogue(request: Request, response: Response) -> Catalogue:
    """The current snapshot; every answer built from it says which catalogue revision that was."""
    catalogue = get_store(request).get()
    response.headers[CATALOGUE_VERSION_HEADER] = str(catalogue.revision)
    return catalogue


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
