"""Subcommands of a slash command (`/tier scenario …`, `/tier reviews`) routed to their own listeners.

Bolt matches a command listener on the command's name; a listener with a custom `matchers=` function
pays for Bolt building every listener argument (action, view, event, step…) to call it, ~50-90 µs a
request here. Two such listeners in front of `/tier` cost every lookup twice that and took the
bench's warm ratio from 0.96 to 0.73. Instead `bot.main`'s middleware (a class: no argument building)
gives a request whose first word names a subcommand a command name of its own, `/tier scenario`, which
the subcommand's module registers like any command; everything else reaches `/tier` untouched.
"""

from __future__ import annotations

from typing import Any

from bot.text import clean_input

# (command, first word of its text) -> the name its listener is registered under.
TIER_SCENARIO = "/tier scenario"
TIER_REVIEWS = "/tier reviews"
ROUTES: dict[tuple[str, str], str] = {
    ("/tier", "scenario"): TIER_SCENARIO,
    ("/tier", "reviews"): TIER_REVIEWS,
}
_COMMANDS = frozenset(command for command, _ in ROUTES)


def route(body: dict[str, Any]) -> None:
    """Rename a subcommand's request in place (the text is kept whole, subcommand word included)."""
    command = body.get("command")
    if command not in _COMMANDS:
        return
    text = body.get("text")
    words = clean_input(text[:64]).split(" ", 1) if isinstance(text, str) else []
    target = ROUTES.get((command, words[0].casefold())) if words else None
    if target is not None:
        body["command"] = target
