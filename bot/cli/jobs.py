"""`tierbot scheduler`, `tierbot jobs list|run`, `tierbot digest show`: the schedule from the terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from bot.cli.context import console, fail, load_services
from bot.services import Services
from bot.slack.render import render_message


def _parse_at(text: str | None, services: Services) -> datetime:
    if not text:
        return services.clock()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--at {text!r} is not an ISO time like 2026-11-23T09:00+01:00")
    # A time without an offset is read in the default time zone, like the schedules themselves.
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(services.settings.default_timezone))
    return value.astimezone(UTC)


# An --at typed to the current minute means "now": a few seconds ahead is not the future.
FUTURE_TOLERANCE = timedelta(minutes=1)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ahead(when: datetime, now: datetime) -> str:
    from bot.views.format import duration

    return duration((when - now).total_seconds() / 60)


def _future_refused(name: str, when: datetime, now: datetime) -> str:
    return (
        f"--at {_stamp(when)} is {_ahead(when, now)} in the future. A real run of {name} as of then "
        "records everything up to that time as done (posted or skipped), so the schedule would never "
        "post it when the time comes. Preview it with --dry-run, or add --force if that is what you want."
    )


def _future_marks(services: Services, name: str, when: datetime, now: datetime) -> list[str]:
    """What a forced future run records, so that the operator sees it before it is done."""
    head = f"--force: running {name} as of {_stamp(when)}, {_ahead(when, now)} ahead of now."
    if name != "digests":
        return [
            head,
            "What it posts or records is keyed to that time (delivery-ledger periods, review dates, "
            "tier history), so the schedule will not do it again when that time comes.",
        ]
    from bot.digest import service as digest

    owed = digest.owed_until(services.db, services.policy, when)
    if not owed:
        return [head, "No subscribed channel has a period due by then: nothing is marked."]
    lines = [
        head,
        "These digest periods are recorded as done (each channel's newest posted now, the older ones "
        "as skipped) and the schedule will not post them again:",
    ]
    for item in owed:
        keys = [o.key for o in item.periods]
        shown = ", ".join(keys) if len(keys) <= 2 else f"{keys[0]} … {keys[-1]}"
        lines.append(f"  #{item.subscription.channel} · {len(keys)} period(s): {shown}")
    return lines


def _where(target: str) -> str:
    return f"DM to {target[3:]}" if target.startswith("dm:") else f"#{target}"


def _tiers(services: Services, values: list[str] | None) -> set[str] | None:
    names = [part for value in values or [] for part in value.replace(",", " ").split()]
    if not names:
        return None
    keys = set()
    for name in names:
        tier = services.policy.find_tier(name)
        if tier is None:
            fail(f"unknown tier {name!r}; tiers are {', '.join(t.key for t in services.policy.tiers)}")
        keys.add(tier.key)
    return keys


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    jobs_app = typer.Typer(help="Scheduled jobs: list them, run one now.", no_args_is_help=True)
    app.add_typer(jobs_app, name="jobs")
    digest_app = typer.Typer(help="The SLA digest.", no_args_is_help=True)
    app.add_typer(digest_app, name="digest")

    @app.command("scheduler")
    def scheduler(
        tick: int = typer.Option(None, help="Seconds between ticks (default: SCHEDULER_TICK_SECONDS)."),
    ) -> None:
        """Run the schedule in this process (leader election: start as many as you like); stops on SIGTERM."""
        from bot.main import run_scheduler

        run_scheduler(load_services(), tick)

    @jobs_app.command("list")
    def list_jobs() -> None:
        """Each job, its schedule and next run; digest subscriptions and their next period; the leader."""
        from bot.digest import service as digest
        from bot.jobs import all_jobs
        from bot.schedule import ledger
        from bot.schedule.leader import current_leader
        from bot.schedule.runner import describe_jobs
        from bot.views.digest_subs import describe

        services = load_services()
        now = services.clock()
        counts = ledger.counts(services.db)
        table = Table("job", "schedule", "next run (UTC)", "ledger", "what it does")
        for info in describe_jobs(services, all_jobs(), now):
            tally = ", ".join(
                f"{n} {status}" for (job, status), n in sorted(counts.items()) if job == info.name
            )
            when = info.next_run.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if info.next_run else "—"
            table.add_row(info.name, info.schedule, when, tally or "—", info.description)
        console.print(table)
        listed = digest.list_subscriptions(services.db, services.policy, now)
        if listed:
            sub_table = Table("channel", "digest", "next period", "by")
            for item in listed:
                sub, nxt = item.subscription, item.next
                sub_table.add_row(f"#{sub.channel}", describe(sub), nxt.key if nxt else "—", sub.created_by)
            console.print(sub_table)
        leader = current_leader(services.db, now)
        console.print(f"scheduler leader: {leader or 'none running'}", markup=False, highlight=False)

    @jobs_app.command("run")
    def run(
        name: str = typer.Argument(..., help="Job name (see `tierbot jobs list`)."),
        at: str = typer.Option(None, "--at", help="Run as of this ISO time (default: now)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be posted; post nothing."),
        force: bool = typer.Option(
            False, "--force", help="Allow a future --at without --dry-run (it marks those periods done)."
        ),
    ) -> None:
        """Run one job now. Posts through the ledger (never twice); without a Slack token it only prints.

        A future --at is refused (exit 2) unless --dry-run or --force: a real run records the periods up
        to that time as done, and the schedule then skips them."""
        from bot.jobs import job_names, run_job

        services = load_services()
        if name not in job_names():
            fail(f"unknown job {name!r}; jobs are {', '.join(job_names())}")
        when = _parse_at(at, services)
        printing = dry_run or services.settings.slack_bot_token is None
        now = services.clock()
        # Only a run that records can swallow the future: a dry run, or one without a token, prints.
        if not printing and when > now + FUTURE_TOLERANCE:
            if not force:
                fail(_future_refused(name, when, now), code=2)
            for line in _future_marks(services, name, when, now):
                console.print(line, markup=False, highlight=False)
        report = run_job(services, name, when, dry_run=dry_run)
        for outcome in report.outcomes:
            where = _where(outcome.key.target)
            if outcome.status == "dry_run" and outcome.payload is not None:
                console.print(
                    f"── would post to {where} · {outcome.key.period}", markup=False, highlight=False
                )
                console.print(render_message(outcome.payload["message"]), markup=False, highlight=False)
            else:
                detail = f" ({outcome.error})" if outcome.error else ""
                console.print(
                    f"{outcome.status:<9} {where} · {outcome.key.period}{detail}",
                    markup=False,
                    highlight=False,
                )
        for note in report.notes:
            console.print(note, markup=False, highlight=False)
        if not report.outcomes and not report.notes:
            console.print(f"{name}: nothing due at {when.isoformat(timespec='minutes')}")
        if printing and not dry_run:
            console.print("(no SLACK_BOT_TOKEN: printed instead of posted, nothing recorded)")

    @digest_app.command("show")
    def show(
        tier: list[str] = typer.Option(
            None, "--tier", "--tiers", help="Only these tiers (repeat or comma-separate)."
        ),
    ) -> None:
        """Every breached and at-risk ticket, ranked as in the digest."""
        from bot.digest import service as digest
        from bot.views.digest import item_line

        services = load_services()
        tiers = _tiers(services, tier)
        now = services.clock()
        count = 0
        for item in digest.breach_list(
            services.db, services.policy, now, tiers, services.settings.at_risk_share
        ):
            count += 1
            line = render_message({"text": item_line(item, services.policy)})
            # Emoji codes read poorly in a terminal: the state is spelled out instead.
            line = line.replace(":red_circle:", "BREACHED").replace(":large_orange_circle:", "at risk ")
            console.print(f"{count:>5}. {line}", markup=False, highlight=False)
        console.print(f"{count} breached or at-risk ticket(s) as of {now.isoformat(timespec='minutes')}")
