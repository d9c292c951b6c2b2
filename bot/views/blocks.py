"""Small Block Kit constructors that keep every text inside Slack's limits."""

from __future__ import annotations

from typing import Any

from bot.text import truncate

Block = dict[str, Any]
Message = dict[str, Any]  # a chat message or an ack body: text fallback plus blocks

# How an SLA state shows on every surface (the /tier card, digests).
STATE_ICON = {"breached": ":red_circle:", "at_risk": ":large_orange_circle:", "ok": ":large_green_circle:"}

SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
BUTTON_MAX = 75
CONTEXT_MAX = 2000
MESSAGE_BLOCKS_MAX = 50
TEXT_FALLBACK_MAX = 3000


def plain_text(text: str) -> Block:
    """A plain_text object (labels, titles, options, placeholders); Slack shows it as written."""
    return {"type": "plain_text", "text": text, "emoji": True}


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, HEADER_MAX), "emoji": True},
    }


def section(text: str, block_id: str | None = None, fields: list[str] | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_MAX)}}
    if fields:
        block["fields"] = [{"type": "mrkdwn", "text": truncate(f, FIELD_MAX)} for f in fields[:10]]
    if block_id:
        block["block_id"] = block_id
    return block


def fields_section(fields: list[str]) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": truncate(f, FIELD_MAX)} for f in fields[:10]],
    }


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(t, CONTEXT_MAX)} for t in texts[:10]],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_MAX), "emoji": True},
        "action_id": action_id,
    }
    if value:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    return element


def actions(elements: list[Block], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def bullet_list(lines: list[str], limit: int = SECTION_TEXT_MAX) -> str:
    """Bulleted lines cut to fit one section, saying how many were left out."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        item = f"• {line}"
        more = f"\n_…and {len(lines) - i} more_"
        if used + len(item) + 1 + len(more) > limit:
            out.append(more.strip())
            break
        out.append(item)
        used += len(item) + 1
    return "\n".join(out)


def fallback(text: str) -> str:
    return truncate(text, TEXT_FALLBACK_MAX)
