"""Imports stream in chunks inside one transaction: all or nothing across chunks, bounded memory,
a size limit, and no character PostgreSQL cannot store."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.accounts import importer
from bot.accounts.csv_cells import storable
from bot.config import Settings
from bot.policy.model import Policy
from storage.db import Database
from tests.accounts.import_helpers import NOW, accounts, count_accounts, history, run, write


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK", 3)  # so that these files span several chunks


def _rows(n: int, start: int = 1) -> str:
    return "".join(f"C-{i},Company {i},{i * 1000}\n" for i in range(start, start + n))


def test_a_bad_row_in_a_late_chunk_writes_nothing(db: Database, policy: Policy, tmp_path: Path) -> None:
    body = "external_id,name,acv\n" + _rows(10) + "C-99,Late,not money\n"
    report = run(db, policy, write(tmp_path, body))
    assert [e.line for e in report.errors] == [12]
    assert count_accounts(db) == 0 and history(db) == []


def test_a_duplicate_across_chunks_is_named_on_both_lines_and_nothing_is_written(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    body = "external_id,name,acv\n" + _rows(8) + "C-2,Someone Else,5\n" + "X-1,Company 5,7\n"
    report = run(db, policy, write(tmp_path, body))
    assert [(e.line, e.message) for e in report.errors] == [
        (3, "external_id 'C-2' is also on line 10"),
        (10, "external_id 'C-2' is also on line 3"),
    ]
    assert count_accounts(db) == 0


def test_one_name_on_rows_with_distinct_ids_is_written_whole(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    """A repeated name is only a possible duplicate: writing pauses, and resumes when it is none."""
    body = "external_id,name,acv\n" + _rows(4) + "D-1,Company 1,500\n" + _rows(5, start=10)
    report = run(db, policy, write(tmp_path, body))
    assert report.ok and report.written and report.new == 10
    assert count_accounts(db) == 10 and len(history(db)) == 10


def test_a_dry_run_writes_nothing_and_counts_everything(db: Database, policy: Policy, tmp_path: Path) -> None:
    report = run(db, policy, write(tmp_path, "external_id,name,acv\n" + _rows(10)), dry_run=True)
    assert (report.ok, report.new, report.written) == (True, 10, False)
    assert count_accounts(db) == 0


def test_a_file_over_the_limit_is_refused_naming_it(db: Database, policy: Policy, tmp_path: Path) -> None:
    path = write(tmp_path, "external_id,name,acv\n" + _rows(100))
    report = run(db, policy, path, max_bytes=1000)
    assert not report.ok and count_accounts(db) == 0
    assert "over the import limit of 0.0 MB (IMPORT_MAX_BYTES)" in report.errors[0].message
    assert run(db, policy, io.StringIO(path.read_text()), max_bytes=1000).errors == report.errors


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPORT_MAX_BYTES", "2000000")
    assert Settings(_env_file=None).import_max_bytes == 2_000_000  # type: ignore[call-arg]
    monkeypatch.delenv("IMPORT_MAX_BYTES")
    assert Settings(_env_file=None).import_max_bytes == 100_000_000  # type: ignore[call-arg]


def test_nul_characters_are_stripped_from_cells(db: Database, policy: Policy, tmp_path: Path) -> None:
    assert storable("Ac\x00me") == "Acme" and storable("Acme") == "Acme"
    path = tmp_path / "nul.csv"
    path.write_bytes(b"external_id,name,acv,region\nN\x00-1,Ac\x00me Corp,1000,EM\x00EA\n")
    report = run(db, policy, path)
    assert report.ok, report.errors
    stored = accounts(db)["Acme Corp"]
    assert (stored.external_id, stored.region) == ("N-1", "EMEA")


def test_a_pipe_is_read_once_and_still_named_on_duplicates(db: Database, policy: Policy) -> None:
    class Pipe(io.StringIO):
        def seekable(self) -> bool:
            return False

    body = "external_id,name,acv\n" + _rows(5) + "C-1,Again,1\n"
    report = importer.import_accounts(db, policy, Pipe(body), now=NOW)
    assert [e.line for e in report.errors] == [2, 7]


def test_a_reimport_across_chunks_matches_each_chunk_against_stored_accounts(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    assert run(db, policy, write(tmp_path, "external_id,name,acv\n" + _rows(10))).ok
    # By external_id, and by name for a row without one; one row updates nothing, one is new.
    body = "external_id,name,acv\n" + _rows(8) + ",Company 9,30000\nC-10,Company 10,10000\nN-1,New,5\n"
    report = run(db, policy, write(tmp_path, body))
    assert (report.ok, report.new, report.updated, report.unchanged) == (True, 1, 1, 9)
    assert accounts(db)["Company 9"].acv == 30000 and count_accounts(db) == 11


def test_two_rows_updating_one_stored_account_in_different_chunks(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    assert run(db, policy, write(tmp_path, "external_id,name,acv\n" + _rows(3))).ok
    body = "external_id,name,acv\n,Company 1,1\n" + _rows(5, start=20) + "C-1,Renamed,2\n"
    report = run(db, policy, write(tmp_path, body))
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "updates the same account (#1 'Company 1') as line 8"),
        (8, "updates the same account (#1 'Company 1') as line 2"),
    ]
    assert count_accounts(db) == 3
    # A row that repeats a name in the file is refused as such, and only as such (line 8 only).
    body = "external_id,name,acv\nC-1,Company 1,1\n" + _rows(5, start=20) + ",Company 1,2\n"
    report = run(db, policy, write(tmp_path, body))
    assert [e.line for e in report.errors] == [8]
    assert "is also on line 2" in report.errors[0].message
