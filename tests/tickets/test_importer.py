import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.tickets.importer import import_ticket_events, import_tickets
from storage.models import DataVersion
from storage.models.tickets import Ticket, TicketEvent
from tests.sla.factories import add_account, load, ticket, tickets_csv, utc

GOOD = (
    "\ufeffSubject,ID,Account,Severity,Status,Created At,first_response_at,solved_at,handle_minutes,"
    "agent_replies,CSAT,assignee\n"
    "請求書のPDFが文字化けする,JP-1,ACME-JP,sev3,solved,2026-11-10T09:00:00+09:00,2026-11-10T09:30:00+09:00,"
    "2026-11-10T12:00:00+09:00,45,1,5,ken\n"
    "API down,T-2,Globex Corporation,urgent,on_hold,2026-11-18T10:00:00Z,2026-11-18T10:10:00Z,,30.0,2,,\n"
    "Typo,T-3,acme-jp,Low,Hold,2026-11-18T10:00:00Z,,,,,,\n"
)


def _setup(db):
    add_account(db, "ACME-JP", "professional", 14800, name="アクメ株式会社")
    add_account(db, "GLOBEX-002", "enterprise", 40000, name="Globex Corporation")


def _tickets(db):
    with db.session() as session:
        return {t.id: t for t in session.scalars(select(Ticket))}


def _count(db, model=Ticket):
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_good_file(db, policy):
    _setup(db)
    report = import_tickets(db, policy, io.StringIO(GOOD))
    assert (report.ok, report.rows, report.created, report.updated, report.unchanged) == (True, 3, 3, 0, 0)
    stored = _tickets(db)
    jp = stored["JP-1"]
    assert jp.subject == "請求書のPDFが文字化けする"
    assert jp.created_at == datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
    assert (jp.severity, jp.status, jp.handle_minutes, jp.agent_replies, jp.csat, jp.assignee) == (
        "sev3", "solved", 45, 1, 5, "ken",
    )  # fmt: skip
    # Professional sev3: 8h first response, 3d resolution, business hours; both met.
    assert (jp.sla_tier, jp.first_response_minutes, jp.resolution_minutes) == ("professional", 30, 180)
    assert (jp.first_response_met, jp.resolution_met) == (True, True)
    t2 = stored["T-2"]
    assert (t2.severity, t2.status, t2.handle_minutes, t2.csat, t2.assignee) == (
        "sev1",
        "on-hold",
        30,
        None,
        None,
    )
    assert (t2.first_response_met, t2.resolution_met, t2.sla_tier) == (True, None, "enterprise")
    assert (stored["T-3"].severity, stored["T-3"].status) == ("sev4", "on-hold")
    with db.session() as session:
        assert session.get(DataVersion, "tickets").version == 1


def test_bad_rows_are_all_reported_and_nothing_is_written(db, policy):
    _setup(db)
    text = GOOD + (
        "x,T-4,NOPE,sev1,open,2026-11-18T10:00:00Z,,,,,,\n"  # line 5
        "x,T-5,ACME-JP,sev9,opened,2026-11-18T10:00:00Z,,,,,,\n"  # line 6
        "x,T-6,ACME-JP,sev1,open,2026-11-18T10:00:00Z,2026-11-18T09:00:00Z,,,,,\n"  # line 7
        "x,T-7,ACME-JP,sev1,solved,2026-11-18T10:00:00Z,,,,,,\n"  # line 8
        "x,T-8,ACME-JP,sev1,open,2026-11-18T10:00:00Z,,,-5,,7,\n"  # line 9
        "x,T-3,ACME-JP,sev1,open,2026-11-18T10:00:00Z,,,,,,\n"  # line 10
        "x,T-9,ACME-JP,sev1,open,yesterday,,,,,,\n"  # line 11
    )
    report = import_tickets(db, policy, io.StringIO(text))
    assert not report.ok
    assert [(e.line, e.message) for e in report.errors] == [
        (5, "unknown account 'NOPE' (no account has that external id or name)"),
        (6, "severity 'sev9' is not sev1-sev4 or urgent/high/normal/low; "
            "status 'opened' is not one of new, open, pending, on-hold, solved, closed"),
        (7, "first_response_at is before created_at"),
        (8, "status solved needs a solved_at time"),
        (9, "handle_minutes '-5' must be a number from 0; csat '7' must be a whole rating from 1 to 5"),
        (10, "ticket 'T-3' is already on line 4"),
        (11, "created_at 'yesterday' is not an ISO 8601 time like 2026-11-20T09:30:00Z"),
    ]  # fmt: skip
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert _count(db) == 0


def test_errors_after_many_batches_still_write_nothing(db, policy):
    _setup(db)
    rows = [ticket(f"T{i}", "ACME-JP", "sev3", "new", utc(2026, 11, 18)) for i in range(5000)]
    rows.append(ticket("BAD", "ACME-JP", "sev3", "new", "2026-11-18 10:00"))
    report = import_tickets(db, policy, io.StringIO(tickets_csv(rows)))
    assert [(e.line, e.message) for e in report.errors] == [
        (5002, "created_at '2026-11-18 10:00' has no UTC offset; add one, e.g. 2026-11-18 10:00Z or "
               "2026-11-18 10:00+09:00"),
    ]  # fmt: skip
    assert _count(db) == 0


