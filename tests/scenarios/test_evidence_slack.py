"""Scenarios as evidence (issue 12 item 3), over signed HTTP and the local Slack fake: a result attached to
a new decision and committed, to an existing draft, refused on a closed decision; a review re-runs it on
changed data; the export carries it."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import decisions as decisions_cli
from bot.config import get_settings
from bot.decisions import service as decisions
from bot.decisions.export import to_dict, to_markdown
from bot.decisions.lifecycle import reverse
from bot.decisions.store import create_decision
from bot.policy.model import Policy
from bot.scenarios.runs import keep_run
from bot.scenarios.service import ScenarioResult, run_scenario
from bot.scenarios.variant import Variant
from bot.services import Services
from bot.views import decision_ids, scenario_ids
from bot.views.scenario import scenario_evidence
from storage.db import Database
from storage.models.decisions import Decision, DecisionDraft, DecisionEvent
from storage.models.scenarios import DecisionScenario, ScenarioRun
from storage.models.tickets import Ticket
from tests.conftest import add_account
from tests.decisions.factory import valid_input
from tests.decisions.flow import commit_answers, posted, sent_view, submit, wait_for
from tests.fake_slack import FakeSlack, eventually, validate_view
from tests.scenarios.example import HANDLE, NOW, POLICY, POLICY_FILE, seed
from tests.slack_http import SlackHTTP

COMMAND = "premium=15000 days=7"


@pytest.fixture
def policy() -> Policy:
    return POLICY


@pytest.fixture
def seeded(db: Database, services: Services) -> None:
    seed(db)
    services.clock = lambda: NOW


def _result(slack: SlackHTTP, fake: FakeSlack, text: str = COMMAND) -> dict[str, Any]:
    before = len(fake.responses)
    assert slack.command("/tier", f"scenario {text}").status_code == 200
    return eventually(lambda: fake.responses[before:], timeout=30)[0]  # type: ignore[no-any-return]


def _buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def _kept(db: Database, user: str = "U1") -> str:
    """A run kept as the Slack result would keep it (without going through Slack)."""
    with db.engine.connect() as conn:
        result = run_scenario(conn, POLICY, NOW, Variant((("premium", Decimal(15000)),), days=7))
    assert isinstance(result, ScenarioResult)
    with db.session() as session:
        return keep_run(session, result, user, scenario_evidence(result), NOW)


def _rows(db: Database) -> list[DecisionScenario]:
    with db.session() as session:
        rows = list(session.scalars(select(DecisionScenario).order_by(DecisionScenario.id)))
        session.expunge_all()
        return rows


def _attach_modal(slack: SlackHTTP, fake: FakeSlack, run_id: str, user: str = "U1") -> dict[str, Any]:
    before = len(fake.calls_to("views.open"))
    assert slack.block_action(scenario_ids.ADD_TO_DECISION, run_id, user_id=user).status_code == 200
    wait_for(fake, "views.open", before + 1)
    view = sent_view(fake, "views.open")
    validate_view(view)
    assert view["callback_id"] == scenario_ids.ATTACH_MODAL
    return view


def _review_date() -> str:
    return (NOW.date() + timedelta(days=30)).isoformat()


def _commit_via_log_a_decision(slack: SlackHTTP, fake: FakeSlack) -> int:
    result = _result(slack, fake)
    button = _buttons(result)[scenario_ids.LOG_DECISION]
    assert slack.block_action(button["action_id"], button["value"]).status_code == 200
    compare = sent_view(fake, "views.open")
    assert compare["callback_id"] == decision_ids.COMPARE
    assert "D 1.88 -&gt; 3.40" in json.dumps(compare) or "D 1.88 -> 3.40" in json.dumps(compare)
    commit = submit(slack, compare, {decision_ids.ASSUMPTIONS: "Staffing stays as it is."})
    assert commit["response_action"] == "update", commit
    answers = commit_answers(
        **{
            decision_ids.REVIEW_DATE: _review_date(),
            decision_ids.TRIGGER.format(n=1, part="scope"): "tier:premium",
        }
    )
    assert submit(slack, commit["view"], answers) == {"response_action": "clear"}
    message = posted(fake)
    return int(message["blocks"][0]["text"]["text"].split(" ")[0].removeprefix("D-"))


def test_a_new_decision_keeps_the_scenario_as_data(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, seeded: None
) -> None:
    decision_id = _commit_via_log_a_decision(slack, fake_slack)
    (row,) = _rows(db)
    # Handed from the draft to the record at commit: the record keeps the numbers it was decided on.
    assert (row.decision_id, row.draft_id, row.kind, row.command) == (decision_id, None, "scenario", COMMAND)
    assert row.as_of == NOW and row.attached_by == "U1"
    assert row.inputs["thresholds"] == {"premium": 15000} and row.inputs["days"] == 7
    assert row.results["kind"] == "scenario" and row.results["schema_version"] == 1
    assert row.results["measures"]["variant"]["differentiation"] == pytest.approx(3.4, abs=0.005)
    assert row.figures["movers"] == 1
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None and "Scenario `premium=15000 days=7`" in decision.evidence

    # `tierbot decisions export` carries it: inputs, key figures, and in JSON every figure.
    record = decisions.record(db, decision_id)
    assert record is not None
    markdown = to_markdown(record, POLICY)
    assert "### Attached scenario: `premium=15000 days=7`" in markdown
    assert "- D differentiation: 1.88 -> 3.40" in markdown
    assert "- Accounts changing tier: 1" in markdown
    assert (
        markdown.index("## Scenario ranges")
        < markdown.index("### Attached scenario")
        < markdown.index("## Trade-off summary")
    )
    (exported,) = to_dict(record)["scenarios"]
    assert exported["command"] == COMMAND and exported["inputs"]["thresholds"] == {"premium": 15000}
    assert exported["results"]["movers"][0]["name"] == "A2" and exported["figures"]["movers"] == 1

    # The record's View lists it.
    assert slack.block_action(decision_ids.VIEW, str(decision_id)).status_code == 200
    shown = sent_view(fake_slack, "views.open")
    validate_view(shown)
    assert "`premium=15000 days=7` (scenario, data of 2026-11-20, attached by <@U1>)" in json.dumps(shown)


def test_the_cli_export_carries_the_scenario(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    decision_id = _commit_via_log_a_decision(slack, fake_slack)
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("TIER_POLICY_FILE", str(POLICY_FILE))
    get_settings.cache_clear()
    try:
        app = typer.Typer()
        decisions_cli.register(app, typer.Typer())
        markdown = CliRunner().invoke(app, ["decisions", "export", f"D-{decision_id}"])
        exported = CliRunner().invoke(app, ["decisions", "export", f"D-{decision_id}", "--format", "json"])
    finally:
        get_settings.cache_clear()
    assert markdown.exit_code == 0, markdown.output
    assert "### Attached scenario: `premium=15000 days=7`" in markdown.output
    assert exported.exit_code == 0, exported.output
    (scenario,) = json.loads(exported.output)["scenarios"]
    assert scenario["results"]["measures"]["today"]["differentiation"] == pytest.approx(1.88, abs=0.005)


def test_a_sweep_exports_its_flip_point(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, services: Services, seeded: None
) -> None:
    result = _result(slack, fake_slack, "sweep premium=3000..21000 step 1000 days=7 budget=6000")
    run_id = _buttons(result)[scenario_ids.ADD_TO_DECISION]["value"]
    with db.session() as session:
        decision_id = create_decision(
            session, valid_input(owner="U1", tiers=["premium"]), actor="U1", now=NOW, today=NOW.date()
        ).id
    view = _attach_modal(slack, fake_slack, run_id)
    done = submit(slack, view, {scenario_ids.ATTACH_TARGET: f"decision:{decision_id}"})
    assert done["response_action"] == "update", done
    record = decisions.record(db, decision_id)
    assert record is not None
    assert record.data.scenario_ranges.endswith(
        "flip point none in range; over the budget of $6,000 from $11,000"
    )
    markdown = to_markdown(record, POLICY)
    assert "### Attached sweep: `premium=3000..21000 step 1000 days=7 budget=6000`" in markdown
    assert "- Flip point: none in range; over the budget of $6,000 from $11,000" in markdown


def test_add_to_an_existing_draft_once(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, seeded: None
) -> None:
    assert slack.command("/decision", "", channel_id="C1").status_code == 200
    frame = sent_view(fake_slack, "views.open")
    title = "Raise the premium threshold?"
    compare = submit(
        slack,
        frame,
        {
            decision_ids.TITLE: title,
            decision_ids.OBJECTIVE: "Fewer premium accounts.",
            decision_ids.SCOPE: "All.",
        },
    )
    assert compare["response_action"] == "update", compare
    run_id = _buttons(_result(slack, fake_slack))[scenario_ids.ADD_TO_DECISION]["value"]
    view = _attach_modal(slack, fake_slack, run_id)
    (select_block,) = [b for b in view["blocks"] if b.get("block_id") == scenario_ids.ATTACH_TARGET]
    options = select_block["element"]["options"]
    assert [o["text"]["text"] for o in options] == [f"Draft: {title}"]
    answer = {scenario_ids.ATTACH_TARGET: options[0]["value"]}
    done = submit(slack, view, answer)
    assert done["response_action"] == "update" and "Added to your draft" in json.dumps(done["view"])
    again = submit(slack, view, answer)  # a double submit, or Slack's retry
    assert "already attached" in json.dumps(again["view"])
    (row,) = _rows(db)
    assert row.draft_id is not None and row.decision_id is None and row.run_id == run_id
    with db.session() as session:
        draft = session.get(DecisionDraft, row.draft_id)
        assert draft is not None
        assert draft.data["input"]["evidence"].startswith(
            "Scenario `premium=15000 days=7` (tierbot, 2026-11-20)"
        )
    # The draft, now at Compare, shows the scenario in its evidence when the user goes on.
    compare_view = compare["view"]
    assert compare_view["callback_id"] == decision_ids.COMPARE


def test_attaching_to_a_closed_or_missing_decision_is_refused(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, services: Services, seeded: None
) -> None:
    with db.session() as session:
        open_id = create_decision(
            session,
            valid_input(owner="U1", evidence="Observed: 12 tickets."),
            actor="U1",
            now=NOW,
            today=NOW.date(),
        ).id
        closed_id = create_decision(
            session, valid_input(owner="U1"), actor="U1", now=NOW, today=NOW.date()
        ).id
        theirs = create_decision(session, valid_input(owner="U9"), actor="U9", now=NOW, today=NOW.date()).id
    with db.session() as session:
        reverse(session, (), closed_id, actor="U1", reason="Churn risk", now=NOW)
    run_id = _kept(db)
    view = _attach_modal(slack, fake_slack, run_id)
    listed = [o["value"] for b in view["blocks"] if b["type"] == "input" for o in b["element"]["options"]]
    assert listed == [f"decision:{open_id}"]  # not the reversed one, not someone else's

    def attach(target: str) -> dict[str, Any]:
        return submit(slack, view, {scenario_ids.ATTACH_TARGET: target})

    closed = attach(f"decision:{closed_id}")
    assert closed == {
        "response_action": "errors",
        "errors": {
            scenario_ids.ATTACH_TARGET: f"D-{closed_id} is reversed; a scenario is attached only to an open "
            "decision. Log a new decision with it instead."
        },
    }
    assert attach("decision:99999")["errors"] == {scenario_ids.ATTACH_TARGET: "There is no decision D-99999."}
    assert "Only the owner" in attach(f"decision:{theirs}")["errors"][scenario_ids.ATTACH_TARGET]
    assert attach("draft:nope")["errors"] == {
        scenario_ids.ATTACH_TARGET: "That draft is gone (finished or expired)."
    }
    assert attach("junk")["errors"] == {scenario_ids.ATTACH_TARGET: "Pick a decision."}
    assert _rows(db) == []

    # The open one takes it: evidence appended, the edit in its history, the data kept.
    assert "Added to D-" in json.dumps(attach(f"decision:{open_id}")["view"])
    (row,) = _rows(db)
    assert row.decision_id == open_id
    with db.session() as session:
        decision = session.get(Decision, open_id)
        assert decision is not None
        assert decision.evidence.startswith("Observed: 12 tickets.\nScenario `premium=15000 days=7`")
        (event,) = session.scalars(
            select(DecisionEvent).where(DecisionEvent.decision_id == open_id, DecisionEvent.kind == "edited")
        ).all()
        assert event.detail["scenario"] == COMMAND and set(event.detail["changed"]) == {"evidence"}

    # A result older than a week is no longer kept: its buttons say so.
    with db.session() as session:
        session.execute(ScenarioRun.__table__.delete())
    assert slack.block_action(scenario_ids.ADD_TO_DECISION, run_id).status_code == 200
    (said,) = eventually(lambda: fake_slack.responses[-1:])
    assert "no longer kept" in said["text"]


def _more_data(db: Database) -> None:
    """A fifth account, premium today and basic under the variant, with two tickets in the window."""
    account = add_account(db, POLICY, "A5", 13000, usage_criticality="medium")
    with db.session() as session:
        for m, (severity, minutes) in enumerate((("sev1", 320), ("sev2", 500))):
            created = NOW - timedelta(days=2, hours=m)
            session.add(
                Ticket(
                    id=f"T-A5-{severity}",
                    account_id=account,
                    severity=severity,
                    status="solved",
                    created_at=created,
                    first_response_at=created + timedelta(minutes=minutes),
                    solved_at=created + timedelta(minutes=minutes + 120),
                    handle_minutes=HANDLE,
                    agent_replies=1,
                    sla_tier="premium",
                    first_response_minutes=minutes,
                    resolution_minutes=minutes + 120,
                )
            )


def test_start_review_reruns_the_scenario_and_shows_what_moved(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, services: Services, seeded: None
) -> None:
    decision_id = _commit_via_log_a_decision(slack, fake_slack)
    _more_data(db)
    services.clock = lambda: NOW + timedelta(days=1)  # the review happens the day after, on changed data
    response = slack.block_action(decision_ids.START_REVIEW, str(decision_id), channel_id="C1")
    assert response.status_code == 200
    opened = sent_view(fake_slack, "views.open")
    assert opened["callback_id"] == decision_ids.REVIEW_MODAL
    assert "Re-running the 1 attached scenario on today" in json.dumps(opened, ensure_ascii=False)
    (update,) = wait_for(fake_slack, "views.update", timeout=30)
    view = update.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    validate_view(view)
    assert update.params["view_id"]
    # The inputs keep their ids, so what the reviewer typed meanwhile survives the update.
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == [
        b.get("block_id") for b in opened["blocks"] if b["type"] == "input"
    ]
    blob = json.dumps(view, ensure_ascii=False)
    assert "`premium=15000 days=7`: 2026-11-20 → 2026-11-21" in blob
    assert "*Accounts changing tier: 1 → 2 (+1)*" in blob
    assert "D differentiation: 3.40 →" in blob and "Projected cost:" in blob
    assert "SLA attainment:" in blob and "J need fairness:" in blob and "Priority inversions:" in blob


def test_start_review_without_scenarios_opens_as_before(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, seeded: None
) -> None:
    with db.session() as session:
        decision_id = create_decision(
            session, valid_input(owner="U1"), actor="U1", now=NOW, today=NOW.date()
        ).id
    assert slack.block_action(decision_ids.START_REVIEW, str(decision_id)).status_code == 200
    opened = sent_view(fake_slack, "views.open")
    assert "attached scenario" not in json.dumps(opened)
    assert not fake_slack.calls_to("views.update")
