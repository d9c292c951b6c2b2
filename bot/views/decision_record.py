"""Block Kit for decision records in messages: the posted record with its buttons, `/decision show`,
`/decision list`, the history lines and usage.

Records hold up to 3,000 characters per field; messages show cut versions and always point to the
full record (`/decision show D-42`, the View button, `tierbot decisions export`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.decisions.export import event_summary, tier_name
from bot.decisions.listing import RecordLine, count_text
from bot.decisions.record import METRIC_LABELS, OUTCOME_LABELS, DecisionStatus, format_short_id
from bot.decisions.results import Listing, RefusalKind, Refused, ScopeUnknown
from bot.decisions.snapshot import EventView, RecordSnapshot
from bot.policy.model import Policy
from bot.text import truncate
from bot.views import decision_ids as ids
from bot.views.blocks import (
    SECTION_TEXT_MAX,
    Block,
    Message,
    actions,
    bullet_list,
    button,
    context,
    fallback,
    fields_section,
    header,
    section,
)
from bot.views.format import escape_mrkdwn, mention

SHORT = 600  # per field in the channel record
LONG = 1400  # per field in /decision show (many fields share one message)


def user(value: str | None) -> str:
    if not value:
        return "_nobody_"
    return mention(value)


def cut(text: str, limit: int) -> str:
    """User text made safe for mrkdwn and cut to `limit` characters."""
    return truncate(escape_mrkdwn(text.strip()), limit) or "_not recorded_"


def status_text(status: str, last_outcome: str | None, superseded_by: int | None = None) -> str:
    if status == DecisionStatus.SUPERSEDED and superseded_by:
        return f"superseded by {format_short_id(superseded_by)}"
    if status == DecisionStatus.REVIEWED and last_outcome:
        return f"reviewed · {OUTCOME_LABELS.get(last_outcome, last_outcome).lower()}"
    return status


def review_text(review_date: date | None, in_force: bool, today: date) -> str:
    if review_date is None:
        return "—"
    text = review_date.isoformat()
    if in_force and review_date < today:
        return f"{text} :warning: overdue"
    if in_force and review_date == today:
        return f"{text} (due today)"
    return text


def history_line(event: EventView) -> str:
    return f"{event.at:%Y-%m-%d %H:%M} UTC · {user(event.actor)} · {escape_mrkdwn(truncate(event_summary(event), 300))}"


def _touches(record: RecordSnapshot, policy: Policy) -> str:
    parts = [tier_name(policy, t) for t in record.data.tiers] + [name for _, name in record.accounts]
    return escape_mrkdwn(truncate(", ".join(parts), 400)) if parts else "_nothing named_"


def _chosen(record: RecordSnapshot) -> str:
    option = record.data.option(record.data.chosen_option)
    title = option.title if option else "?"
    return f"{record.data.chosen_option}: {escape_mrkdwn(truncate(title.strip(), 300))}"


def _summary_fields(record: RecordSnapshot, policy: Policy, today: date) -> Block:
    data = record.data
    return fields_section(
        [
            f"*Owner*\n{user(data.owner)}",
            f"*Status*\n{status_text(record.status, record.last_outcome, record.superseded_by_id)}",
            f"*Review date*\n{review_text(data.review_date, record.in_force, today)}",
            f"*Horizon*\n{data.horizon.isoformat() if data.horizon else '—'}",
            f"*Chosen option*\n{_chosen(record)}",
            f"*Touches*\n{_touches(record, policy)}",
        ]
    )


def trigger_lines(record: RecordSnapshot, policy: Policy) -> list[str]:
    lines = []
    for t in record.triggers:
        text = escape_mrkdwn(t.describe(tier_name(policy, t.scope_tier) if t.scope_tier else None))
        if t.fired:
            text += " · :rotating_light: crossed" + (
                f" ({t.last_value:g})" if t.last_value is not None else ""
            )
        lines.append(text)
    return lines


def record_actions(record: RecordSnapshot) -> Block:
    rid = str(record.id)
    elements: list[Block] = [button("View", ids.VIEW, rid)]
    if record.is_active:
        if record.in_force:
            elements.append(button("Start review", ids.START_REVIEW, rid, style="primary"))
            elements.append(
                {
                    "type": "static_select",
                    "action_id": ids.MARK_REVIEWED,
                    "placeholder": {"type": "plain_text", "text": "Mark reviewed…"},
                    "options": [
                        {"text": {"type": "plain_text", "text": label}, "value": f"{rid}:{key}"}
                        for key, label in OUTCOME_LABELS.items()
                    ],
                }
            )
        elements.append(button("Reverse", ids.REVERSE, rid, style="danger"))
        elements.append(button("Supersede", ids.SUPERSEDE, rid))
    return actions(elements, block_id=ids.RECORD_ACTIONS_BLOCK)


def _links(record: RecordSnapshot) -> list[str]:
    links = []
    if record.supersedes_id:
        links.append(f"Supersedes *{format_short_id(record.supersedes_id)}*")
    if record.superseded_by_id:
        links.append(f"Superseded by *{format_short_id(record.superseded_by_id)}*")
    return links


def record_blocks(record: RecordSnapshot, policy: Policy, today: date) -> list[Block]:
    """The record as posted in the decisions channel (and updated in place after each change)."""
    data = record.data
    blocks: list[Block] = [
        header(f"{record.short_id} · {data.title.strip()}"),
        _summary_fields(record, policy, today),
        section(f"*Objective*\n{cut(data.objective, SHORT)}"),
        section(f"*Why option {data.chosen_option}*\n{cut(data.rationale, SHORT)}"),
        section(f"*Evidence*\n{cut(data.evidence, SHORT)}"),
        section(
            f"*Reversal signal*\n{cut(data.reversal_signal, SHORT)}\n*Stop conditions*\n{cut(data.stop_conditions, SHORT)}"
        ),
    ]
    triggers = trigger_lines(record, policy)
    if triggers:
        blocks.append(section("*Review triggers*\n" + bullet_list(triggers, SECTION_TEXT_MAX - 40)))
    recent = [history_line(e) for e in record.events[-3:]]
    if recent or _links(record):
        blocks.append(context(*(_links(record) + recent)))
    shortened = len(data.title.strip()) > 140 or any(
        len(escape_mrkdwn(t.strip())) > SHORT
        for t in (data.objective, data.rationale, data.evidence, data.reversal_signal, data.stop_conditions)
    )
    blocks.append(
        context(
            ("Some texts are shortened here. " if shortened else "")
            + f"Full record: `/decision show {record.short_id}` or *View* · "
            f"`tierbot decisions export {record.short_id}`"
        )
    )
    blocks.append(record_actions(record))
    return blocks


def record_message(record: RecordSnapshot, policy: Policy, today: date) -> Message:
    text = f"Decision {record.short_id}: {escape_mrkdwn(record.data.title.strip())}"
    return {"text": fallback(text), "blocks": record_blocks(record, policy, today)}


def show_blocks(record: RecordSnapshot, policy: Policy, today: date, limit: int = LONG) -> list[Block]:
    """Every field of the record (each cut to `limit`), then its whole history; used by `show` and View."""
    data = record.data
    blocks: list[Block] = [
        header(f"{record.short_id} · {data.title.strip()}"),
        _summary_fields(record, policy, today),
    ]
    if _links(record):
        blocks.append(context(*_links(record)))

    def field(label: str, value: str) -> None:
        blocks.append(section(f"*{label}*\n{cut(value, limit)}"))

    field("Objective", data.objective)
    field("Scope", data.scope)
    for option in data.filled_options():
        mark = " (chosen)" if option.key == data.chosen_option else ""
        text = (
            f"*Option {option.key}: {cut(option.title, 300)}*{mark}\n"
            f"_Constraints:_ {cut(option.constraints, limit // 2)}\n_Trade-offs:_ {cut(option.tradeoffs, limit // 2)}"
        )
        blocks.append(section(text))
    field("Evidence", data.evidence)
    field("Assumptions", data.assumptions)
    field("Open questions", data.open_questions)
    metrics = [
        f"{METRIC_LABELS.get(m.metric, m.metric)}: baseline {cut(m.baseline, 200)} → target {cut(m.target, 200)}"
        for m in data.success_metrics
    ]
    blocks.append(section("*Success metrics*\n" + bullet_list(metrics)))
    field("Key assumptions", data.key_assumptions)
    field("Scenario ranges", data.scenario_ranges)
    field("Trade-off summary", data.tradeoff_summary)
    field("Risks and mitigations", data.risks)
    field("Decision criteria", data.criteria)
    field(f"Why option {data.chosen_option}", data.rationale)
    field("Reversal signal", data.reversal_signal)
    field("Stop conditions", data.stop_conditions)
    cadence = (
        f"*Review cadence*\n_Initial:_ {cut(data.cadence_initial, limit // 3)}\n"
        f"_Operating:_ {cut(data.cadence_operating, limit // 3)}\n_Post-review:_ {cut(data.cadence_post, limit // 3)}"
    )
    blocks.append(section(cadence))
    triggers = trigger_lines(record, policy)
    blocks.append(section("*Review triggers*\n" + (bullet_list(triggers) if triggers else "_none_")))
    history = [history_line(e) for e in record.events]
    blocks.append(section("*History*\n" + bullet_list(list(reversed(history)), SECTION_TEXT_MAX - 40)))
    return blocks


def show_message(record: RecordSnapshot, policy: Policy, today: date) -> Message:
    blocks = show_blocks(record, policy, today)
    blocks.append(
        context(
            f"Long texts are cut in Slack messages; *View* shows more and "
            f"`tierbot decisions export {record.short_id}` has everything."
        )
    )
    blocks.append(record_actions(record))
    text = f"Decision {record.short_id}: {escape_mrkdwn(record.data.title.strip())}"
    return {"text": fallback(text), "blocks": blocks[:50]}


def line_text(line: RecordLine, today: date) -> str:
    status = status_text(line.status, line.last_outcome)
    return (
        f"*{line.short_id}* {escape_mrkdwn(truncate(line.title.strip(), 200))}\n"
        f"{user(line.owner)} · review {review_text(line.review_date, line.in_force, today)} · {status}"
    )


def line_block(line: RecordLine, today: date) -> Block:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(line_text(line, today), SECTION_TEXT_MAX)},
        "accessory": button("View", ids.VIEW, str(line.id)),
    }


LIST_TITLES = {"open": "Decisions in force", "due": "Decisions due for review", "all": "All decisions"}


def list_message(
    lines: Sequence[RecordLine], total: int, status: str, scope: str | None, today: date
) -> Message:
    title = LIST_TITLES.get(status, "Decisions")
    about = f" touching {escape_mrkdwn(scope)}" if scope else ""
    shown = f" (newest {len(lines)} shown)" if status == "all" and total > len(lines) else ""
    if total > len(lines) and not shown:
        shown = f" (first {len(lines)} shown)"
    blocks: list[Block] = [section(f"*{title}{about}* · {count_text(total)}{shown}")]
    if not lines:
        blocks.append(section("_None._ `/decision` logs a new one."))
    blocks += [line_block(line, today) for line in lines[:45]]
    blocks.append(
        context("`/decision show D-42` for a whole record · `/decision list open|due|all [tier or account]`")
    )
    return {"text": fallback(f"{title}{about}: {count_text(total)}"), "blocks": blocks}


USAGE = (
    "*`/decision`* (or `/decision new`) logs a tiering decision in three steps: frame, compare, commit.\n"
    "*`/decision list [open|due|all] [TIER or ACCOUNT]`* lists records (default: open).\n"
    "*`/decision show D-42`* shows one record with its history.\n"
    "Only a record's owner or a tierbot admin can review, reverse, supersede or edit it."
)


def help_message() -> Message:
    return {"text": "How to use /decision", "blocks": [section(USAGE)]}


def notice_message(text: str) -> Message:
    """A one-line answer; `text` must already be escaped where needed."""
    return {"text": fallback(text), "blocks": [section(text)]}


def listing_message(result: Listing | ScopeUnknown, today: date) -> Message:
    """`/decision list …`: the list, or why its tier-or-account part matched nothing."""
    if isinstance(result, Listing):
        return list_message(result.lines, result.total, result.status, result.scope, today)
    query = escape_mrkdwn(truncate(result.query, 100))
    if result.candidates:
        names = ", ".join(escape_mrkdwn(name) for name in result.candidates)
        return notice_message(f"`{query}` could be {names}. Be more specific.")
    return notice_message(f"No tier or account matches `{query}`.")


def refusal_text(refusal: Refused) -> str:
    """A refusal as one sentence (mrkdwn for messages; modal field errors show it as plain text)."""
    short = format_short_id(refusal.decision_id) if refusal.decision_id is not None else "this decision"
    if refusal.kind is RefusalKind.NOT_ALLOWED:
        return (
            f"Only the owner ({mention(refusal.owner or '')}) or a tierbot admin can change {short}. "
            "Nothing was changed."
        )
    if refusal.kind is RefusalKind.NOT_FOUND:
        return f"There is no decision {short}."
    if refusal.kind is RefusalKind.EXPIRED:
        return EXPIRED
    if refusal.kind is RefusalKind.INVALID:
        return " ".join(refusal.errors.values())
    return escape_mrkdwn(refusal.message)


EXPIRED = (
    "This draft is no longer available (it expired or was already recorded). Start again with `/decision`."
)
