"""The report's scan reads indexes only, and on SQLite groups without sorting (migration 0010)."""

from typing import Any

import pytest
from sqlalchemy import event, text

from bot.reports import aggregate
from bot.reports.periods import ReportPeriod, windows
from tests.reports.dataset import NOW, seed


def _plans(db, run) -> list[str]:
    """EXPLAIN QUERY PLAN of every statement `run` executes."""
    seen: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.session() as session:
            run(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    with db.engine.connect() as conn:
        return [
            " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            for sql, params in seen
        ]


def test_sqlite_groups_the_report_in_index_order(db, policy):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL hashes the groups")
    seed(db, policy)
    w = windows(ReportPeriod.QUARTER, NOW)
    every = (w.current, w.previous, *w.weeks)
    sums, distinct = _plans(db, lambda s: aggregate.ticket_sums(s, every, distinct_accounts=(0, 1)))
    # No temporary B-tree for the GROUP BY: a quarter over 1M tickets sorted half a million rows.
    assert "COVERING INDEX ix_tickets_day_report" in sums and "TEMP B-TREE" not in sums, sums
    assert "COVERING INDEX ix_tickets_created_at_report" in distinct, distinct


def test_the_day_index_exists_on_sqlite_only(db):
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            sql = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ix_tickets_day_report'"))
            assert sql is not None and "substr(created_at, 1, 10), sla_tier, severity, created_at" in sql
        else:
            found = conn.scalar(text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_tickets_day_report'"))
            assert found is None
