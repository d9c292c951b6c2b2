"""The scenario data kept between runs: a `Source` in memory and in an .npz file, keyed by the data.

Reading 100,000 accounts and 1,000,000 tickets costs ~1.2 s of CPU (SQLite parsing and aggregating
a million rows); the same arrays come back from an uncompressed .npz in ~40 ms and from memory in no
time. A `Source` does not depend on the time of the run, so one entry serves every run until the data
change (`snapshot.window` slices it for each (now, days)).

**Never stale.** The key is read from the database at every run (four cheap statements): the data
versions every writer bumps (`storage.versions.ACCOUNTS` covers accounts, tiers and overrides,
`TICKETS` the tickets), plus a fingerprint that also catches a database replaced, restored or
truncated under the same URL, where the counters can start again from the same numbers: the accounts'
count, highest id, latest update, ACV total and strategic count, the overrides' count and highest id,
the tickets' first and last creation time. A key that differs, a file that is missing, truncated, corrupt or written for another
key: the data are read from the database again (and the file rewritten). The policy is not part of
the key: the `Source` holds data only; everything the policy decides is computed per run.

**Memory.** The entry held in memory costs 41 MB per million tickets (+1.8 MB per 100,000 accounts)
in each process that ran a scenario; `keep_in_memory=False` drops it after the run and reads the file
next time (~40 ms for a million tickets) instead. The scheduler builds the file without keeping it
(`bot.jobs.scenarios`), so web workers start warm from disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import weakref
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from bot.scenarios.snapshot import ARRAYS, Snapshot, Source, fetch, window
from storage.models import Account, DataVersion
from storage.models.accounts import TierOverride
from storage.models.tickets import Ticket
from storage.versions import ACCOUNTS, TICKETS

log = logging.getLogger(__name__)

FORMAT = 1  # bump when `Source` changes shape: files of another format are rebuilt, never misread
SUFFIX = ".npz"
DEFAULT_DAYS = 90  # what the scheduler prepares: the window of a scenario without `days=`


class Served(StrEnum):
    MEMORY = "memory"
    FILE = "file"
    DATABASE = "database"


@dataclass(frozen=True)
class Key:
    """What the cached data were read from; any difference means they are stale."""

    database: str  # the URL (password hidden), hashed: several databases may share a directory
    versions: tuple[int, int]  # ACCOUNTS, TICKETS
    fingerprint: tuple[str, ...]

    @property
    def token(self) -> str:
        text = repr((FORMAT, self.database, self.versions, self.fingerprint))
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def _engine(conn: Connection | Session) -> Engine:
    bind = conn.get_bind() if isinstance(conn, Session) else conn.engine
    return bind.engine if isinstance(bind, Connection) else bind


def database_id(conn: Connection | Session) -> str:
    url = _engine(conn).url.render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def current_key(conn: Connection | Session) -> Key:
    versions = dict(
        conn.execute(
            select(DataVersion.name, DataVersion.version).where(DataVersion.name.in_((ACCOUNTS, TICKETS)))
        ).all()
    )
    # One pass over the accounts (~8 ms for 100,000): with the ACV total and the strategic count, a
    # write that forgot its bump still shows when it touched what the rules read most.
    accounts = conn.execute(
        select(
            func.count(),
            func.max(Account.id),
            func.max(Account.updated_at),
            func.sum(Account.acv),
            func.count().filter(Account.strategic.is_(True)),
        )
    ).one()
    overrides = conn.execute(select(func.count(), func.max(TierOverride.id))).one()
    # One aggregate per statement: SQLite answers a lone min() or max() from the index.
    first = conn.scalar(select(func.min(Ticket.created_at)))
    last = conn.scalar(select(func.max(Ticket.created_at)))
    return Key(
        database=database_id(conn),
        versions=(int(versions.get(ACCOUNTS) or 0), int(versions.get(TICKETS) or 0)),
        fingerprint=tuple(str(v) for v in (*accounts, *overrides, first, last)),
    )


def default_directory(conn: Connection | Session) -> Path | None:
    """Next to a SQLite database file (`<its directory>/tierbot-cache/scenarios`); None otherwise
    (an in-memory SQLite or a server database: memory only, unless a directory is configured)."""
    url = _engine(conn).url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve().parent / "tierbot-cache" / "scenarios"


class SnapshotCache:
    """One prepared `Source` per database; thread-safe (lazy listeners run in threads): a second run
    arriving during a read waits for it instead of reading the same data alongside it (which would
    double the peak memory)."""

    def __init__(self, directory: Path | None = None, *, keep_in_memory: bool = True) -> None:
        self.directory = directory
        self.keep_in_memory = keep_in_memory
        self._lock = threading.Lock()
        self._entry: tuple[Key, Source] | None = None
        self.last: Served | None = None  # where the last snapshot came from (tests, logs, the bench)

    def clear(self) -> None:
        with self._lock:
            self._entry = None

    def snapshot(self, conn: Connection | Session, now: datetime, days: int) -> Snapshot:
        """The data of one run as of `now`, from memory, the file or the database (in that order)."""
        return window(self.source(conn, now - timedelta(days=days)), now, days)

    def source(self, conn: Connection | Session, since: datetime) -> Source:
        source = self._get(conn, since, need_arrays=True)
        assert source is not None
        return source

    def build(self, conn: Connection | Session, now: datetime, days: int = DEFAULT_DAYS) -> Served:
        """Make sure the file (and memory, when kept) hold the current data: the scheduler's warm-up.
        A current file is checked by its key alone, without reading its arrays."""
        self._get(conn, now - timedelta(days=days), need_arrays=self.keep_in_memory)
        assert self.last is not None
        return self.last

    def _get(self, conn: Connection | Session, since: datetime, *, need_arrays: bool) -> Source | None:
        key = current_key(conn)
        start = since.timestamp()
        with self._lock:
            entry = self._entry
            if entry is not None and entry[0] == key and entry[1].since <= start:
                self.last = Served.MEMORY
                return entry[1]
            directory = self.directory or default_directory(conn)
            path = directory / f"scenarios-{key.database}{SUFFIX}" if directory else None
            self._entry = None  # let old arrays go before new ones are read
            found = _read(path, key, start, need_arrays) if path is not None else None
            if found is not None:
                self.last = Served.FILE
                source = found if isinstance(found, Source) else None
            else:
                source = fetch(conn, since)
                self.last = Served.DATABASE
                if path is not None:
                    _write(path, key, source)
            if self.keep_in_memory and source is not None:
                self._entry = (key, source)
            return source


def _read(path: Path, key: Key, start: float, arrays: bool) -> Source | bool | None:
    """The file's Source (or True when `arrays` is False) if it was written for `key` and holds the
    tickets since `start`; None when missing, for another key or window, or broken (a broken file is
    removed; the caller reads the database and writes it again)."""
    try:
        with np.load(path, allow_pickle=False) as stored:  # lazy: each array is read when asked for
            if str(stored["key"]) != key.token or float(stored["since"]) > start:
                return None
            if not arrays:
                return True
            since = float(stored["since"])
            loaded: dict[str, Any] = {name: stored[name] for name in ARRAYS}
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        # zipfile checks each array's CRC-32 as it reads it: a flipped bit lands here too.
        log.warning("scenario cache %s unreadable (%s): reading the database instead", path, exc)
        _discard(path)
        return None
    tickets, accounts = loaded["created"].shape, loaded["account_ids"].shape
    if any(loaded[n].shape != tickets for n in _TICKET_ARRAYS) or any(
        loaded[n].shape != accounts for n in _ACCOUNT_ARRAYS
    ):
        log.warning("scenario cache %s inconsistent: reading the database instead", path)
        _discard(path)
        return None
    return Source(since=since, **loaded)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):  # not ours to remove, or not there: the next write replaces it
        path.unlink(missing_ok=True)


_TICKET_ARRAYS = ("ticket_account", "severity", "created", "first_response", "solved", "handle_minutes")
_ACCOUNT_ARRAYS = ("account_ids", "acv", "criticality", "strategic")


def _write(path: Path, key: Key, source: Source) -> None:
    """Atomically (a temporary file renamed): a reader sees the old file or the new one, never half.
    A directory that cannot be written only costs the next process a database read."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".scenarios-", suffix=SUFFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                arrays = {name: getattr(source, name) for name in ARRAYS}
                np.savez(out, key=np.array(key.token), since=np.array(source.since), **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("scenario cache %s not written (%s)", path, exc)


_shared: weakref.WeakKeyDictionary[Engine, SnapshotCache] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def shared(conn: Connection | Session) -> SnapshotCache:
    """The process's cache for this connection's database: one per engine, so two databases never
    share an entry, and it goes with its engine. Directory and memory policy come from the settings
    (`scenario_cache_dir`, `scenario_cache_in_memory`) when the first run of the process makes it."""
    from bot.config import get_settings

    engine = _engine(conn)
    with _shared_lock:
        cache = _shared.get(engine)
        if cache is None:
            settings = get_settings()
            cache = _shared[engine] = SnapshotCache(
                settings.scenario_cache_dir, keep_in_memory=settings.scenario_cache_in_memory
            )
        return cache
