"""An account's own Slack channel (`accounts.slack_channel`): `/tier set-channel ACCOUNT #channel|clear`.

The account's SLA alert steps and health-drop posts go there instead of its tier's alert channel
(bot.alerts reads the column when it posts, so a new channel applies from the next post on);
escalation levels that name a channel of their own keep it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.accounts.overrides import OverrideError, Refusal, Refused
from storage.db import Database
from storage.models import Account
from storage.versions import ACCOUNTS, bump_version

# Slack escapes a picked channel as <#C123|name> (or <#C123>, or <#C123|> when the name is withheld).
_CHANNEL_LINK = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")  # as a CSV carries it (csv_cells.slack_channel_cell)
CLEAR_WORDS = frozenset(("clear", "none", "-"))


@dataclass(frozen=True)
class ChannelRequest:
    account: str  # the account as typed
    channel: str | None  # the channel id; None: clear


def parse_set_channel(text: str) -> ChannelRequest:
    """`set-channel ACCOUNT <#C123|name>` / `set-channel ACCOUNT C0123ABC` / `set-channel ACCOUNT clear`
    (text already through `clean_input`): the channel is the last word, the account all before it."""
    words = text.split(" ")
    if len(words) < 3:
        raise OverrideError(Refused(Refusal.CHANNEL_SYNTAX))
    account, token = " ".join(words[1:-1]).strip(), words[-1]
    if token.casefold() in CLEAR_WORDS:
        return ChannelRequest(account, None)
    if m := _CHANNEL_LINK.match(token):
        return ChannelRequest(account, m[1])
    if _CHANNEL_ID.match(token):
        return ChannelRequest(account, token)
    if token.startswith("#"):
        # /tier is not escaped (a domain would become a link): a typed #name arrives as plain text,
        # and resolving a name means listing every channel of the workspace.
        raise OverrideError(Refused(Refusal.CHANNEL_NAME, token))
    raise OverrideError(Refused(Refusal.CHANNEL_SYNTAX, token))


def set_channel(db: Database, account_id: int, channel: str | None) -> tuple[str, str | None]:
    """Store the channel (None clears it); returns (account name, the channel it had before)."""
    with db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise OverrideError(Refused(Refusal.ACCOUNT_GONE))
        previous = account.slack_channel
        if previous != channel:
            account.slack_channel = channel
            bump_version(session, ACCOUNTS)  # cached /tier cards show the channel
        return account.name, previous