def test_naive_timestamps_are_refused(db, policy):
    _setup(db)
    text = tickets_csv(
        [ticket("N1", "ACME-JP", "sev3", "solved", "2026-11-18T10:00:00", solved_at="2026-11-19")]
    )
    report = import_tickets(db, policy, io.StringIO(text))
    assert [str(e) for e in report.errors] == [
        "line 2: created_at '2026-11-18T10:00:00' has no UTC offset; add one, e.g. 2026-11-18T10:00:00Z or "
        "2026-11-18T10:00:00+09:00; solved_at '2026-11-19' has no UTC offset; add one, e.g. 2026-11-19Z or "
        "2026-11-19+09:00"
    ]


def test_upsert_by_id(db, policy):
    _setup(db)
    load(db, policy, [ticket("U1", "ACME-JP", "sev2", "new", utc(2026, 11, 18, 15)),
                      ticket("U2", "ACME-JP", "sev2", "new", utc(2026, 11, 18, 15))])  # fmt: skip
    report = load(db, policy, [
        ticket("U1", "ACME-JP", "sev2", "new", utc(2026, 11, 18, 15)),
        ticket("U2", "ACME-JP", "sev2", "solved", utc(2026, 11, 18, 15), first_response_at=utc(2026, 11, 18, 16),
               solved_at=utc(2026, 11, 18, 17), csat=4),
        ticket("U3", "GLOBEX-002", "sev4", "open", utc(2026, 11, 18, 15)),
    ])  # fmt: skip
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    stored = _tickets(db)
    assert (stored["U2"].status, stored["U2"].csat, stored["U2"].resolution_minutes) == ("solved", 4, 120)
    assert stored["U2"].resolution_met is True
    assert len(stored) == 3


def test_missing_optional_columns_keep_stored_values(db, policy):
    _setup(db)
    load(
        db, policy, [ticket("K1", "ACME-JP", "sev2", "open", utc(2026, 11, 18, 15), csat=5, subject="Hello")]
    )
    text = tickets_csv([ticket("K1", "ACME-JP", "sev1", "open", utc(2026, 11, 18, 15))],
                       ("id", "account", "severity", "status", "created_at"))  # fmt: skip
    report = import_tickets(db, policy, io.StringIO(text))
    assert (report.updated, report.unchanged) == (1, 0)
    k1 = _tickets(db)["K1"]
    assert (k1.severity, k1.csat, k1.subject) == ("sev1", 5, "Hello")


def test_dry_run_writes_nothing(db, policy):
    _setup(db)
    report = import_tickets(db, policy, io.StringIO(GOOD), dry_run=True)
    assert (report.ok, report.created, report.dry_run, report.written) == (True, 3, True, False)
    assert _count(db) == 0


def test_long_subjects_are_cut_and_reported(db, policy):
    _setup(db)
    long = "データ" * 400
    report = load(db, policy, [ticket("L1", "ACME-JP", "sev3", "new", utc(2026, 11, 18), subject=long)])
    assert report.notes == ["1 subject(s) cut to 500 characters (lines 2)"]
    assert _tickets(db)["L1"].subject == long[:499] + "…"


def test_header_problems_and_quoted_multiline_rows(db, policy):
    _setup(db)
    missing = import_tickets(db, policy, io.StringIO("id,account,severity\nT1,ACME-JP,sev1\n"))
    assert [str(e) for e in missing.errors] == [
        "line 1: missing column(s): status, created_at (header: id, account, severity)"
    ]
    text = (
        "id,account,severity,status,created_at,subject\n"
        'M1,ACME-JP,sev3,new,2026-11-18T10:00:00Z,"two\nlines"\n'
        "M2,ACME-JP,sev3,new,2026-11-18T10:00:00Z,ok,extra\n"
        "\n"
        "M3,ACME-JP,bad,new,2026-11-18T10:00:00Z,x\n"
    )
    report = import_tickets(db, policy, io.StringIO(text))
    assert [str(e) for e in report.errors] == [
        "line 4: 7 fields where the header has 6",
        "line 6: severity 'bad' is not sev1-sev4 or urgent/high/normal/low",
    ]


def test_ambiguous_account_name_is_refused(db, policy):
    add_account(db, "X-1", "starter", name="Twin")
    add_account(db, "X-2", "starter", name="Twin")
    report = import_tickets(
        db, policy, io.StringIO(tickets_csv([ticket("A", "Twin", "sev3", "new", utc(2026, 1, 1))]))
    )
    assert [str(e) for e in report.errors] == [
        "line 2: account 'Twin' matches 2 accounts by name; use the external id"
    ]


