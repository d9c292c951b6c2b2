"""The alert sections of the policy file are validated at start-up: file, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy.model import PolicyError, load_policy, parse_notify, parse_offset
from tests.policy.test_model import write_policy

LADDER = 'alerts = ["-60m", "-15m", "0", "+30m"]'


def test_default_policy_has_ladders_and_escalations() -> None:
    policy = load_policy()
    enterprise = policy.tier("enterprise")
    assert enterprise.alerts == (-60, -15, 0, 30)
    assert [e.after for e in enterprise.escalation] == [15, 60]
    assert enterprise.escalation[0].notify.kind == "usergroup"
    assert enterprise.escalation[1].notify.ids == ("#support-escalations",)
    assert policy.tier("starter").alerts == (0,)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (LADDER, 'alerts = ["-60m", "-5x"]', "tiers.0.alerts.1: Value error, not a step like"),
        (LADDER, 'alerts = ["0", "-15m"]', "tiers.0.alerts: Value error, alert steps must be distinct"),
        (LADDER, 'alerts = ["15m"]', "not a step like '-60m', '0' or '+30m': '15m'"),
        ('after = "+15m"', 'after = "-15m"', "tiers.0.escalation.0.after"),
        ('notify = "subteam:S0SUPLEADS"', 'notify = "@support-leads"', "a user group is notified by its id"),
        ('notify = "subteam:S0SUPLEADS"', 'notify = "somebody"', "tiers.0.escalation.0.notify"),
        ('after = "+60m"', 'after = "+10m"', "escalation levels must come in order"),
        ('alert_channel = "#support-enterprise"', 'alert_channel = "support"', "is not a channel id"),
    ],
)
def test_bad_alert_sections_name_the_file_field_and_reason(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = write_policy(tmp_path, old, new)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_offsets_and_notify_targets() -> None:
    assert [parse_offset(v) for v in ("-1h30m", "0", "+30m", 45)] == [-90, 0, 30, 45]
    assert parse_notify("<!subteam^S123|@leads>").ids == ("S123",)
    assert parse_notify("C0123ABC").kind == "channel"
    assert parse_notify("U1AAA, U2BBB").ids == ("U1AAA", "U2BBB")
