"""The snapshot loader reads only what changed, in one consistent read, and what it builds equals a full read of the
database; one tenant's writes change no other caller's snapshot."""

import copy
import threading
from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select, update

from app.config import Settings
from app.db import tables as t
from app.db.accounts import bump_tenant_revision, tenant_id
from app.db.engine import make_engine, session_scope
from app.db.repositories import CatalogueLoader, StoredCatalogue, load_catalogue
from app.db.seed import bump_shared_revision
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
    return {"X-API-Key": create_key(engine, TENANT).key}


TENANT = "loader_gym"


def _load(engine: Engine, loader: CatalogueLoader) -> Catalogue:
    """The loader's view for TENANT."""
    with Session(engine) as session:
        return loader.load(session).view(TENANT)


def _same_content(incremental: Catalogue, engine: Engine) -> None:
    with Session(engine) as session:
        full = load_catalogue(session, TENANT)
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
        bump_shared_revision(session)
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


@pytest.mark.usefixtures("headers")  # the tenant exists
def test_every_writer_catches_up_with_its_own_write_while_others_write(engine: Engine) -> None:
    store = CatalogueStore(engine, check_interval=60)
    store.refresh(force=True)
    seen: list[tuple[int, int]] = []

    def write_then_catch_up() -> None:
        for _ in range(5):
            with session_scope(engine) as session:
                bump_tenant_revision(session, tenant_id(session, TENANT) or 0)
            with Session(engine) as session:
                committed = session.exec(select(t.Tenant.revision).where(t.Tenant.slug == TENANT)).one()
            seen.append((committed, store.catch_up(TENANT).revision - store.get().revision))

    threads = [threading.Thread(target=write_then_catch_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 40
    # Writers share refreshes, but none answers from a snapshot older than its own write.
    assert all(answered >= committed for committed, answered in seen)


def test_a_tenants_write_changes_no_other_callers_snapshot(
    writable_client: TestClient, engine: Engine, headers: dict[str, str]
) -> None:
    other = {"X-API-Key": create_key(engine, "loader_neighbour").key}
    _write(writable_client, "POST", "/v1/plan-templates", other, {"slug": "neighbour_plan", "title": "Neighbour"})
    store = CatalogueStore(engine, check_interval=60)
    store.refresh(force=True)
    anonymous, neighbour, mine = store.get(), store.get("loader_neighbour"), store.get(TENANT)

    own = {**EXERCISE_EXAMPLE, "slug": "loader_private", "name": "Loader private"}
    _write(writable_client, "POST", "/v1/exercises", headers, own)
    store.refresh()
    # The anonymous and the neighbour's snapshots are the very same objects: nothing rebuilt, nothing forgotten.
    assert store.get() is anonymous
    assert store.get("loader_neighbour") is neighbour
    changed = store.get(TENANT)
    assert changed is not mine and changed.revision > mine.revision
    assert changed.exercise("loader_private", TENANT) is not None
    assert anonymous.exercise("loader_private", None) is None
    assert neighbour.exercise("loader_private", "loader_neighbour") is None


def test_a_write_between_two_reads_of_one_load_is_seen_whole_or_not_at_all(
    writable_client: TestClient, engine: Engine, headers: dict[str, str]
) -> None:
    """A load reads the revisions, then templates, then versions. A template and its first version committed in
    between must not be paired with the revision read before them (nor a version with a template the load did not
    read: that raised KeyError, and committed writes were answered 500): the load sees one committed state."""
    loader = CatalogueLoader()
    _load(engine, loader)
    _write(writable_client, "POST", "/v1/plan-templates", headers, {"slug": "loader_race_0", "title": "Race"})
    writes: list[str] = []

    def write_in_between(statement: str) -> None:
        if writes or "FROM tenant" not in statement:
            return
        writes.append("loader_race_1")  # once, right after the load read the tenants' revisions
        _write(writable_client, "POST", "/v1/plan-templates", headers, {"slug": "loader_race_1", "title": "Race"})
        body = {"modes": EXAMPLE_MODES}
        _write(writable_client, "POST", "/v1/plan-templates/loader_race_1/versions", headers, body)

    listener = _on_select(write_in_between)  # on this test's engine: the app writes through its own
    event.listen(engine, "after_cursor_execute", listener)
    try:
        with Session(engine) as session:
            stored: StoredCatalogue = loader.load(session)
    finally:
        event.remove(engine, "after_cursor_execute", listener)
    assert writes, "the write between the reads did not happen"
    assert "loader_race_1" not in stored.view(TENANT).visible_templates(TENANT)  # the next load reads it
    after = _load(engine, loader)
    _same_content(after, engine)
    assert "loader_race_1" in after.visible_templates(TENANT)


def _on_select(hook: Callable[[str], None]) -> Callable[..., None]:
    def listener(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            hook(statement)

    return listener


def test_committed_template_writes_are_answered_while_another_tenant_edits(
    writable_client: TestClient, engine: Engine, headers: dict[str, str]
) -> None:
    """gym_b edits its own draft as fast as it can while this tenant creates templates: every create is answered
    201 (the refresh after each commit no longer meets a half-read state), on SQLite and PostgreSQL."""
    other = {"X-API-Key": create_key(engine, "loader_editor").key}
    _write(writable_client, "POST", "/v1/plan-templates", other, {"slug": "editor_draft", "title": "Draft"})
    draft = _write(writable_client, "POST", "/v1/plan-templates/editor_draft/versions", other, {"modes": EXAMPLE_MODES})
    etag, stop = draft.headers["ETag"], threading.Event()

    def edit() -> None:
        nonlocal etag
        while not stop.is_set():
            answer = writable_client.put(
                "/v1/plan-templates/editor_draft/versions/1",
                headers=other | {"If-Match": etag},
                json={"modes": EXAMPLE_MODES},
            )
            assert answer.status_code == 200, answer.text
            etag = answer.headers["ETag"]

    editor = threading.Thread(target=edit)
    editor.start()
    try:
        statuses = [
            writable_client.post(
                "/v1/plan-templates", headers=headers, json={"slug": f"loader_busy_{n}", "title": "Busy"}
            ).status_code
            for n in range(30)
        ]
    finally:
        stop.set()
        editor.join()
    assert statuses == [201] * 30


def test_a_refresh_that_fails_after_the_commit_does_not_fail_the_write(
    writable_client: TestClient, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store: CatalogueStore = writable_client.app.state.catalogue_store  # type: ignore[attr-defined]

    def broken(_session: Session) -> StoredCatalogue:
        raise OperationalError("SELECT ...", {}, Exception("the database went away after the commit"))

    own = {**EXERCISE_EXAMPLE, "slug": "loader_unrefreshed", "name": "Loader unrefreshed"}
    with monkeypatch.context() as patched:
        patched.setattr(store._loader, "load", broken)
        template = writable_client.post(
            "/v1/plan-templates", headers=headers, json={"slug": "loader_unrefreshed", "title": "T"}
        )
        exercise = writable_client.post("/v1/exercises", headers=headers, json=own)
    assert (template.status_code, exercise.status_code) == (201, 201), (template.text, exercise.text)
    assert "X-Catalogue-Version" not in exercise.headers  # no snapshot holding the exercise could be named
    store.refresh()
    # What the write answered is what the snapshot holds once it is read again.
    assert writable_client.get("/v1/exercises/loader_unrefreshed", headers=headers).json() == exercise.json()
