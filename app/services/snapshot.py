"""The in-memory catalogue snapshot every request reads, rebuilt only when the stored catalogue changes.

A background thread compares the stored catalogue revision (bumped by every write) with the snapshot's every
`check_interval` seconds, so requests never touch the database and several workers converge on a change
within about a second. If the database cannot be reached the last good snapshot keeps serving.
"""

import logging
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.db.repositories import CatalogueLoader, current_revision
from app.domain.catalogue import Catalogue

logger = logging.getLogger("ceplan.snapshot")


class CatalogueStore:
    def __init__(self, engine: Engine, check_interval: float = 1.0) -> None:
        self._engine = engine
        self._check_interval = check_interval
        self._snapshot: Catalogue | None = None
        self._loader = CatalogueLoader()  # guarded by _lock, like the snapshot
        self._refresh_started = 0.0  # time.monotonic() when the last refresh began
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def loaded(self) -> Catalogue | None:
        """The snapshot in memory, if one has been loaded."""
        return self._snapshot

    def get(self) -> Catalogue:
        """The current snapshot: no database work unless none was ever loaded."""
        return self._snapshot or self.refresh()

    def catch_up(self) -> Catalogue:
        """A snapshot holding everything committed before this call: what a write answers from.

        Writers that finished while another refresh was running share the next one: a refresh that started
        after this call began reads everything committed before it, so waiting for the lock is enough then."""
        asked = time.monotonic()
        with self._lock:
            if self._snapshot is not None and self._refresh_started >= asked:
                return self._snapshot
            return self._refresh_locked(force=False)

    def refresh(self, force: bool = False) -> Catalogue:
        """Reload when the stored revision differs from the snapshot's (or always, when forced)."""
        with self._lock:
            return self._refresh_locked(force)

    def _refresh_locked(self, force: bool) -> Catalogue:
        self._refresh_started = time.monotonic()
        snapshot = self._snapshot
        try:
            with Session(self._engine) as session:
                if force or snapshot is None or current_revision(session) != snapshot.revision:
                    snapshot = self._loader.load(session)
                    self._snapshot = snapshot
        except SQLAlchemyError:
            if snapshot is None:
                raise
            logger.warning("catalogue database unreachable; serving snapshot revision %s", snapshot.revision)
        return snapshot

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
