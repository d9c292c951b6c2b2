"""A record as a Markdown decision record (the framework's template order) or as JSON."""

from __future__ import annotations

import json
from typing import Any

from bot.decisions.record import METRIC_LABELS, DecisionInput, format_short_id
from bot.decisions.snapshot import EventView, RecordSnapshot
from bot.policy.model import Policy
from storage.models.decisions import EventKind

# The framework's template, in its order; tests hold the Markdown to it.
SECTIONS = (
    "Objective",
    "Scope and horizon",
    "Success metrics",
    "Key assumptions",
    "Options",
    "Scenario ranges",
    "Trade-off summary",
    "Risks and mitigations",
    "Decision criteria",
    "Recommendation",
    "Owner and timeline",
    "Review triggers",
)
FORMAT_VERSION = 1


def tier_name(policy: Policy | None, key: str) -> str:
    return key if policy is None else policy.tier_name(key)


def _text(value: str) -> str:
    return value.strip() or "_Not recorded._"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\r", " ").replace("\n", "<br>") or "—"


def event_summary(event: EventView) -> str:
    """One line saying what a history entry changed (plain text; callers escape for mrkdwn)."""
    d = event.detail
    if event.kind == EventKind.CREATED:
        return "created" + (f", superseding {d['supersedes']}" if d.get("supersedes") else "")
    if event.kind == EventKind.REVIEWED:
        text = f"reviewed: {d.get('outcome', '?')}"
        if d.get("next_review"):
            text += f", next review {d['next_review']}"
        return text + (f" ({d['note']})" if d.get("note") else "")
    if event.kind == EventKind.REVERSED:
        return f"reversed: {d.get('reason', '')}".rstrip(": ")
    if event.kind == EventKind.SUPERSEDED:
        return f"superseded by {d.get('by', '?')}"
    if event.kind == EventKind.EDITED:
        return "edited: " + ", ".join(sorted(d.get("changed", {}))).replace("_", " ")
    return event.kind


def _scenario_lines(record: RecordSnapshot) -> list[str]:
    """The attached scenarios: inputs, the data they ran on, key figures and (sweeps) the flip point;
    `--format json` has every figure."""
    out: list[str] = []
    for s in record.scenarios:
        what = "Sweep" if s.kind == "sweep" else "Scenario"
        out += [
            "",
            f"### Attached {what.lower()}: `{s.command}`",
            "",
            f"Attached {s.attached_at:%Y-%m-%d} by {s.attached_by}; computed on the data of {s.as_of:%Y-%m-%d %H:%M} UTC.",
            "",
            *(f"- {line}" for line in s.lines[1:] or s.lines),
        ]
    return out


