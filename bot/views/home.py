"""The App Home tab: log a decision, what is due for review, and what is in force."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.decisions.listing import count_text
from bot.decisions.results import HomeLists
from bot.views import decision_ids as ids
from bot.views.blocks import Block, actions, button, context, divider, header, section
from bot.views.decision_record import line_block

View = dict[str, Any]
DUE_SHOWN = 15
OPEN_SHOWN = 25


def home_view(lists: HomeLists, today: date, extra: list[Block] | None = None) -> View:
    """The tab for `service.home(db, today, due_limit=DUE_SHOWN, open_limit=OPEN_SHOWN)`; `extra`
    blocks (overdue quarterly reviews) come first, under a divider."""
    due, due_total, open_, open_total = lists.due, lists.due_total, lists.open, lists.open_total
    blocks: list[Block] = [
        header("Tiering decisions"),
        section(
            "Each tiering decision gets an owner, the evidence behind it, the options weighed and a date "
            "on which it is looked at again."
        ),
        actions(
            [button("Log a decision", ids.OPEN, style="primary")],
            block_id=ids.HOME_ACTIONS_BLOCK,
        ),
        divider(),
        section(f"*Due for review* · {count_text(due_total)}"),
    ]
    blocks += [line_block(line, today) for line in due[:DUE_SHOWN]] or [section("_Nothing is due._")]
    if due_total > DUE_SHOWN:
        blocks.append(context(f"More: `/decision list due` ({count_text(due_total)} in all)"))
    blocks += [divider(), section(f"*In force* · {count_text(open_total)}")]
    blocks += [line_block(line, today) for line in open_[:OPEN_SHOWN]] or [
        section("_No decisions yet._ *Log a decision* above, or `/decision` in any channel.")
    ]
    if open_total > OPEN_SHOWN:
        blocks.append(context(f"More: `/decision list open` ({count_text(open_total)} in all)"))
    blocks.append(context("`/decision list all` for every record · `/decision show D-42` for one"))
    if extra:
        blocks = [*extra, divider(), *blocks]
    return {"type": "home", "blocks": blocks[:100]}
