"""What a tenant's write costs every worker: the snapshot refresh after it, as the tenant's history grows.

    python -m tests.benchmarks.refresh [--versions 200,3200] [--database-url URL]

On a scratch SQLite database (or the one named, migrated and seeded), tenant gym_b gets one template with N
versions and a second, small one; a worker's CatalogueStore then refreshes after each of ten edits of the small
template's draft. Prints the median refresh, the time to build gym_b's view on its next request, and whether the
anonymous snapshot survived (it must: another tenant's write changes nothing an anonymous caller sees).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine

from app.db.engine import make_engine
from app.schemas.templates import EXAMPLE_MODES, DraftCreate, TemplateCreate, TemplateModes
from app.services import templates
from app.services.accounts import Principal, create_key
from app.services.setup import prepare_database
from app.services.snapshot import CatalogueStore

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
QUOTAS = templates.Quotas(templates_per_tenant=100, versions_per_template=1_000_000)
TENANT = Principal("gym_b", read_only=False)


def _grow(engine: Engine, versions: int) -> None:
    have = len(templates.list_versions(engine, "big", TENANT))
    for _ in range(versions - have):
        templates.create_draft(engine, "big", DraftCreate(copy_from=1), TENANT, QUOTAS)


def measure(engine: Engine, versions: list[int]) -> None:
    create_key(engine, TENANT.tenant)
    modes = TemplateModes.model_validate(EXAMPLE_MODES)
    for slug in ("big", "small"):
        templates.create_template(engine, TemplateCreate(slug=slug, title=slug), TENANT, QUOTAS)
        templates.create_draft(engine, slug, DraftCreate(modes=modes), TENANT, QUOTAS)
    store = CatalogueStore(engine, check_interval=3600)
    store.refresh(force=True)
    for total in versions:
        _grow(engine, total)
        store.refresh()
        anonymous, times = store.get(), []
        for _ in range(10):
            etag = templates.get_version(engine, "small", 1, TENANT).etag
            templates.update_draft(engine, "small", 1, modes, etag, TENANT)
            started = time.perf_counter()
            store.refresh()
            times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        store.get(TENANT.tenant)
        view_ms = (time.perf_counter() - started) * 1000
        sys.stdout.write(
            f"gym_b with {total} versions: refresh after an edit {statistics.median(times):.1f} ms (median of 10), "
            f"its view built in {view_ms:.1f} ms, anonymous snapshot kept: {store.get() is anonymous}\n"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.refresh", description=__doc__.split("\n")[0])
    parser.add_argument("--versions", default="200,3200", help="History sizes of gym_b's big template.")
    parser.add_argument("--database-url", help="An empty database to use instead of a scratch SQLite file.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ceplan-refresh-") as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'refresh.db'}"
        prepare_database(url, SEED_DIR)
        engine = make_engine(url)
        try:
            measure(engine, [int(n) for n in args.versions.split(",")])
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
