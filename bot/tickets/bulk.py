"""Inserting many rows at once, straight to the driver (the tickets importer and the helpdesk sync)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table

from storage.models.base import UTCDateTime


def _sqlite_time(value: datetime | None) -> str | None:
    # Exactly what UTCDateTime stores on SQLite (SQLAlchemy's DATETIME text: UTC, microseconds); SQLite
    # compares these as text, so the format must match (a test checks it against an ORM-written row).
    return (
        None if value is None else value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    )


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """executemany straight to the driver. SQLAlchemy's per-value bind processing is most of the cost
    of inserting a million rows; the only values that need converting here are datetimes on SQLite."""
    columns = list(rows[0])
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
        params: list[Any] = []
        for row in rows:
            values = list(row.values())
            for i in times:
                values[i] = _sqlite_time(values[i])
            params.append(tuple(values))
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})", params
        )
    else:  # psycopg adapts aware datetimes and booleans itself
        placeholders = ", ".join(f"%({c})s" for c in columns)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})", rows)
