"""Models against the migrated schema, as every `test_migration` compares them.

One place for the comparison, because Alembic's autogenerate does not read `Index.ddl_if`: an index
the models create on one dialect only (`ix_tickets_day_report`, SQLite) would otherwise show up as
missing on the others.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from storage.models import Base


def schema_diffs(conn: Connection, *, compare_type: bool = True) -> list[Any]:
    dialect = conn.dialect.name

    def for_this_dialect(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        only = getattr(obj, "_ddl_if", None)
        return reflected or only is None or only.dialect in (None, dialect)

    opts = {"compare_type": compare_type, "include_object": for_this_dialect}
    return list(compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata))
