"""A bad policy file fails when it is loaded, naming the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy.model import DEFAULT_POLICY_FILE, PolicyError, load_policy, parse_minutes


def write_policy(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_default_policy_loads() -> None:
    policy = load_policy()
    assert [t.key for t in policy.tiers] == ["enterprise", "professional", "starter"]
    assert policy.tier("enterprise").sla["sev1"].first_response == 30
    assert policy.rank("starter") == 0 and policy.rank("enterprise") == 2


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("min_acv = 25000", "min_acv = 1000", "strictly falling min_acv"),
        ("min_acv = 0", "min_acv = 10", "min_acv = 0"),
        ('first_response = "30m"', 'first_response = "soon"', "tiers.0.sla.sev1.first_response"),
        ('resolution = "4h"', 'resolution = "10m"', "shorter than the first-response"),
        ('timezone = "America/New_York"', 'timezone = "Mars/Olympus"', "unknown IANA time zone"),
        ('mon = "09:00-17:00"', 'mon = "17:00-09:00"', "does not open before it closes"),
        ('critical = "professional"', 'critical = "gold"', "unknown tier 'gold'"),
        ('calendar = "24x7" }', 'calendar = "weekends" }', "unknown calendar 'weekends'"),
        ('holidays_country = "US"', 'holidays_country = "XX"', "no public-holiday calendar"),
        ('key = "enterprise"', 'key = "enterprise"\nsurprise = 1', "Extra inputs are not permitted"),
    ],
)
def test_bad_policy_is_refused_with_field_and_reason(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = write_policy(tmp_path, old, new)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[[tiers]\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "minutes"), [("30m", 30), ("4h", 240), ("2d", 2880), ("1h30m", 90), (45, 45)]
)
def test_durations(text: str | int, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "0m", "h", "-5m", "1.5h", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_minutes(text)


def test_tier_name_falls_back_to_the_key_for_a_tier_the_policy_dropped() -> None:
    policy = load_policy()
    assert policy.tier_name("enterprise") == "Enterprise"
    assert policy.tier_name("platinum") == "platinum"  # a stored key from an older policy