def to_markdown(record: RecordSnapshot, policy: Policy | None = None) -> str:
    data = record.data
    out: list[str] = [f"# {record.short_id}: {data.title.strip()}", ""]
    status = record.status + (f" ({record.last_outcome})" if record.last_outcome else "")
    meta = [
        f"Status: {status}",
        f"Owner: {data.owner}",
        f"Created {record.created_at:%Y-%m-%d} by {record.created_by}",
    ]
    if record.supersedes_id:
        meta.append(f"Supersedes {format_short_id(record.supersedes_id)}")
    if record.superseded_by_id:
        meta.append(f"Superseded by {format_short_id(record.superseded_by_id)}")
    out += [" · ".join(meta), ""]

    def section(title: str, *lines: str) -> None:
        out.extend([f"## {title}", "", *lines, ""])

    section("Objective", _text(data.objective))
    tiers = ", ".join(tier_name(policy, t) for t in data.tiers) or "none named"
    accounts = ", ".join(f"{name} (#{aid})" for aid, name in record.accounts) or "none named"
    horizon = data.horizon.isoformat() if data.horizon else "?"
    section(
        "Scope and horizon",
        _text(data.scope),
        "",
        f"- Horizon: {horizon}",
        f"- Tiers: {tiers}",
        f"- Accounts: {accounts}",
    )
    rows = ["| Metric | Baseline today | Target |", "|---|---|---|"]
    rows += [
        f"| {METRIC_LABELS.get(m.metric, m.metric)} | {_cell(m.baseline)} | {_cell(m.target)} |"
        for m in data.success_metrics
    ]
    section("Success metrics", *rows)
    section(
        "Key assumptions",
        _text(data.key_assumptions),
        "",
        "### Evidence",
        "",
        _text(data.evidence),
        "",
        "### Other assumptions",
        "",
        _text(data.assumptions),
        "",
        "### Open questions",
        "",
        _text(data.open_questions),
    )
    option_lines: list[str] = []
    for option in data.filled_options():
        chosen = " (chosen)" if option.key == data.chosen_option else ""
        option_lines += [
            f"### Option {option.key}: {option.title.strip()}{chosen}",
            "",
            f"- Constraints: {option.constraints.strip() or '—'}",
            f"- Trade-offs: {option.tradeoffs.strip() or '—'}",
            "",
        ]
    section("Options", *option_lines[:-1])
    section("Scenario ranges", _text(data.scenario_ranges), *_scenario_lines(record))
    section("Trade-off summary", _text(data.tradeoff_summary))
    section("Risks and mitigations", _text(data.risks))
    section("Decision criteria", _text(data.criteria))
    picked = data.option(data.chosen_option)
    section(
        "Recommendation",
        f"Option {data.chosen_option}: {picked.title.strip() if picked else '?'}",
        "",
        _text(data.rationale),
        "",
        f"- Reversal signal: {data.reversal_signal.strip() or '—'}",
        f"- Stop conditions: {data.stop_conditions.strip() or '—'}",
    )
    review = data.review_date.isoformat() if data.review_date else "?"
    timeline = [f"- Owner: {data.owner}", f"- Review date: {review}", f"- Horizon: {horizon}"]
    timeline += [
        f"- Initial review: {data.cadence_initial.strip() or '—'}",
        f"- Operating review: {data.cadence_operating.strip() or '—'}",
        f"- Post-review: {data.cadence_post.strip() or '—'}",
    ]
    if record.last_reviewed_at:
        timeline.append(f"- Last reviewed: {record.last_reviewed_at:%Y-%m-%d} ({record.last_outcome})")
    section("Owner and timeline", *timeline)
    triggers = [
        f"- {t.describe(tier_name(policy, t.scope_tier) if t.scope_tier else None)}" for t in record.triggers
    ]
    section("Review triggers", *(triggers or ["_None set._"]))
    section(
        "History",
        *[f"- {e.at:%Y-%m-%d %H:%M} UTC, {e.actor}: {event_summary(e)}" for e in record.events],
    )
    return "\n".join(out).rstrip() + "\n"


def to_dict(record: RecordSnapshot) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "id": record.short_id,
        "status": record.status,
        "last_outcome": record.last_outcome,
        "last_reviewed_at": record.last_reviewed_at.isoformat() if record.last_reviewed_at else None,
        "supersedes": format_short_id(record.supersedes_id) if record.supersedes_id else None,
        "superseded_by": format_short_id(record.superseded_by_id) if record.superseded_by_id else None,
        "source_channel": record.source_channel,
        "created_by": record.created_by,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "record": record.data.model_dump(mode="json"),
        "accounts": [{"id": aid, "name": name} for aid, name in record.accounts],
        "review_triggers": [
            {
                "metric": t.metric,
                "scope_tier": t.scope_tier,
                "scope_account_id": t.scope_account_id,
                "comparison": t.comparison,
                "threshold": t.threshold,
                "window_days": t.window_days,
                "fired": t.fired,
                "last_value": t.last_value,
            }
            for t in record.triggers
        ],
        "scenarios": [
            {
                "kind": s.kind,
                "command": s.command,
                "as_of": s.as_of.isoformat(),
                "attached_by": s.attached_by,
                "attached_at": s.attached_at.isoformat(),
                "inputs": s.inputs,
                "figures": s.figures,
                "results": s.results,
            }
            for s in record.scenarios
        ],
        "history": [
            {"kind": e.kind, "actor": e.actor, "at": e.at.isoformat(), "detail": e.detail}
            for e in record.events
        ],
    }


def to_json(record: RecordSnapshot) -> str:
    return json.dumps(to_dict(record), ensure_ascii=False, indent=2) + "\n"


def input_from_json(document: str | dict[str, Any]) -> DecisionInput:
    """The record's content back from an export (to re-create or compare it)."""
    doc = json.loads(document) if isinstance(document, str) else document
    return DecisionInput.model_validate(doc["record"])
