"""The scheduled jobs, by name, and `run_job`: what the scheduler, the CLI and the tests all call.

Each job first retries its own due ledger rows (429s, 5xx, posts interrupted by a crash), then looks
for new work at `at`. Every post goes through a `Poster`: the ledger one, or a dry run that only
collects what would have been posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.schedule.leader import holder_id
from bot.schedule.poster import DryRunPoster, LedgerPoster, Outcome, Poster, SlackSender, delivery_client
from bot.services import Services

log = logging.getLogger(__name__)

DIGESTS = "digests"
BREACH_REPOSTS = "breach-reposts"
REVIEW_REMINDERS = "review-reminders"
REVIEW_TRIGGERS = "review-triggers"
TIER_RECOMPUTE = "tier-recompute"
NOTICES = "notices"  # DMs about delivery problems; retried with the digests


@dataclass
class JobContext:
    services: Services
    poster: Poster
    at: datetime
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.poster.dry_run

    def note(self, text: str) -> None:
        log.info(text)
        self.notes.append(text)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work that commits, except in a dry run, which measures but changes nothing."""
        session = self.services.db.sessions()
        try:
            yield session
            if self.dry_run:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


@dataclass(frozen=True)
class JobReport:
    name: str
    at: datetime
    outcomes: list[Outcome]
    notes: list[str]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    run: Callable[[JobContext], None]
    daily_at: str | None = None  # "HH:MM" in the default time zone; None: every tick
    posts: bool = True  # False: touches only the database (runs without a Slack token too)


def _registry() -> dict[str, JobSpec]:
    # Imported here: the job modules import the digest and review packages, which import storage.
    from bot.schedule import digest_jobs, review_jobs

    specs = [
        JobSpec(
            DIGESTS,
            "Post each subscribed channel's SLA digest when its period is due.",
            digest_jobs.run_digests,
        ),
        JobSpec(
            BREACH_REPOSTS,
            "Re-post unacknowledged top-tier breaches once per UNACKED_REPOST_MINUTES.",
            digest_jobs.run_breach_reposts,
        ),
        JobSpec(
            REVIEW_REMINDERS,
            "DM owners and post to the decisions channel when a review date comes near or passes.",
            review_jobs.run_review_reminders,
        ),
        JobSpec(
            REVIEW_TRIGGERS,
            "Measure review triggers; alert once per crossing.",
            review_jobs.run_review_triggers,
        ),
        JobSpec(
            TIER_RECOMPUTE,
            "Re-evaluate every account's tier so expired overrides and policy changes reach the history.",
            review_jobs.run_tier_recompute,
            daily_at="00:15",
            posts=False,
        ),
    ]
    from bot.jobs import alerts as alert_jobs  # issue 11: sla-alerts, escalations, health-alerts

    specs.extend(alert_jobs.job_specs())
    return {spec.name: spec for spec in specs}


def job_specs() -> dict[str, JobSpec]:
    return _registry()


def make_poster(services: Services, *, dry_run: bool = False, holder: str | None = None) -> Poster:
    """A ledger poster; a dry run when asked or when there is no Slack token (console mode)."""
    if dry_run or services.settings.slack_bot_token is None:
        return DryRunPoster()
    return LedgerPoster(services, SlackSender(delivery_client(services)), holder or holder_id())


def run_job(
    services: Services,
    name: str,
    at: datetime | None = None,
    *,
    dry_run: bool = False,
    poster: Poster | None = None,
) -> JobReport:
    """Run one job as of `at` (default: the services clock). Safe to call any number of times, from any
    number of processes: the ledger posts each (job, target, period) once."""
    specs = _registry()
    if name not in specs:
        raise KeyError(f"unknown job {name!r}; jobs are {', '.join(specs)}")
    when = at or services.clock()
    if when.tzinfo is None:
        raise ValueError("run_job needs an aware datetime")
    ctx = JobContext(services, poster or make_poster(services, dry_run=dry_run), when)
    specs[name].run(ctx)
    return JobReport(name, when, ctx.outcomes, ctx.notes)
