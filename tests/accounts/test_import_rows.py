"""Reading accounts CSV files: every column form, and a clear reason for every refused row or file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.policy.model import Policy
from bot.text import normalize
from storage.db import Database
from tests.accounts.import_helpers import accounts, count_accounts, lines_of, run, write


def test_every_column_form(db: Database, policy: Policy, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "external_id,name,domain,acv,usage_criticality,strategic,health_score,owner,region\n"
        'A-1,Acme Corp,HTTPS://Acme.Example/support,"$25,000",HIGH,yes,82,u024be7lh,NA\n'
        "A-2,Globex,globex.example,25000.00,low,no,0,ana@globex.example,EMEA\n"
        "A-3,Initech,,1200,critical,1,100,,APAC\n"
        "A-4,Hooli,,1200,,0,,,\n"
        "A-5,Wonka,,1200,medium,TRUE,,,\n"
        "A-6,Stark,,1200,medium,False,,,\n",
    )
    report = run(db, policy, path)
    assert report.ok and report.written and report.new == 6
    stored = accounts(db)
    acme = stored["Acme Corp"]
    assert (acme.external_id, acme.domain, acme.acv, acme.usage_criticality) == (
        "A-1",
        "acme.example",
        Decimal("25000.00"),
        "high",
    )
    assert (acme.strategic, acme.health_score, acme.owner, acme.region, acme.tier) == (
        True,
        82,
        "U024BE7LH",
        "NA",
        "enterprise",
    )
    globex = stored["Globex"]
    assert (globex.acv, globex.strategic, globex.health_score, globex.owner) == (
        Decimal("25000"),
        False,
        0,
        "ana@globex.example",
    )
    assert stored["Initech"].strategic is True and stored["Initech"].health_score == 100
    assert stored["Initech"].tier == "professional"  # strategic lift from starter, and the critical floor
    hooli = stored["Hooli"]
    assert (hooli.usage_criticality, hooli.strategic, hooli.health_score, hooli.domain, hooli.region) == (
        "medium",
        False,
        None,
        None,
        None,
    )
    assert stored["Wonka"].strategic is True and stored["Wonka"].tier == "professional"
    assert stored["Stark"].strategic is False and stored["Stark"].tier == "starter"


def test_header_case_order_whitespace_and_unknown_columns(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    path = write(tmp_path, " ACV , Region,Notes ,NAME\n9800,EMEA,call back,Wayne Enterprises\n")
    report = run(db, policy, path)
    assert report.ok and report.new == 1
    assert report.notes == ["ignored unknown column(s): Notes"]
    wayne = accounts(db)["Wayne Enterprises"]
    assert (wayne.acv, wayne.region, wayne.tier, wayne.name_key) == (
        Decimal("9800"),
        "EMEA",
        "professional",
        "wayne enterprises",
    )


def test_line_numbers_count_physical_lines_of_multiline_values(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    path = write(tmp_path, 'name,acv\n"Two\nLines",100\n\nGood,5\nBad,x\n')
    report = run(db, policy, path)
    assert lines_of(report) == [2, 6]
    assert "control characters" in report.errors[0].message


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"name,acv\nAcme,100\nGlobex,200,extra\n", 3, "expected 2 fields as in the header, found 3"),
        (b'name,acv\nAcme,100\n"Globex,200\nHooli,5\n', 3, "never closes"),
        (b'name,acv\n"Acme"x,100\n', 2, "malformed quoting"),
        (b"name,acv\nAcme,100\nCaf\xe9,200\n", 3, "not UTF-8"),
        (b"", None, "the file is empty"),
        (b" \n\n", None, "the file is empty"),
        (b"name,region\nAcme,NA\n", 1, "missing required column(s) acv"),
        (b"Acme,100\n", 1, "missing required column(s) name, acv"),
        (b"name,acv,Name\nAcme,1,2\n", 1, "column 'name' appears twice"),
    ],
)
def test_malformed_csv_gets_a_clear_message(
    db: Database, policy: Policy, tmp_path: Path, data: bytes, line: int | None, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    report = run(db, policy, path)
    assert not report.ok and count_accounts(db) == 0
    assert report.errors[0].line == line
    assert reason in report.errors[0].message


def test_header_only_is_a_note_not_an_error(db: Database, policy: Policy, tmp_path: Path) -> None:
    report = run(db, policy, write(tmp_path, "name,acv\n"))
    assert report.ok and report.new == 0 and report.notes == ["the file has a header but no rows"]


def test_bom_and_japanese_names_round_trip(db: Database, policy: Policy, tmp_path: Path) -> None:
    names = ["アクメ株式会社", "株式会社サクラ電機", "Société Générale", "Ünïcødé GmbH"]
    body = "name,acv\n" + "".join(f"{n},{i + 1}000\n" for i, n in enumerate(names))
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    report = run(db, policy, path)
    assert report.ok, report.errors
    stored = accounts(db)
    assert sorted(stored) == sorted(names)
    for name in names:
        assert stored[name].name_key == normalize(name)
    assert stored["Société Générale"].name_key == "societe generale"


def test_long_values_are_refused_with_a_reason(db: Database, policy: Policy, tmp_path: Path) -> None:
    long_name = "N" * 10_000
    path = write(
        tmp_path,
        f"name,acv,region\n{'A' * 255},1,NA\n{long_name},1,NA\nShort,1,{'R' * 10_000}\n{'B' * 256},1,\n",
    )
    report = run(db, policy, path)
    assert [(e.line, e.message) for e in report.errors] == [
        (3, "name is 10,000 characters long (at most 255)"),
        (4, "region is 10,000 characters long (at most 64)"),
        (5, "name is 256 characters long (at most 255)"),
    ]
    assert count_accounts(db) == 0
    fixed = run(db, policy, write(tmp_path, f"name,acv\n{'A' * 255},1\n"))
    assert fixed.ok and accounts(db)["A" * 255].name_key == "a" * 255


def test_duplicate_external_id_in_the_file_is_an_error_on_both_lines(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    path = write(tmp_path, "external_id,name,acv\nD-1,Acme,1\nD-2,Globex,2\nD-1,Hooli,3\n")
    report = run(db, policy, path)
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "external_id 'D-1' is also on line 4"),
        (4, "external_id 'D-1' is also on line 2"),
    ]
    assert count_accounts(db) == 0


def test_duplicate_name_without_external_id_is_ambiguous(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    report = run(db, policy, write(tmp_path, "name,acv\nAcme Corp,1\nGlobex,2\nACME corp,3\n"))
    assert lines_of(report) == [2, 4]
    assert "also on line 4" in report.errors[0].message


def test_refused_values_each_give_a_reason(db: Database, policy: Policy, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name,acv,strategic,owner,domain\n"
        "A,1.234,,,\n"
        "B,1,maybe,,\n"
        "C,1,,not-an-owner,\n"
        "...,1,,,\n"
        "D,1,,,bad domain\n"
        "E,1e5,,,\n",
    )
    report = run(db, policy, path)
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "acv '1.234' has more than two decimal places"),
        (3, "strategic 'maybe' is not true/false, yes/no or 1/0"),
        (4, "owner 'not-an-owner' is neither a Slack user id (like U024BE7LH) nor an e-mail address"),
        (5, "name '...' has no letters or digits"),
        (6, "domain 'bad domain' is not a domain like acme.example"),
        (7, "acv '1e5' is not an amount like 25000, 25000.00 or $25,000"),
    ]


def test_blank_lines_before_the_header_keep_physical_line_numbers(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    report = run(db, policy, write(tmp_path, "\n\nname,acv\nAcme,1\nGlobex,x\n"))
    assert report.notes == ["the header is on line 3; blank lines before it were skipped"]
    assert [(e.line, e.message) for e in report.errors] == [
        (5, "acv 'x' is not an amount like 25000, 25000.00 or $25,000")
    ]
