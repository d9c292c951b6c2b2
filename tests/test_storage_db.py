"""Schema management: head detection without Alembic agrees with Alembic, and models match migrations."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from storage.db import Database, alembic_config, head_revisions
from tests.schema_diff import schema_diffs


def test_head_detection_matches_alembic(db: Database) -> None:
    assert set(head_revisions()) == set(ScriptDirectory.from_config(alembic_config(db.url)).get_heads())
    assert db.is_current()


def test_every_model_matches_the_migrations(db: Database) -> None:
    with db.engine.connect() as conn:
        diffs = schema_diffs(conn, compare_type=False)
    assert diffs == []


def test_empty_database_is_migrated_on_start(tmp_path: object) -> None:
    fresh = Database(f"sqlite:///{tmp_path}/fresh.db")
    assert not fresh.is_current()
    fresh.ensure_schema()
    assert fresh.is_current()
