"""bot.slack_channels over HTTP into the Slack fake: which conversations are shared outside, kept a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

from bot.slack_channels import TTL, ChannelSharing, SharingUnknown
from tests.fake_slack import FakeSlack

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake_slack.url, timeout=3, retry_handlers=[])


def _asked(fake: FakeSlack) -> list[str]:
    return [str(c.params["channel"]) for c in fake.calls_to("conversations.info")]


def test_answers_are_kept_for_the_ttl_then_asked_again(client: WebClient, fake_slack: FakeSlack) -> None:
    sharing = ChannelSharing()
    fake_slack.channels["CX"] = {"is_shared": True, "is_ext_shared": True}
    assert sharing.is_external(client, "CX", NOW) is True
    assert sharing.is_external(client, "C1", NOW) is False
    fake_slack.channels["C1"] = {"is_shared": True, "is_ext_shared": True}  # shared since
    assert sharing.is_external(client, "C1", NOW + TTL - timedelta(seconds=1)) is False  # still kept
    assert _asked(fake_slack) == ["CX", "C1"]
    assert sharing.is_external(client, "C1", NOW + TTL) is True
    assert _asked(fake_slack) == ["CX", "C1", "C1"]


def test_at_most_size_channels_are_kept_least_recently_used_first_out(
    client: WebClient, fake_slack: FakeSlack
) -> None:
    sharing = ChannelSharing(size=2)
    for channel in ("C1", "C2", "C1", "C3"):  # C1 used again: C2 goes when C3 comes
        sharing.is_external(client, channel, NOW)
    sharing.is_external(client, "C1", NOW)
    sharing.is_external(client, "C2", NOW)
    assert _asked(fake_slack) == ["C1", "C2", "C3", "C2"]


def test_failures_are_raised_and_not_kept(client: WebClient, fake_slack: FakeSlack) -> None:
    sharing = ChannelSharing()
    fake_slack.channels["CGONE"] = None
    with pytest.raises(SharingUnknown) as raised:
        sharing.is_external(client, "CGONE", NOW)
    assert raised.value.reason == "channel_not_found (HTTP 200)"
    fake_slack.fail("conversations.info", 500, error="internal_error")
    with pytest.raises(SharingUnknown, match="internal_error"):
        sharing.is_external(client, "C1", NOW)
    assert sharing.is_external(client, "C1", NOW) is False
    assert _asked(fake_slack) == ["CGONE", "C1", "C1"]
