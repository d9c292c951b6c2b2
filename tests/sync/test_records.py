"""CRM values normalised as the CSV import normalises them; the policy file's [sync] section."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from bot.policy.model import DEFAULT_POLICY_FILE, PolicyError, SyncSource, load_policy
from bot.sync.records import FIELDS, Normaliser, Reject
from bot.sync.types import RemoteAccount

SYNC = """
[sync.salesforce.fields]
name = "Name"
external_id = "Account_Number__c"
acv = "ARR__c"
usage_criticality = "Tier_Criticality__c"
owner = "CSM_Email__c"
slack_channel = "Slack_Channel__c"

[sync.salesforce.criticality_labels]
"Mission critical" = "critical"
"""


def test_the_policy_file_maps_fields_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY_FILE.read_text() + SYNC)
    policy = load_policy(path)
    assert policy.sync.salesforce.fields.mapped() == {
        "name": "Name", "external_id": "Account_Number__c", "acv": "ARR__c",
        "usage_criticality": "Tier_Criticality__c", "owner": "CSM_Email__c",
        "slack_channel": "Slack_Channel__c",
    }  # fmt: skip
    assert policy.sync.hubspot.fields.acv == "acv"  # the other source keeps its defaults
    normalise = Normaliser(policy.sync.salesforce)
    values = normalise(RemoteAccount("001A", None, {"Name": " Acme ", "Account_Number__c": "A-1", "ARR__c": 26500.5,
                                                    "Tier_Criticality__c": "Mission Critical", "CSM_Email__c": "cs@acme.example",
                                                    "Slack_Channel__c": "c024be7lr"}))  # fmt: skip
    assert isinstance(values, tuple)
    got = dict(zip(FIELDS, values, strict=True))
    assert (got["name"], got["acv"], got["usage_criticality"], got["owner"], got["slack_channel"]) == (
        "Acme",
        Decimal("26500.50"),
        "critical",
        "cs@acme.example",
        "C024BE7LR",  # an id, as the CSV column takes it: alerts go there (issue 11 item 1)
    )
    assert normalise.keeps("domain") and not normalise.keeps("owner")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        DEFAULT_POLICY_FILE.read_text()
        + '[sync.hubspot.criticality_labels]\n"Huge" = "enormous"\n[sync.hubspot.fields]\nname="name"\nacv="acv"\n'
    )
    with pytest.raises(PolicyError, match="criticality_labels"):
        load_policy(bad)
    assert "sync" not in tomllib.loads(DEFAULT_POLICY_FILE.read_text())  # the section is optional


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"name": "", "acv": "1"}, "name", "name is empty"),
        ({"name": "A", "acv": "12,5"}, "acv", "is not an amount"),
        ({"name": "A", "acv": None}, "acv", "acv is empty"),
        (
            {"name": "A", "acv": "1", "usage_criticality": "whenever"},
            "usage_criticality",
            "is not one of low",
        ),
        ({"name": "A", "acv": "1", "strategic": "maybe"}, "strategic", "is not true/false"),
        ({"name": "A", "acv": "1", "health_score": "120"}, "health_score", "from 0 to 100"),
        ({"name": "A", "acv": "1", "slack_channel": "#acme"}, "slack_channel", "is not a Slack channel id"),
    ],
)
def test_unreadable_values_are_rejected_never_guessed(
    values: dict[str, object], field: str, reason: str
) -> None:
    fields = load_policy().sync.hubspot.fields.model_copy(update={"slack_channel": "slack_channel"})
    normalise = Normaliser(SyncSource(fields=fields))
    result = normalise(RemoteAccount("42", None, values))
    assert isinstance(result, list) and len(result) == 1
    assert result[0].record_id == "42" and result[0].field == field and reason in result[0].reason


def test_api_types_read_like_csv_cells() -> None:
    normalise = Normaliser(
        SyncSource.model_validate(
            {"fields": {"name": "n", "acv": "a", "strategic": "s", "health_score": "h", "domain": "d"}}
        )
    )
    got = normalise(
        RemoteAccount(
            "1", None, {"n": "X", "a": 25000.0, "s": True, "h": 87.0, "d": "https://www.x.example/about"}
        )
    )
    assert isinstance(got, tuple)
    row = dict(zip(FIELDS, got, strict=True))
    assert (row["acv"], row["strategic"], row["health_score"], row["domain"]) == (
        Decimal("25000"),
        True,
        87,
        "www.x.example",
    )
    assert isinstance(
        normalise(RemoteAccount("2", None, {"n": "X", "a": 0.1 + 0.2})), list
    )  # not cents: rejected
    assert Reject("1", "f", "r") == Reject("1", "f", "r")