def test_progress_is_reported(db, policy, tmp_path):
    _setup(db)
    path = tmp_path / "t.csv"
    path.write_text(
        tickets_csv([ticket(f"P{i}", "ACME-JP", "sev3", "new", utc(2026, 11, 18)) for i in range(4500)])
    )
    calls = []
    report = import_tickets(db, policy, path, progress=lambda done, total: calls.append((done, total)))
    assert report.created == 4500
    assert calls == [(2000, 4500), (4000, 4500), (4500, 4500)]


def test_events_update_stored_outcomes(db, policy):
    _setup(db)
    # Enterprise sev1 (4h resolution, round the clock), solved after 5h: missed...
    load(db, policy, [ticket("E1", "GLOBEX-002", "sev1", "solved", utc(2026, 11, 18, 10),
                             first_response_at=utc(2026, 11, 18, 10, 10), solved_at=utc(2026, 11, 18, 15))])  # fmt: skip
    assert _tickets(db)["E1"].resolution_met is False
    events = (
        "Ticket_ID,At,Status\n"
        "E1,2026-11-18T11:00:00Z,pending\n"
        "E1,2026-11-18T13:00:00+01:00,open\n"  # 12:00 UTC
    )
    report = import_ticket_events(db, policy, io.StringIO(events))
    assert (report.ok, report.created) == (True, 2)
    # ...but it waited on the customer for an hour, so 4h of clock: met.
    assert _tickets(db)["E1"].resolution_met is True
    # The pause was a mistake: the ticket stayed open all along.
    again = import_ticket_events(db, policy, io.StringIO(events.replace("pending", "open")))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert _tickets(db)["E1"].resolution_met is False
    assert _count(db, TicketEvent) == 2


def test_bad_events_write_nothing(db, policy):
    _setup(db)
    load(db, policy, [ticket("E1", "GLOBEX-002", "sev1", "new", utc(2026, 11, 18, 10))])
    events = (
        "ticket_id,at,status\n"
        "E1,2026-11-18T11:00:00Z,pending\n"
        "NOPE,2026-11-18T11:00:00Z,open\n"
        "E1,2026-11-18T09:00:00Z,open\n"
        "E1,2026-11-18T11:00:00Z,open\n"
        "E1,2026-11-18T12:00:00,open\n"
    )
    report = import_ticket_events(db, policy, io.StringIO(events))
    assert [str(e) for e in report.errors] == [
        "line 3: unknown ticket 'NOPE' (import the tickets first)",
        "line 4: event at 2026-11-18T09:00:00+00:00 is before the ticket was created",
        "line 5: ticket 'E1' already has an event at 2026-11-18 11:00:00+00:00 on line 2",
        "line 6: at '2026-11-18T12:00:00' has no UTC offset; add one, e.g. 2026-11-18T12:00:00Z or "
        "2026-11-18T12:00:00+09:00",
    ]
    assert _count(db, TicketEvent) == 0


def test_bulk_insert_stores_times_exactly_as_the_orm_does(db, policy):
    from sqlalchemy import text

    _setup(db)
    created = datetime(2026, 11, 18, 19, 30, 5, 120000, tzinfo=ZoneInfo("Asia/Tokyo"))
    load(db, policy, [ticket("BULK", "ACME-JP", "sev3", "new", created)])
    with db.session() as session:
        session.add(
            Ticket(id="ORM", account_id=1, severity="sev3", status="new", created_at=created, sla_tier="x")
        )
    with db.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, created_at FROM tickets")).all())
    assert stored["BULK"] == stored["ORM"]
    with db.session() as session:
        found = session.scalars(select(Ticket.id).where(Ticket.created_at == created)).all()
    assert sorted(found) == ["BULK", "ORM"]


def test_a_tier_change_never_rejudges_a_ticket_on_reimport(db, policy):
    """README, "Tier changes and open tickets": solved tickets keep their verdict, open ones the targets
    of the tier they were opened in, whatever the account's tier when the helpdesk export comes again."""
    from storage.models import Account

    account = add_account(db, "A", "starter")
    created = utc(2026, 11, 16, 15, 0)  # a Monday, inside Starter's business hours
    rows = [
        # Resolved in 31h: within Starter's sev2 resolution target, far over Enterprise's.
        ticket("S", "A", "sev2", "solved", created, first_response_at=utc(2026, 11, 16, 15, 30),
               solved_at=utc(2026, 11, 17, 22, 0), csat=4),
        ticket("O", "A", "sev2", "open", created, first_response_at=utc(2026, 11, 16, 15, 30)),
    ]  # fmt: skip
    load(db, policy, rows)
    before = {t.id: (t.sla_tier, t.first_response_met, t.resolution_met) for t in _tickets(db).values()}
    with db.session() as session:
        session.get(Account, account).tier = "enterprise"  # an override or a move
    rows[0]["csat"] = 5  # the helpdesk's next export: something changed, so the rows are rewritten
    rows[1]["subject"] = "still open"
    report = import_tickets(db, policy, io.StringIO(tickets_csv(rows)))
    assert (report.ok, report.updated) == (True, 2)
    after = {t.id: (t.sla_tier, t.first_response_met, t.resolution_met) for t in _tickets(db).values()}
    assert after == before
    assert before["S"] == ("starter", True, True)
