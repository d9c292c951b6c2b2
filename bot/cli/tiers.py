"""`tierbot tier ...`: the /tier lookup in the terminal, overrides and history for admins."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Any, NoReturn

import typer
from rich.table import Table

from bot.accounts import service
from bot.accounts.overrides import Refusal, Refused
from bot.cli.context import console, fail, load_services
from bot.slack.render import mrkdwn_to_text, render_message
from bot.views import tier_card


class _DefaultToShow(typer.core.TyperGroup):
    """`tierbot tier acme` means `tierbot tier show acme`: a bare query is the common case."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


def _refused(refused: Refused) -> NoReturn:
    if refused.reason in (Refusal.AMBIGUOUS, Refusal.NO_MATCH):
        names = ", ".join(refused.options)
        fail(f"no single account matches {refused.subject!r}" + (f" (candidates: {names})" if names else ""))
    fail(mrkdwn_to_text(tier_card.refusal_text(refused)).replace("`", ""))


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    tier_app = typer.Typer(
        cls=_DefaultToShow, help="Look up tiers; set and clear overrides.", no_args_is_help=True
    )
    app.add_typer(tier_app, name="tier")

    @tier_app.command("show")
    def show(query: list[str] = typer.Argument(..., help="Account name, id or domain.")) -> None:
        """What `/tier QUERY` shows in Slack, as text."""
        services = load_services()
        result = service.look_up(
            services.db,
            services.accounts,
            services.policy,
            service.lookup_command(" ".join(query)),
            services.clock(),
            services.settings.at_risk_share,
        )
        message = tier_card.lookup_message(result, services.policy)
        console.print(render_message(message), markup=False, highlight=False)

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
        except ValueError as exc:
            fail(str(exc))
        outcome = service.set_override(
            services.db,
            services.accounts,
            services.policy,
            account,
            tier,
            reason,
            by or getpass.getuser(),
            services.clock(),
            until_date,
        )
        if isinstance(outcome, Refused):
            _refused(outcome)
        console.print(f"{outcome.account} is now {outcome.tier} (override)")

    @tier_app.command("clear")
    def clear(account: str, by: str = typer.Option(None, help="Who cleared it.")) -> None:
        """Remove an account's override; the rules decide again."""
        services = load_services()
        outcome = service.clear_override(
            services.db,
            services.accounts,
            services.policy,
            account,
            by or getpass.getuser(),
            services.clock(),
        )
        if isinstance(outcome, Refused):
            _refused(outcome)
        console.print(f"override cleared: {outcome.account} is {outcome.tier} by the rules")

    @tier_app.command("history")
    def history(account: str) -> None:
        """Every tier change of an account: when, from, to, why and by whom."""
        services = load_services()
        found = service.tier_history(services.db, services.accounts, account)
        if isinstance(found, Refused):
            _refused(found)
        table = Table("when (UTC)", "from", "to", "cause", "by", "why")
        for r in found.entries:
            table.add_row(
                r.at.strftime("%Y-%m-%d %H:%M"), r.from_tier or "—", r.to_tier, r.cause, r.actor, r.detail
            )
        console.print(f"tier history of {found.account}")
        console.print(table)

    @tier_app.command("recompute")
    def recompute() -> None:
        """Re-evaluate every account (after a policy edit); each change is kept in history."""
        services = load_services()
        changed = service.recompute(services.db, services.policy, services.clock(), actor="cli:recompute")
        console.print(f"{changed} account(s) changed tier")
