"""Alert messages are valid Block Kit (slack_sdk's models) and say what a support lead needs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from bot.alerts.health import DropKind, HealthDrop
from bot.alerts.model import AckResult, DueStep, StepKind
from bot.alerts.stakes import stakes
from bot.policy.model import parse_notify
from bot.views import alert_ids
from bot.views import alerts as view
from tests.fake_slack import validate_message

AT = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


def step(**changes: object) -> DueStep:
    base: dict[str, object] = dict(
        kind=StepKind.STEP, ticket_id="T-1", account_id=1, account_name="Acme <Corp>", tier="enterprise",
        tier_rank=2, acv=Decimal(32000), severity="sev1", subject="Checkout *down* <!channel>",
        target="resolution", target_minutes=240, step="+30m", offset_minutes=30, due_at=AT,
        minutes_left=-45, channel="CACME", assignee="ana@example.com", owner="UOWNER", late=True,
        late_minutes=12,
    )  # fmt: skip
    base.update(changes)
    return DueStep(**base)  # type: ignore[arg-type]


def test_a_breach_step_is_valid_and_escapes_what_we_did_not_write() -> None:
    message = view.step_message(step(), assignee_user="UANA", ticket_url="https://help.example.com/t/T-1")
    validate_message(message)
    text = json.dumps(message)
    assert "45m over" in text and "<@UANA>" in text and "<@UOWNER>" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text and "Acme &lt;Corp&gt;" in text
    assert "Posted 12m late" in text
    assert alert_ids.ACK in text and alert_ids.SNOOZE in text and "https://help.example.com/t/T-1" in text


def test_an_escalation_mentions_its_level() -> None:
    message = view.step_message(
        step(kind=StepKind.ESCALATION, step="L1", level=1, offset_minutes=15, notify=parse_notify("subteam:S1"), late=False)
    )  # fmt: skip
    validate_message(message)
    text = json.dumps(message)
    assert "<!subteam^S1>" in text and "nobody has acknowledged it" in text


def test_the_acknowledged_update_replaces_the_buttons() -> None:
    message = view.step_message(step())
    ack = AckResult("T-1", "resolution", "UANA", AT, None, None, True)
    status = view.status_block(ack, AT)
    assert status is not None
    blocks, found = view.replace_status(message["blocks"], status)
    assert found
    validate_message({"text": "x", "blocks": blocks})
    assert "Acknowledged by <@UANA>" in json.dumps(blocks) and alert_ids.ACK not in json.dumps(blocks)


def test_health_message() -> None:
    drop = HealthDrop(1, "Acme", "enterprise", "UOWNER", "CACME", DropKind.FELL, 80, 62, AT, 40, 15, 30)
    message = view.health_message(drop, owner_user="UOWNER")
    validate_message(message)
    assert "fell from 80 to *62*" in json.dumps(message)


def test_stakes_rank_tier_then_severity_then_breach_then_acv_then_how_far_over() -> None:
    rows = {
        "pro sev1 over": stakes(1, "sev1", Decimal(9000), 30),
        "ent sev3 over": stakes(2, "sev3", Decimal(30000), 5),
        "ent sev1 not yet": stakes(2, "sev1", Decimal(90000), -10),
        "ent sev1 over small": stakes(2, "sev1", Decimal(30000), 5),
        "ent sev1 over big acv": stakes(2, "sev1", Decimal(90000), 1),
    }
    assert sorted(rows, key=rows.__getitem__) == [
        "ent sev1 over big acv",
        "ent sev1 over small",
        "ent sev1 not yet",
        "ent sev3 over",
        "pro sev1 over",
    ]
