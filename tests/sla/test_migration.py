from sqlalchemy import inspect

from tests.schema_diff import schema_diffs

OURS = {"tickets", "ticket_events"}


def _table_of(diff) -> str | None:
    """The table a compare_metadata entry is about: ('add_index', Index), ('remove_column', schema,
    'tickets', Column), ('add_table', Table), or a list of ('modify_type', schema, 'tickets', ...)."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        if isinstance(part, str):
            return part
        table = getattr(part, "table", None)  # indexes, constraints, columns
        if table is not None:
            return table.name
        if hasattr(part, "columns"):  # a Table
            return part.name
    return None


def test_migration_matches_models(db):
    with db.engine.connect() as conn:
        diffs = schema_diffs(conn)
    ours = [d for d in diffs if _table_of(d) in OURS]
    assert ours == []


def test_migration_creates_the_indexes(db):
    inspector = inspect(db.engine)
    indexes = {
        ix["name"]: (ix["column_names"], bool(ix["unique"])) for ix in inspector.get_indexes("tickets")
    }
    assert indexes == {
        "ix_tickets_open": (["status"], False),
        # Migration 0010: the report's covering index replaced ix_tickets_created_at_sla, whose
        # four columns still lead it (the digest's attainment query).
        "ix_tickets_created_at_report": (
            [
                "created_at",
                "sla_tier",
                "first_response_met",
                "resolution_met",
                "severity",
                "status",
                "agent_replies",
                "first_response_minutes",
                "resolution_minutes",
                "csat",
                "handle_minutes",
                "account_id",
            ],
            False,
        ),
        "ix_tickets_account_id_created_at": (["account_id", "created_at"], False),
    }
    events = {
        ix["name"]: (ix["column_names"], bool(ix["unique"])) for ix in inspector.get_indexes("ticket_events")
    }
    assert events == {"ix_ticket_events_ticket_id_at": (["ticket_id", "at"], True)}
    fks = inspector.get_foreign_keys("tickets")
    assert [(fk["referred_table"], fk["options"].get("ondelete")) for fk in fks] == [("accounts", "CASCADE")]
