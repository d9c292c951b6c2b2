"""The served-tier rule and the per-pair target lookup that bot.sla.state, the unfurls and the importers share."""

from __future__ import annotations

import logging

import pytest

from bot.policy.model import Policy
from bot.sla import service
from bot.sla.clock import sla_target
from bot.sla.targets import Targets, served_tier


def test_a_ticket_runs_on_the_tier_it_was_opened_in(policy: Policy) -> None:
    assert served_tier(policy, "starter", "enterprise", "sev1") == "starter"
    assert served_tier(policy, "enterprise", "enterprise", "sev1") == "enterprise"


def test_a_tier_the_policy_dropped_falls_back_to_the_accounts_tier(policy: Policy) -> None:
    assert served_tier(policy, "legacy", "enterprise", "sev1") == "enterprise"
    # A severity the opened-in tier has no target for falls back too; with nowhere to go, it stays.
    assert served_tier(policy, "starter", "enterprise", "sev9") == "enterprise"
    assert served_tier(policy, "legacy", "legacy", "sev1") == "legacy"
    assert service.served_tier is served_tier  # the front door's


def test_targets_are_looked_up_once_per_pair(policy: Policy, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    targets = Targets(policy)
    assert targets.get("enterprise", "sev1") == sla_target(policy, "enterprise", "sev1")
    assert targets.get("enterprise", "sev1") is targets.get("enterprise", "sev1")
    timed = targets.timed("enterprise", "sev1")
    assert timed is not None and timed[0] == sla_target(policy, "enterprise", "sev1")[0]  # type: ignore[index]
    assert timed[2] == policy.rank("enterprise")
    assert targets.timed("legacy", "sev1") is None and targets.timed("legacy", "sev1") is None
    assert caplog.text.count("'legacy'") == 1
    caplog.clear()
    assert [targets.served_tier("legacy", "starter", "sev2") for _ in range(3)] == ["starter"] * 3
    assert caplog.text.count("judged on their account's tier") == 1


def test_the_importers_and_the_helpdesk_sync_use_this_lookup() -> None:
    from bot.sync import helpdesk
    from bot.tickets import bulk, importer, outcomes

    assert outcomes.Targets is Targets and helpdesk.Targets is Targets
    assert not hasattr(helpdesk, "_Targets")
    # bulk_insert comes from its own module, not re-exported by the importer.
    assert helpdesk.bulk_insert is bulk.bulk_insert and "bulk_insert" not in importer.__all__
