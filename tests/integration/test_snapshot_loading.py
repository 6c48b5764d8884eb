"""The snapshot loader reads only what changed, and what it builds equals a full read of the database."""

import copy
import threading
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, update

from app.config import Settings
from app.db import tables as t
from app.db.engine import make_engine, session_scope
from app.db.repositories import CatalogueLoader, current_revision, load_catalogue
from app.db.seed import bump_revision
from app.domain.catalogue import Catalogue
from app.schemas.catalogue import EXERCISE_EXAMPLE
from app.schemas.templates import EXAMPLE_MODES
from app.services.accounts import create_key
from app.services.snapshot import CatalogueStore


@pytest.fixture(scope="module")
def engine(writable_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(writable_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def headers(engine: Engine) -> dict[str, str]:
    return {"X-API-Key": create_key(engine, "loader_gym").key}


def _load(engine: Engine, loader: CatalogueLoader) -> Catalogue:
    with Session(engine) as session:
        return loader.load(session)


def _same_content(incremental: Catalogue, engine: Engine) -> None:
    with Session(engine) as session:
        full = load_catalogue(session)
    for part in fields(Catalogue):
        if part.name != "snapshot_id":
            assert getattr(incremental, part.name) == getattr(full, part.name), part.name


def _write(client: TestClient, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    response = client.request(method, path, headers=headers, json=body)
    assert response.status_code in (200, 201), response.text
    return response


def test_writes_of_templates_and_own_exercises_reread_only_themselves(
    writable_client: TestClient, engine: Engine, headers: dict[str, str]
) -> None:
    loader = CatalogueLoader()
    first = _load(engine, loader)
    base = "/v1/plan-templates/loader_warm_up"
    _write(writable_client, "POST", "/v1/plan-templates", headers, {"slug": "loader_warm_up", "title": "Warm-up"})
    draft = _write(writable_client, "POST", f"{base}/versions", headers, {"modes": EXAMPLE_MODES})
    _load(engine, loader)  # the loader now holds the draft's first body
    edited: dict[str, Any] = copy.deepcopy(EXAMPLE_MODES)
    edited["standalone"]["frequency_per_week"] = "2-3"
    _write(
        writable_client, "PUT", f"{base}/versions/1", headers | {"If-Match": draft.headers["ETag"]}, {"modes": edited}
    )
    second = _load(engine, loader)
    _same_content(second, engine)
    assert second.revision > first.revision
    [version] = second.template_versions("loader_warm_up", "loader_gym")
    assert version.status == "draft"
    assert version.modes["standalone"].frequency_per_week == "2-3"  # the edit, not the body first read

    _write(writable_client, "POST", f"{base}/versions/1/publish", headers)
    own = {**EXERCISE_EXAMPLE, "slug": "loader_bridge", "name": "Loader bridge", "regression": "floor_bridge"}
    _write(writable_client, "POST", "/v1/exercises", headers, own)
    harder = {**EXERCISE_EXAMPLE, "slug": "loader_bridge_two", "name": "Loader bridge 2", "regression": "loader_bridge"}
    _write(writable_client, "POST", "/v1/exercises", headers, harder)
    third = _load(engine, loader)
    _same_content(third, engine)
    assert [v.status for v in third.template_versions("loader_warm_up", "loader_gym")] == ["published"]
    assert third.exercise("loader_bridge", "loader_gym").regression == "floor_bridge"  # type: ignore[union-attr]
    assert third.exercise("loader_bridge_two", "loader_gym").regression == "loader_bridge"  # type: ignore[union-attr]
    # The seeded knowledge was not read again: the very same objects serve the new snapshot.
    assert third.exercises["floor_bridge"] is first.exercises["floor_bridge"]

    # Another template's write re-reads that template alone: earlier exercises and bodies are kept as they were.
    _write(writable_client, "POST", "/v1/plan-templates", headers, {"slug": "loader_cool_down", "title": "Cool-down"})
    _write(writable_client, "POST", "/v1/plan-templates/loader_cool_down/versions", headers, {"modes": EXAMPLE_MODES})
    fourth = _load(engine, loader)
    _same_content(fourth, engine)
    assert fourth.exercise("loader_bridge", "loader_gym") is third.exercise("loader_bridge", "loader_gym")
    [kept] = fourth.template_versions("loader_warm_up", "loader_gym")
    assert kept.modes is third.template_versions("loader_warm_up", "loader_gym")[0].modes


def test_a_change_of_the_seeded_knowledge_is_read_again(
    writable_client: TestClient, engine: Engine, headers: dict[str, str]
) -> None:
    own = {**EXERCISE_EXAMPLE, "slug": "loader_reseed", "name": "Loader reseed"}
    _write(writable_client, "POST", "/v1/exercises", headers, own)
    loader = CatalogueLoader()
    before = _load(engine, loader)
    with Session(engine) as session:  # what `ceplan seed` does with an edited equipment file
        session.exec(update(t.Equipment).where(col(t.Equipment.slug) == "mini_band").values(name="Loop band"))
        bump_revision(session, shared=True)
        session.commit()
    after = _load(engine, loader)
    _same_content(after, engine)
    assert after.equipment["mini_band"].name == "Loop band"
    assert after.exercises["floor_bridge"] is not before.exercises["floor_bridge"]
    # Tenants' exercises were built with the old seeded lookups: they are built again too.
    own_before, own_after = (
        before.exercise("loader_reseed", "loader_gym"),
        after.exercise("loader_reseed", "loader_gym"),
    )
    assert own_before is not None and own_after is not None and own_after is not own_before


def test_every_writer_catches_up_with_its_own_write_while_others_write(engine: Engine) -> None:
    store = CatalogueStore(engine, check_interval=60)
    store.refresh(force=True)
    seen: list[tuple[int, int]] = []

    def write_then_catch_up() -> None:
        for _ in range(5):
            with session_scope(engine) as session:
                bump_revision(session, shared=False)
                committed = current_revision(session)
            seen.append((committed, store.catch_up().revision))

    threads = [threading.Thread(target=write_then_catch_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 40
    # Writers share refreshes, but none answers from a snapshot older than its own write.
    assert all(answered >= committed for committed, answered in seen)
