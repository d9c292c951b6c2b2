"""The decisions front door: one transaction per commit, one guard against double commits, refusals as
data. (The same use cases over signed HTTP are in tests/handlers/test_decision*.py.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from bot.decisions import service
from bot.decisions.drafts import DraftState, new_draft, read_draft
from bot.decisions.record import DecisionInput
from bot.decisions.results import Changed, Committed, Duplicate, RefusalKind, Refused
from bot.schedule import ledger
from bot.schedule.ledger import DeliveryKey
from storage.db import Database
from storage.models.decisions import Decision, DecisionEvent
from tests.decisions.factory import NOW, TODAY, valid_input

ADMINS = frozenset({"UADMIN"})


def _draft(db: Database, state: DraftState | None = None, user: str = "UOWNER") -> str:
    with db.session() as session:
        return new_draft(session, user, state or DraftState(input=valid_input(), channel="C1"), NOW)


def _commit(db: Database, draft_id: str, user: str = "UOWNER", update=lambda data: data, channel=None):
    return service.commit(
        db, draft_id, user, update, admins=ADMINS, decisions_channel=channel, now=NOW, today=TODAY
    )


@contextmanager
def _commits(db: Database) -> Iterator[list[int]]:
    """Counts the transactions committed meanwhile."""
    seen: list[int] = []

    def count(_conn: object) -> None:
        seen.append(1)

    event.listen(db.engine, "commit", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "commit", count)


def test_commit_is_one_transaction_and_says_what_to_post(db: Database) -> None:
    draft_id = _draft(db)
    with _commits(db) as commits:
        result = _commit(db, draft_id, channel="CDECISIONS")
    assert len(commits) == 1
    assert isinstance(result, Committed)
    assert result.post_to == ("CDECISIONS", "C1", "UOWNER") and result.refresh == ()
    assert (result.record.id, result.record.status, [e.kind for e in result.record.events]) == (
        1,
        "open",
        ["created"],
    )
    # Its post is queued in the ledger by that same transaction: a stored record cannot lose its post.
    assert result.deliveries == (DeliveryKey("decision-post", "CDECISIONS", "1"),)
    [row] = ledger.rows(db, "decision-post")
    assert (row.status, row.attempts, row.payload) == (
        "pending",
        0,
        {
            "kind": "post",
            "decision": 1,
            "author": "UOWNER",
            "source": "C1",
            "channel": "CDECISIONS",
            "user": None,
        },
    )


def test_a_stale_draft_save_keeps_the_committed_id(db: Database) -> None:
    draft_id = _draft(db)
    with db.session() as session:
        stale = read_draft(session, draft_id, "UOWNER")
    result = _commit(db, draft_id)
    assert isinstance(result, Committed) and result.record.id == 1
    assert stale is not None and stale.committed_id is None
    # The second click of a double click, read before the commit, saves what it holds.
    service.save_step(db, draft_id, "UOWNER", lambda _: stale.input, NOW)
    with db.session() as session:
        again = read_draft(session, draft_id, "UOWNER")
    assert again is not None and again.committed_id == 1
    assert _commit(db, draft_id) == Duplicate(1)
    with db.session() as session:
        assert read_draft(session, draft_id, "USOMEONE") is None  # someone else's draft is not theirs
    assert _commit(db, draft_id, user="USOMEONE") == Refused(RefusalKind.EXPIRED)


def test_a_commit_waiting_on_another_reads_its_committed_id(db: Database) -> None:
    """The interleaving of a double click: the second submission arrives while the first holds the
    draft; it must wait and answer Duplicate with the first one's record, never store a second."""
    draft_id = _draft(db)
    inside, results = threading.Event(), {}

    def slow(data: DecisionInput) -> DecisionInput:
        inside.set()
        time.sleep(0.3)  # the draft is locked meanwhile
        return data

    first = threading.Thread(target=lambda: results.setdefault("first", _commit(db, draft_id, update=slow)))
    first.start()
    assert inside.wait(5)
    results["second"] = _commit(db, draft_id)
    first.join()
    assert isinstance(results["first"], Committed)
    assert results["second"] == Duplicate(results["first"].record.id)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 1
    # Posted exactly once: one ledger row, queued by the submission that committed; the Duplicate
    # carries nothing to post, and the draft still names the record for any later retry.
    assert results["first"].deliveries == (DeliveryKey("decision-post", "C1", "1"),)
    assert [(r.target, r.period) for r in ledger.rows(db, "decision-post")] == [("C1", "1")]
    with db.session() as session:
        kept = read_draft(session, draft_id, "UOWNER")
    assert kept is not None and kept.committed_id == 1
    assert _commit(db, draft_id) == Duplicate(1)


def test_a_refused_commit_keeps_what_was_typed_and_stores_nothing(db: Database) -> None:
    draft_id = _draft(db)
    result = _commit(db, draft_id, update=lambda data: data.merged({"rationale": " ", "risks": "Typed"}))
    assert isinstance(result, Refused) and result.kind is RefusalKind.INVALID
    assert list(result.errors) == ["rationale"]
    with db.session() as session:
        kept = read_draft(session, draft_id, "UOWNER")
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
    assert kept is not None and kept.input.risks == "Typed" and kept.committed_id is None


def test_superseding_by_a_stranger_is_refused_as_data(db: Database) -> None:
    assert isinstance(_commit(db, _draft(db)), Committed)
    refused = service.start_supersede(db, ADMINS, 1, "USTRANGER", None, NOW)
    assert refused == Refused(RefusalKind.NOT_ALLOWED, decision_id=1, owner="UOWNER")
    # A draft made before the refusal could be seen (the record changed hands) is refused at commit,
    # and keeps what was typed.
    draft_id = _draft(db, DraftState(input=valid_input(title="Mine"), supersedes_id=1), user="USTRANGER")
    result = _commit(db, draft_id, user="USTRANGER")
    assert result == Refused(RefusalKind.NOT_ALLOWED, decision_id=1, owner="UOWNER")
    with db.session() as session:
        kept = read_draft(session, draft_id, "USTRANGER")
    assert kept is not None and kept.input.title == "Mine"


def test_a_change_is_claimed_with_it(db: Database) -> None:
    assert isinstance(_commit(db, _draft(db)), Committed)

    def reverse(user: str, reason: str) -> object:
        return service.reverse(
            db, ADMINS, 1, actor=user, reason=reason, now=NOW, once="decision-reverse:V1:1"
        )

    # A refusal rolls its claim back with it: the same submission, fixed, goes through once.
    refused = reverse("UOWNER", " ")
    assert isinstance(refused, Refused) and refused.field == "reason"
    changed = reverse("UOWNER", "Cost up 20%")
    assert isinstance(changed, Changed) and changed.record.status == "reversed"
    assert reverse("UOWNER", "Cost up 20%") == Duplicate()
    with db.session() as session:
        kinds = list(session.scalars(select(DecisionEvent.kind).order_by(DecisionEvent.id)))
    assert kinds == ["created", "reversed"]
