"""Storing records and changing them: transitions, the append-only history, who may change what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.decisions.lifecycle import (
    DecisionNotFound,
    TransitionRefused,
    default_next_review,
    edit,
    reverse,
    review,
    supersede,
)
from bot.decisions.listing import ListQuery, list_decisions
from bot.decisions.store import (
    InvalidDecision,
    NotAllowed,
    can_change,
    create_decision,
    history,
    input_of,
)
from bot.services import Services
from storage.db import Database
from storage.models.decisions import Decision, DecisionEvent, HistoryIsAppendOnly, ReviewTrigger
from storage.versions import DECISIONS, read_version
from tests.conftest import add_account
from tests.decisions.factory import NOW, TODAY, today_plus, valid_input


def _create(db: Database, **changes: object) -> int:
    with db.session() as session:
        return create_decision(session, valid_input(**changes), actor="UCREATOR", now=NOW, today=TODAY).id


def _kinds(db: Database, decision_id: int) -> list[str]:
    with db.session() as session:
        return [e.kind for e in history(session, decision_id)]


def test_create_stores_everything_whole_and_logs_created(db: Database, services: Services) -> None:
    acme = add_account(db, services.policy, "Acme Corp", 32000)
    long = "é" * 3000
    decision_id = _create(
        db,
        evidence=long,
        account_ids=[acme, 999_999],  # an unknown account is dropped, not a crash
        triggers=[
            {"metric": "resolution_time", "scope_tier": "enterprise", "comparison": ">", "threshold": 8},
            {"metric": "health_score", "scope_account_id": acme, "comparison": "<", "threshold": 55},
        ],
        window_days=14,
    )
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        assert decision.status == "open" and decision.owner == "UOWNER" and decision.created_by == "UCREATOR"
        assert decision.evidence == long
        assert [o["key"] for o in decision.options] == ["A", "B", "C"]
        data = input_of(session, decision)
        assert data.account_ids == [acme] and data.tiers == ["professional"]
        triggers = session.scalars(select(ReviewTrigger).order_by(ReviewTrigger.id)).all()
        assert [
            (t.metric, t.scope_tier, t.scope_account_id, t.comparison, t.threshold, t.window_days, t.fired)
            for t in triggers
        ] == [
            ("resolution_time", "enterprise", None, ">", 8.0, 14, False),
            ("health_score", None, acme, "<", 55.0, 14, False),
        ]
        assert read_version(session, DECISIONS) == 1
    assert _kinds(db, decision_id) == ["created"]


def test_create_refuses_an_invalid_record(db: Database) -> None:
    with pytest.raises(InvalidDecision) as exc, db.session() as session:
        create_decision(session, valid_input(owner="", evidence=""), actor="U1", now=NOW, today=TODAY)
    assert set(exc.value.errors) == {"owner", "evidence"}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_review_continue_moves_the_review_date_and_stop_closes(db: Database, services: Services) -> None:
    decision_id = _create(db)
    with db.session() as session:
        decision = review(
            session,
            services.settings.admin_user_ids,
            decision_id,
            actor="UOWNER",
            outcome="continue",
            now=NOW,
            today=TODAY,
            note="On track",
            next_review=today_plus(60),
        )
        assert (decision.status, decision.last_outcome, decision.review_date) == (
            "reviewed",
            "continue",
            today_plus(60),
        )
    with db.session() as session:
        decision = review(
            session,
            services.settings.admin_user_ids,
            decision_id,
            actor="UADMIN",
            outcome="stop",
            now=NOW,
            today=TODAY,
        )
        assert decision.last_outcome == "stop" and decision.review_date == today_plus(60)
    with pytest.raises(TransitionRefused, match="stopped at its last review"), db.session() as session:
        review(
            session,
            services.settings.admin_user_ids,
            decision_id,
            actor="UOWNER",
            outcome="continue",
            now=NOW,
            today=TODAY,
        )
    assert _kinds(db, decision_id) == ["created", "reviewed", "reviewed"]
    with db.session() as session:
        _rows, total = list_decisions(session, ListQuery(status="open"), TODAY)
        assert total == 0  # stopped: no longer in force


def test_review_refuses_a_next_date_beyond_the_horizon(db: Database, services: Services) -> None:
    decision_id = _create(db, horizon=today_plus(40))
    with pytest.raises(TransitionRefused) as exc, db.session() as session:
        review(
            session,
            services.settings.admin_user_ids,
            decision_id,
            actor="UOWNER",
            outcome="adapt",
            now=NOW,
            today=TODAY,
            next_review=today_plus(41),
        )
    assert exc.value.field == "next_review"
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        # The default rhythm (30 days from creation to first review) is capped by the horizon.
        assert default_next_review(decision, today_plus(20)) == today_plus(40)
        assert default_next_review(decision, today_plus(40)) is None
    assert _kinds(db, decision_id) == ["created"]


def test_reverse_twice_is_refused_clearly(db: Database, services: Services) -> None:
    decision_id = _create(db)
    with db.session() as session:
        assert (
            reverse(
                session,
                services.settings.admin_user_ids,
                decision_id,
                actor="UOWNER",
                reason="Cost up 20%",
                now=NOW,
            ).status
            == "reversed"
        )
    with (
        pytest.raises(TransitionRefused, match=r"D-1 is already reversed; it cannot be reversed\."),
        db.session() as session,
    ):
        reverse(
            session, services.settings.admin_user_ids, decision_id, actor="UOWNER", reason="again", now=NOW
        )
    with (
        pytest.raises(TransitionRefused, match="only a decision in force is reviewed"),
        db.session() as session,
    ):
        review(
            session,
            services.settings.admin_user_ids,
            decision_id,
            actor="UOWNER",
            outcome="continue",
            now=NOW,
            today=TODAY,
        )
    assert _kinds(db, decision_id) == ["created", "reversed"]


def test_reverse_needs_a_reason(db: Database, services: Services) -> None:
    decision_id = _create(db)
    with pytest.raises(TransitionRefused) as exc, db.session() as session:
        reverse(session, services.settings.admin_user_ids, decision_id, actor="UOWNER", reason="  ", now=NOW)
    assert exc.value.field == "reason"


def test_supersede_links_both_records(db: Database, services: Services) -> None:
    old_id = _create(db)
    with db.session() as session:
        new, old = supersede(
            session,
            services.settings.admin_user_ids,
            old_id,
            valid_input(title="Wider pilot"),
            actor="UOWNER",
            now=NOW,
            today=TODAY,
            source_channel="C9",
        )
        new_id = new.id
        assert (old.status, old.superseded_by_id, new.supersedes_id) == ("superseded", new_id, old_id)
    assert _kinds(db, old_id) == ["created", "superseded"]
    with db.session() as session:
        assert history(session, old_id)[-1].detail == {"by": f"D-{new_id}"}
        assert history(session, new_id)[0].detail["supersedes"] == f"D-{old_id}"
    with pytest.raises(TransitionRefused, match=f"superseded by D-{new_id}"), db.session() as session:
        supersede(
            session,
            services.settings.admin_user_ids,
            old_id,
            valid_input(),
            actor="UOWNER",
            now=NOW,
            today=TODAY,
        )


def test_edit_records_old_and_new_values(db: Database, services: Services) -> None:
    decision_id = _create(db)
    with db.session() as session:
        current = input_of(session, session.get(Decision, decision_id))  # type: ignore[arg-type]
        _, changed = edit(
            session,
            services.settings.admin_user_ids,
            decision_id,
            current.merged({"rationale": "Cheaper", "tiers": ["enterprise"]}),
            actor="UADMIN",
            now=NOW + timedelta(hours=1),
            today=TODAY,
        )
    assert changed == ["rationale", "tiers"]
    with db.session() as session:
        event = history(session, decision_id)[-1]
        assert (event.kind, event.actor) == ("edited", "UADMIN")
        assert event.detail["changed"]["tiers"] == {"from": ["professional"], "to": ["enterprise"]}
        # Saving without changes adds nothing to the history.
        same = input_of(session, session.get(Decision, decision_id))  # type: ignore[arg-type]
        assert (
            edit(
                session,
                services.settings.admin_user_ids,
                decision_id,
                same,
                actor="UOWNER",
                now=NOW,
                today=TODAY,
            )[1]
            == []
        )
    assert _kinds(db, decision_id) == ["created", "edited"]


def test_only_owner_and_admins_can_change(db: Database, services: Services) -> None:
    decision_id = _create(db)
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        assert can_change(services.settings.admin_user_ids, decision, "UOWNER")
        assert can_change(services.settings.admin_user_ids, decision, "UADMIN")
        assert not can_change(
            services.settings.admin_user_ids, decision, "UCREATOR"
        )  # creating it is not owning it
        assert not can_change(services.settings.admin_user_ids, decision, "")
    for change in (
        lambda s: reverse(
            s, services.settings.admin_user_ids, decision_id, actor="USTRANGER", reason="x", now=NOW
        ),
        lambda s: review(
            s,
            services.settings.admin_user_ids,
            decision_id,
            actor="USTRANGER",
            outcome="stop",
            now=NOW,
            today=TODAY,
        ),
        lambda s: supersede(
            s,
            services.settings.admin_user_ids,
            decision_id,
            valid_input(),
            actor="USTRANGER",
            now=NOW,
            today=TODAY,
        ),
        lambda s: edit(
            s,
            services.settings.admin_user_ids,
            decision_id,
            valid_input(title="mine now"),
            actor="USTRANGER",
            now=NOW,
            today=TODAY,
        ),
    ):
        with pytest.raises(NotAllowed, match="Only the owner"), db.session() as session:
            change(session)
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert (
            decision is not None
            and decision.status == "open"
            and decision.title.startswith("Give Professional")
        )
        assert session.scalar(select(func.count()).select_from(Decision)) == 1
    assert _kinds(db, decision_id) == ["created"]


def test_unknown_decision(db: Database, services: Services) -> None:
    with pytest.raises(DecisionNotFound, match="There is no decision D-77"), db.session() as session:
        reverse(session, services.settings.admin_user_ids, 77, actor="UADMIN", reason="x", now=NOW)


def test_history_is_append_only(db: Database) -> None:
    decision_id = _create(db)
    with pytest.raises(HistoryIsAppendOnly), db.session() as session:
        session.scalars(select(DecisionEvent)).one().actor = "UFORGER"
        session.flush()
    with pytest.raises(HistoryIsAppendOnly), db.session() as session:
        session.delete(session.scalars(select(DecisionEvent)).one())
        session.flush()
    with db.session() as session:
        assert [(e.kind, e.actor) for e in history(session, decision_id)] == [("created", "UCREATOR")]


def test_lists_filter_by_status_tier_and_account(db: Database, services: Services) -> None:
    acme = add_account(db, services.policy, "Acme Corp", 32000)  # enterprise
    a = _create(db, tiers=["enterprise"], review_date=today_plus(5))
    b = _create(db, tiers=["starter"], account_ids=[acme], review_date=today_plus(2))
    c = _create(db, tiers=["starter"], review_date=today_plus(9))
    with db.session() as session:
        reverse(session, services.settings.admin_user_ids, c, actor="UOWNER", reason="x", now=NOW)

    def ids(query: ListQuery, day=TODAY) -> tuple[list[int], int]:
        with db.session() as session:
            rows, total = list_decisions(session, query, day)
            return [r.id for r in rows], total

    assert ids(ListQuery(status="open")) == ([b, a], 2)  # soonest review first
    assert ids(ListQuery(status="all")) == ([c, b, a], 3)  # newest first
    assert ids(ListQuery(status="due"), today_plus(4)) == ([b], 1)
    assert ids(ListQuery(status="open", tier="starter")) == ([b], 1)
    assert ids(ListQuery(status="all", account_id=acme, account_tier="enterprise")) == ([b, a], 2)
    assert ids(ListQuery(status="all", limit=1)) == ([c], 3)


def test_in_force_follows_status_and_outcome(db: Database, services: Services) -> None:
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    first, second = _create(db), _create(db)
    with db.session() as session:
        review(
            session,
            services.settings.admin_user_ids,
            first,
            actor="UOWNER",
            outcome="stop",
            now=NOW,
            today=TODAY,
        )
        reverse(session, services.settings.admin_user_ids, second, actor="UOWNER", reason="x", now=NOW)
    with db.session() as session:
        assert [d.in_force for d in session.scalars(select(Decision).order_by(Decision.id))] == [False, False]
    # A writer bypassing the ORM cannot leave the flag behind (lists and the scheduler rely on it).
    with pytest.raises(IntegrityError), db.session() as session:
        session.execute(update(Decision).where(Decision.id == second).values(status="open"))


def test_list_counts_are_capped(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.decisions import listing

    for _ in range(4):
        _create(db)
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    with db.session() as session:
        lines, total = list_decisions(session, ListQuery(status="open", limit=1), TODAY)
    assert (len(lines), total, listing.count_text(total)) == (1, 3, "2+")
    assert listing.count_text(2) == "2"
