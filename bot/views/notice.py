"""A one-message modal, pushed over a form when the answer cannot be a field error."""

from __future__ import annotations

from typing import Any

from bot.views.blocks import section


def notice_view(text: str, title: str = "tierbot") -> dict[str, Any]:
    # Pushed, not updated: closing it returns to the form underneath with everything still typed.
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": [section(text)],
    }
