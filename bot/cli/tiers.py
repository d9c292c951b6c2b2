"""`tierbot tier ...`: the /tier lookup in the terminal, overrides and history for admins."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select

from bot.accounts.overrides import OverrideError, clear_override, set_override
from bot.accounts.tiering import recompute as recompute_tiers
from bot.cli.context import console, fail, load_services
from bot.services import Services
from bot.slack.render import render_message
from storage.models import Account, TierChange


class _DefaultToShow(typer.core.TyperGroup):
    """`tierbot tier acme` means `tierbot tier show acme`: a bare query is the common case."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


def _one_account(services: Services, query: str) -> int:
    match = services.account_index().match(query)
    if match.account_id is None:
        names = ", ".join(c.name for c in match.candidates[:5])
        fail(f"no single account matches {query!r}" + (f" (candidates: {names})" if names else ""))
    return match.account_id


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    tier_app = typer.Typer(
        cls=_DefaultToShow, help="Look up tiers; set and clear overrides.", no_args_is_help=True
    )
    app.add_typer(tier_app, name="tier")

    @tier_app.command("show")
    def show(query: list[str] = typer.Argument(..., help="Account name, id or domain.")) -> None:
        """What `/tier QUERY` shows in Slack, as text."""
        from handlers.tier import answer

        services = load_services()
        console.print(render_message(answer(services, " ".join(query), "cli")), markup=False, highlight=False)

    @tier_app.command("set")
    def set_(
        account: str,
        tier: str,
        reason: str = typer.Option(..., "--reason", "-r", help="Why the rules do not fit this account."),
        until: str = typer.Option(None, help="Last day of the override (YYYY-MM-DD)."),
        by: str = typer.Option(None, help="Who decided (default: your login)."),
    ) -> None:
        """Override an account's tier (beats the rules until it expires or is cleared)."""
        services = load_services()
        try:
            until_date = date.fromisoformat(until) if until else None
            name, tier_name = set_override(
                services.db,
                services.policy,
                _one_account(services, account),
                tier,
                reason,
                by or getpass.getuser(),
                services.clock(),
                until_date,
            )
        except (OverrideError, ValueError) as exc:
            fail(str(exc).replace("`", ""))
        console.print(f"{name} is now {tier_name} (override)")

    @tier_app.command("clear")
    def clear(account: str, by: str = typer.Option(None, help="Who cleared it.")) -> None:
        """Remove an account's override; the rules decide again."""
        services = load_services()
        try:
            name, tier_name = clear_override(
                services.db,
                services.policy,
                _one_account(services, account),
                by or getpass.getuser(),
                services.clock(),
            )
        except OverrideError as exc:
            fail(str(exc))
        console.print(f"override cleared: {name} is {tier_name} by the rules")

    @tier_app.command("history")
    def history(account: str) -> None:
        """Every tier change of an account: when, from, to, why and by whom."""
        services = load_services()
        account_id = _one_account(services, account)
        table = Table("when (UTC)", "from", "to", "cause", "by", "why")
        with services.db.session() as session:
            name = session.get(Account, account_id).name  # type: ignore[union-attr]
            rows = session.scalars(
                select(TierChange)
                .where(TierChange.account_id == account_id)
                .order_by(TierChange.at, TierChange.id)
            ).all()
            for r in rows:
                table.add_row(
                    r.at.strftime("%Y-%m-%d %H:%M"), r.from_tier or "—", r.to_tier, r.cause, r.actor, r.detail
                )
        console.print(f"tier history of {name}")
        console.print(table)

    @tier_app.command("recompute")
    def recompute() -> None:
        """Re-evaluate every account (after a policy edit); each change is kept in history."""
        services = load_services()
        with services.db.session() as session:
            changes = recompute_tiers(session, services.policy, services.clock(), actor="cli:recompute")
            if changes:
                from storage.versions import ACCOUNTS, bump_version

                bump_version(session, ACCOUNTS)
        console.print(f"{len(changes)} account(s) changed tier")
