"""The framework's refusals as plain domain checks: no owner, no evidence, no choice, bad dates, no
reversal signal. Each returns {field: message} and names the field that is wrong."""

from __future__ import annotations

import pytest

from bot.decisions.record import DecisionInput, format_short_id, parse_short_id
from bot.decisions.validation import (
    distinct_option_keys,
    validate,
    validate_commit,
    validate_compare,
    validate_frame,
)
from tests.decisions.factory import TODAY, today_plus, valid_input


def test_a_complete_record_passes() -> None:
    assert validate(valid_input(), TODAY) == {}


@pytest.mark.parametrize("owner", [None, "", "   "])
def test_no_owner_is_refused(owner: str | None) -> None:
    errors = validate_frame(valid_input(owner=owner), TODAY)
    assert list(errors) == ["owner"]
    assert "owner" in errors["owner"].lower()


def test_title_and_horizon_are_needed() -> None:
    errors = validate_frame(valid_input(title=" ", horizon=None), TODAY)
    assert set(errors) == {"title", "horizon"}
    assert "after today" in validate_frame(valid_input(horizon=TODAY), TODAY)["horizon"]


def test_assumptions_alone_are_not_evidence() -> None:
    errors = validate_compare(valid_input(evidence="", assumptions="Customers will like it."))
    assert errors == {"evidence": errors["evidence"]}
    assert errors["evidence"].startswith("Assumptions alone are not evidence")


def test_evidence_that_repeats_the_assumptions_is_refused() -> None:
    data = valid_input(evidence="Volume stays low.", assumptions="volume stays LOW")
    assert "Assumptions alone are not evidence" in validate_compare(data)["evidence"]


@pytest.mark.parametrize("placeholder", ["", "n/a", "TBD", " none "])
def test_placeholder_evidence_is_no_evidence(placeholder: str) -> None:
    errors = validate_compare(valid_input(evidence=placeholder, assumptions=""))
    assert errors["evidence"] == "Add the evidence: what was observed, not what is expected."


def test_duplicate_options_are_not_a_choice() -> None:
    data = valid_input(
        options=[
            {"key": "A", "title": "Keep the current approach"},
            {"key": "B", "title": "keep the current  approach!"},
            {"key": "C", "title": ""},
        ]
    )
    errors = validate_compare(data)
    assert errors == {"options.B": "Option B is the same as option A: write a different alternative."}
    assert distinct_option_keys(data) == ["A"]


def test_a_single_option_is_no_choice() -> None:
    data = valid_input(
        options=[{"key": "A", "title": "Do it"}, {"key": "B", "title": ""}, {"key": "C", "title": ""}]
    )
    assert validate_compare(data) == {
        "options.B": "Give at least two real options. With only one there is no choice to record."
    }


def test_chosen_option_must_be_one_of_the_options() -> None:
    data = valid_input(
        chosen_option="C",
        options=[{"key": "A", "title": "Keep"}, {"key": "B", "title": "Pilot"}, {"key": "C", "title": ""}],
    )
    assert (
        validate_commit(data, TODAY)["chosen_option"]
        == "Choose one of the options compared in step 2 (A, B)."
    )
    # Choosing the duplicate of another option is not choosing a real option either.
    dup = valid_input(
        chosen_option="B",
        options=[{"key": "A", "title": "Keep"}, {"key": "B", "title": "keep"}, {"key": "C", "title": "Redo"}],
    )
    assert "chosen_option" in validate_commit(dup, TODAY)


def test_review_date_in_the_past_or_beyond_the_horizon_is_refused() -> None:
    past = validate_commit(valid_input(review_date=today_plus(-1)), TODAY)
    assert past == {"review_date": "The review date is in the past. Pick today or a later date."}
    beyond = validate_commit(valid_input(horizon=today_plus(60), review_date=today_plus(61)), TODAY)
    assert beyond["review_date"].startswith(
        f"The review date is beyond the horizon ({today_plus(60).isoformat()})"
    )
    assert validate_commit(valid_input(review_date=TODAY), TODAY) == {}
    assert validate_commit(valid_input(review_date=None), TODAY) == {
        "review_date": "Pick the date this decision will be looked at again."
    }


def test_no_reversal_signal_is_refused() -> None:
    assert set(validate_commit(valid_input(reversal_signal="  "), TODAY)) == {"reversal_signal"}


def test_half_filled_trigger_rows_are_flagged_at_the_missing_part() -> None:
    data = valid_input(
        triggers=[
            {"metric": "resolution_time", "scope_tier": "enterprise", "comparison": ">", "threshold": 8},
            {"metric": "health_score", "comparison": "<", "threshold": 60},
            {},
            {"metric": "sla_attainment", "scope_tier": "professional", "comparison": "<"},
        ]
    )
    errors = validate_commit(data, TODAY)
    assert set(errors) == {"triggers.2.scope", "triggers.4.threshold"}
    assert len(data.complete_triggers()) == 1


def test_window_days_bounds() -> None:
    assert "window_days" in validate_commit(valid_input(window_days=0), TODAY)


def test_validate_reports_every_step_at_once() -> None:
    data = DecisionInput()
    assert set(validate(data, TODAY)) >= {
        "title",
        "owner",
        "horizon",
        "evidence",
        "chosen_option",
        "review_date",
        "reversal_signal",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D-42", 42),
        ("d42", 42),
        ("#7", 7),
        (" 13 ", 13),
        ("D-0", None),
        ("x", None),
        ("", None),
        ("D-4-2", None),
    ],
)
def test_short_ids(text: str, expected: int | None) -> None:
    assert parse_short_id(text) == expected
    assert format_short_id(42) == "D-42"
