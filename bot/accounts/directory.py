"""The account index and the /tier cache of one running tierbot, both tied to the data versions.

`Services` (the adapters' container) holds one `AccountDirectory`; the accounts service receives it
explicitly with the `Database` it reads from. Nothing here knows Slack: the cache stores whatever the
service's callers make (a typed result, or an adapter's rendering of it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from bot.matching import AccountIndex, IndexEntry
from storage.db import Database
from storage.models import Account
from storage.versions import ACCOUNT_NAMES, read_versions

log = logging.getLogger(__name__)

T = TypeVar("T")
Versions = tuple[tuple[str, int], ...]
# Entries kept per kind of cached value (the key's first element). Kinds get their own LRU so one
# cannot evict another: with a single 4,096-entry LRU, 3,000 hot queries plus their cards evicted
# each other on every pass.
CACHE_SIZES = {"answer": 8192}  # answers are ASCII JSON strings, ~1.8 KB each
DEFAULT_CACHE_SIZE = 1024


class AccountDirectory:
    """Which accounts exist (the matcher's index) and what /tier answered for this data version."""

    def __init__(self, version_ttl: float = 1.0, rebuild_in_background: bool = False) -> None:
        # How long a process trusts its cache before asking the database for the data versions: a
        # write in another process (an import, a decision, an override) shows up within this many s.
        self.version_ttl = version_ttl
        # After an import, rebuild the index in a background thread and keep answering from the
        # previous one meanwhile (a build takes seconds: in the request it would outlast Slack's 3 s).
        # Off by default so tests and one-shot commands see every write at once.
        self.rebuild_in_background = rebuild_in_background
        self._versions: Versions = ()
        self._checked_at = -1e9
        self._names_version = 0  # ACCOUNT_NAMES among the versions: what the index is built from
        # The index and the ACCOUNT_NAMES version it was built from, swapped as one tuple.
        self._current: tuple[AccountIndex, int] | None = None
        self._rebuilding = False
        self._caches: dict[Hashable, OrderedDict[Hashable, tuple[object, datetime | None]]] = {}
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()

    def versions(self, db: Database) -> Versions:
        """Every data set's version, read from the database at most once per `version_ttl`."""
        now = time.monotonic()
        if now - self._checked_at >= self.version_ttl:
            with db.session() as session:
                versions = tuple(sorted(read_versions(session).items()))
            with self._lock:
                if versions != self._versions:
                    self._caches.clear()
                self._versions = versions
                self._names_version = dict(versions).get(ACCOUNT_NAMES, 0)
                self._checked_at = now
        return self._versions

    def invalidate(self) -> None:
        """Re-read the data versions on the next call (the writing process need not wait the TTL)."""
        self._checked_at = -1e9

    def index(self, db: Database) -> AccountIndex:
        return self.versioned_index(db)[0]

    def versioned_index(self, db: Database) -> tuple[AccountIndex, int]:
        """The index and the ACCOUNT_NAMES version it was built from (answers that depend on matching
        are cached under it, so none computed from a stale index outlives the swap).

        Rebuilt when any process changed names, ids or domains (imports); built outside the lock and
        swapped in, so other threads keep answering from the old index meanwhile.
        """
        self.versions(db)
        version = self._names_version
        current = self._current
        if current is not None and version == current[1]:
            return current
        if current is not None and self.rebuild_in_background:
            self._rebuild_soon(db, version)
            return current
        return self._rebuild(db, version)

    def _rebuild(self, db: Database, version: int) -> tuple[AccountIndex, int]:
        with self._build_lock:  # one build at a time; the others wait here, not on `_lock`
            current = self._current
            if current is not None and version == current[1]:
                return current
            with db.session() as session:
                rows = session.execute(
                    select(Account.id, Account.name, Account.external_id, Account.domain)
                ).all()
            built = AccountIndex.build(IndexEntry(r[0], r[1], r[2], r[3]) for r in rows), version
            self._current = built
            return built

    def _rebuild_soon(self, db: Database, version: int) -> None:
        with self._lock:
            if self._rebuilding:
                return
            self._rebuilding = True

        def run() -> None:
            try:
                self._rebuild(db, version)
            except Exception:  # the database went away: the next lookup tries again
                log.exception("account index rebuild failed")
            finally:
                self._rebuilding = False

        threading.Thread(target=run, name="account-index-rebuild", daemon=True).start()

    def cached(
        self,
        db: Database,
        key: tuple[Hashable, ...],
        now: datetime,
        make: Callable[[], tuple[T, datetime | None]],
    ) -> T:
        """A value computed once per data version; `make` also says until when it holds (None: for as
        long as the data do), so values that move with the clock expire and the rest do not.

        `key[0]` names the kind of value, which has its own LRU (CACHE_SIZES)."""
        kind = key[0]
        full_key = (key, self.versions(db))
        with self._lock:
            lru = self._caches.get(kind)
            hit = lru.get(full_key) if lru is not None else None
            if lru is not None and hit is not None and (hit[1] is None or now < hit[1]):
                lru.move_to_end(full_key)
                return hit[0]  # type: ignore[return-value]  # stored by make() under this key
        value, until = make()
        with self._lock:
            lru = self._caches.setdefault(kind, OrderedDict())
            lru[full_key] = (value, until)
            lru.move_to_end(full_key)
            if len(lru) > CACHE_SIZES.get(str(kind), DEFAULT_CACHE_SIZE):
                lru.popitem(last=False)
        return value
