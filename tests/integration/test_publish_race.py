"""Clients publishing versions of one template at the same moment get distinct, consecutive versions and
lose nothing. Real threads against the real database (PostgreSQL in CI's second run)."""

import threading
from pathlib import Path

from sqlalchemy import Engine

from app.db.engine import make_engine
from app.schemas.templates import DraftCreate, TemplateCreate
from app.services import templates
from app.services.accounts import Principal, create_key
from app.services.setup import prepare_database
from tests.conftest import SEED_DIR
from tests.databases import scratch_database

CLIENTS = 8
QUOTAS = templates.Quotas(templates_per_tenant=10, versions_per_template=100)


def _race(engine: Engine, principal: Principal) -> tuple[list[int], list[BaseException]]:
    start = threading.Barrier(CLIENTS)
    published: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client() -> None:
        try:
            start.wait()
            draft = templates.create_draft(engine, "raced", DraftCreate(copy_from=1), principal, QUOTAS)
            done = templates.publish(engine, "raced", draft.version, principal)
            with lock:
                published.append(done.version)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return published, errors


def test_concurrent_publishes_get_distinct_consecutive_versions(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        prepare_database(url, SEED_DIR)
        engine = make_engine(url, pool_size=CLIENTS + 2) if not url.startswith("sqlite") else make_engine(url)
        try:
            principal = Principal(create_key(engine, "racer").tenant, read_only=False)
            templates.create_template(engine, TemplateCreate(slug="raced", title="Raced"), principal, QUOTAS)
            shared = templates.get_version(engine, "nasm_cex_standard", 1, principal)
            first = templates.create_draft(engine, "raced", DraftCreate(modes=shared.modes), principal, QUOTAS)
            templates.publish(engine, "raced", first.version, principal)

            published, errors = _race(engine, principal)

            assert errors == []
            assert sorted(published) == list(range(2, CLIENTS + 2))
            versions = templates.list_versions(engine, "raced", principal)
            assert [(v.version, v.status) for v in versions] == [(n, "published") for n in range(1, CLIENTS + 2)]
        finally:
            engine.dispose()
