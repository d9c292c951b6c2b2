"""The objects a running tierbot shares: settings, database, policy, clock and the account directory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.accounts.directory import AccountDirectory
from bot.config import Settings
from bot.matching import AccountIndex
from bot.policy.model import Policy, load_policy
from bot.slack_channels import ChannelSharing
from bot.slack_members import ChannelMembers
from storage.db import Database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    policy: Policy
    clock: Clock = system_clock
    # How long a process trusts its caches before asking the database for the data versions.
    version_ttl: InitVar[float] = 1.0
    # After an import, rebuild the account index in the background (see AccountDirectory).
    rebuild_in_background: InitVar[bool] = False
    # The account index and the /tier cache: one per process, handed to the accounts service.
    accounts: AccountDirectory = field(init=False, repr=False)
    # Who is in which channel, asked of Slack for /digest's permission checks and kept a minute.
    channel_members: ChannelMembers = field(default_factory=ChannelMembers, repr=False)
    # Which channels are shared with another organization (no link unfurls there), kept 10 minutes.
    channel_sharing: ChannelSharing = field(default_factory=ChannelSharing, repr=False)

    def __post_init__(self, version_ttl: float, rebuild_in_background: bool) -> None:
        self.accounts = AccountDirectory(version_ttl, rebuild_in_background)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = system_clock, migrate: bool = True) -> Services:
        """The services of a running tierbot (server, console, commands)."""
        policy = load_policy(settings.tier_policy_file)  # fails at start-up, never at the first lookup
        db = Database(settings.database_url)
        if migrate:
            db.ensure_schema()
        return cls(settings=settings, db=db, policy=policy, clock=clock, rebuild_in_background=True)

    def __deepcopy__(self, memo: dict[int, Any]) -> Services:
        # Bolt deep-copies a request's context for its lazy listeners; the services in it are shared
        # by design (one database pool, one cache), so the copy is this same object.
        return self

    def account_index(self) -> AccountIndex:
        """The account matcher, current with the data versions (see AccountDirectory.index)."""
        return self.accounts.index(self.db)

    def invalidate(self) -> None:
        """Forget caches now (the writing process need not wait for the version TTL)."""
        self.accounts.invalidate()
