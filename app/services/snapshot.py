"""The in-memory catalogue snapshots every request reads, rebuilt only when the stored catalogue changes.

A background thread reads the stored revisions (the seeded knowledge's and each tenant's) every
`check_interval` seconds, so requests never touch the database and several workers converge on a change within
about a second. A tenant's write re-reads that tenant's part alone and changes that tenant's view alone: an
anonymous caller's snapshot (and everything remembered with it) lives until the seeded knowledge changes. If the
database cannot be reached the last good snapshot keeps serving.
"""

import logging
import threading
import time

from cachetools import LRUCache
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.db.repositories import CatalogueLoader, StoredCatalogue
from app.domain.catalogue import Catalogue

logger = logging.getLogger("ceplan.snapshot")

# Tenants' views kept built: each holds its own indexes and memo (a few MB when busy); the shared view is apart.
TENANT_VIEWS = 16


class CatalogueStore:
    def __init__(self, engine: Engine, check_interval: float = 1.0, tenant_views: int = TENANT_VIEWS) -> None:
        self._engine = engine
        self._check_interval = check_interval
        self._stored: StoredCatalogue | None = None
        self._loader = CatalogueLoader()  # guarded by _lock, like _stored
        self._refreshed_from = 0.0  # time.monotonic() when the last successful refresh began
        self._lock = threading.Lock()
        # tenant -> (the view's revision, the view); one entry per tenant, so a stale view is replaced, not kept.
        self._views: LRUCache[str, tuple[int, Catalogue]] = LRUCache(maxsize=tenant_views)
        self._views_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def loaded(self) -> Catalogue | None:
        """The shared snapshot in memory, if one has been loaded."""
        return self._stored.shared if self._stored else None

    def get(self, tenant: str | None = None) -> Catalogue:
        """The snapshot the tenant (or an anonymous caller) sees: no database work unless none was ever loaded."""
        stored = self._stored or self.refresh()
        if tenant is None or tenant not in stored.tenants:
            return stored.shared
        revision = stored.revision(tenant)
        with self._views_lock:
            kept = self._views.get(tenant)
        if kept is not None and kept[0] == revision:
            return kept[1]
        view = stored.view(tenant)
        with self._views_lock:
            self._views[tenant] = (revision, view)
        return view

    def catch_up(self, tenant: str | None) -> Catalogue:
        """The tenant's snapshot holding everything committed before this call: what a write answers from.

        Writers that finished while another refresh was running share the next one: a refresh that started
        after this call began reads everything committed before it, so waiting for the lock is enough then.
        The write is committed already, so a failure here is logged and the last snapshot answers: a committed
        write is never reported as an error (the watcher catches up within a second once the database answers).
        """
        asked = time.monotonic()
        try:
            with self._lock:
                if self._stored is None or self._refreshed_from < asked:
                    self._refresh_locked(force=False, strict=True)
        except Exception:
            if self._stored is None:
                raise
            logger.exception("catalogue refresh after a write failed; answering from the last snapshot")
        return self.get(tenant)

    def refresh(self, force: bool = False) -> StoredCatalogue:
        """Read what changed since the last refresh (everything, when forced)."""
        with self._lock:
            return self._refresh_locked(force)

    def _refresh_locked(self, force: bool, strict: bool = False) -> StoredCatalogue:
        """`strict`: raise when the database cannot be read, rather than keep serving the last snapshot."""
        started = time.monotonic()
        if force:
            self._loader = CatalogueLoader()
        stored = self._stored
        try:
            with Session(self._engine) as session:
                stored = self._stored = self._loader.load(session)
        except SQLAlchemyError:
            if stored is None or strict:
                raise
            logger.warning("catalogue database unreachable; serving revision %s", stored.shared.revision)
            return stored
        self._refreshed_from = started
        return stored

    def start_watching(self) -> None:
        self._watcher = threading.Thread(target=self._watch, name="catalogue-watcher", daemon=True)
        self._watcher.start()

    def stop_watching(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(self._check_interval):
            try:
                self.refresh()
            except Exception:  # the watcher must outlive any one failure
                logger.exception("catalogue refresh failed")
