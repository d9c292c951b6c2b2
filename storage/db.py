"""Engine, sessions and schema management (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached; callers answer the user instead of failing mid-request."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the web workers read while an import or the scheduler writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """One engine and session factory per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (creates it on an empty database)."""
        from alembic import command

        with self.engine.begin() as conn:
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def is_current(self) -> bool:
        return self.current_revisions() == head_revisions()

    def current_revisions(self) -> frozenset[str]:
        """The migrations the database is at (empty when it has no schema yet).

        Without importing Alembic (12 MB per process): `head_revisions` reads the migration files.
        """
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return frozenset()
            return frozenset(row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version")))

    def ensure_schema(self) -> None:
        if not self.is_current():
            log.info("migrating database schema to the newest version")
            self.upgrade()

    def dispose(self) -> None:
        self.engine.dispose()


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*[\"']([\w-]+)[\"']", re.MULTILINE)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """Revisions no other migration builds on (what `alembic heads` says)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    return frozenset(revisions - parents)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
