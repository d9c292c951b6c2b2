"""Block Kit rendered as terminal text, for the local console and `tierbot tier`."""

from __future__ import annotations

import re
from typing import Any

_MENTION = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]+))?>")
_LINK = re.compile(r"<(https?://[^>|]+)(?:\|([^>]+))?>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")


def mrkdwn_to_text(text: str) -> str:
    text = _LINK.sub(lambda m: m[2] or m[1], text)
    text = _MENTION.sub(
        lambda m: m[3] or f"{'@' if m[1] == '@' else '#' if m[1] == '#' else '@'}{m[2]}", text
    )
    text = text.replace("```", "")
    text = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    return mrkdwn_to_text(obj.get("text", "")) if obj.get("type") == "mrkdwn" else obj.get("text", "")


def render_blocks(blocks: list[dict[str, Any]], buttons: list[dict[str, Any]] | None = None) -> str:
    """Plain text for a list of blocks. Buttons are numbered and appended to `buttons` when given."""
    out: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _text(block.get("text"))
            out += [title, "=" * min(len(title) * 2, 60)]
        elif kind == "section":
            if block.get("text"):
                out.append(_text(block["text"]))
            fields = [_text(f).replace("\n", ": ", 1) for f in block.get("fields", [])]
            if fields:
                out.append("  |  ".join(fields))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button" and buttons is not None:
                buttons.append(accessory | {"block_id": block.get("block_id", "")})
                out.append(f"  [{len(buttons)}] {_text(accessory.get('text'))}")
        elif kind == "context":
            out.append("  " + "  ·  ".join(_text(e) for e in block.get("elements", []) if "text" in e))
        elif kind == "divider":
            out.append("-" * 40)
        elif kind == "actions":
            labels = []
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    if buttons is not None:
                        buttons.append(element | {"block_id": block.get("block_id", "")})
                        labels.append(f"[{len(buttons)}] {_text(element.get('text'))}")
                    else:
                        labels.append(f"[{_text(element.get('text'))}]")
            if labels:
                out.append("  ".join(labels))
        elif kind == "input":
            out.append(f"{_text(block.get('label'))}: ____")
    return "\n".join(out)


def render_message(message: dict[str, Any], buttons: list[dict[str, Any]] | None = None) -> str:
    if message.get("blocks"):
        return render_blocks(message["blocks"], buttons)
    return mrkdwn_to_text(message.get("text", ""))
