"""The in-memory catalogue snapshot every request reads, rebuilt only when the stored catalogue changes.

Staleness is detected by the catalogue revision counter (bumped by every write), checked at most once per
`check_interval` seconds, so several workers converge on a change without a query per request. If the
database cannot be reached the last good snapshot keeps serving.
"""

import logging
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.db.repositories import current_revision, load_catalogue
from app.domain.catalogue import Catalogue

logger = logging.getLogger("ceplan.snapshot")


class CatalogueStore:
    def __init__(self, engine: Engine, check_interval: float = 1.0) -> None:
        self._engine = engine
        self._check_interval = check_interval
        self._snapshot: Catalogue | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    @property
    def loaded(self) -> Catalogue | None:
        """The snapshot in memory, without checking for a newer one."""
        return self._snapshot

    def get(self) -> Catalogue:
        snapshot = self._snapshot
        if snapshot is None or time.monotonic() - self._checked_at >= self._check_interval:
            return self.refresh()
        return snapshot

    def refresh(self, force: bool = False) -> Catalogue:
        """Reload when the stored revision differs from the snapshot's (or always, when forced)."""
        with self._lock:
            snapshot = self._snapshot
            try:
                with Session(self._engine) as session:
                    if force or snapshot is None or current_revision(session) != snapshot.revision:
                        snapshot = load_catalogue(session)
                        self._snapshot = snapshot
            except SQLAlchemyError:
                if snapshot is None:
                    raise
                logger.warning("catalogue database unreachable; serving snapshot revision %s", snapshot.revision)
            self._checked_at = time.monotonic()
            return snapshot
