"""Scheduled jobs, one module per capability; each declares its jobs as `JobSpec`s (name, schedule,
whether it posts) and implements them: take the time and the `JobContext`, call the capability's
service, render with `bot.views`, post through the schedule machinery's poster.

`all_jobs()` is the registry: `bot.main` hands it to the scheduler, `tierbot jobs` to `run_job`. The
machinery (`bot.schedule`) never imports this package.
"""

from __future__ import annotations

from datetime import datetime

from bot.jobs import (
    accounts,
    alerts,
    decisions,
    digest,
    quarterly,
    report,
    reviews,
    scenarios,
    sync,
    tierchanges,
)
from bot.schedule import context
from bot.schedule.context import JobReport, JobSpec
from bot.schedule.poster import Poster
from bot.services import Services


def all_jobs() -> list[JobSpec[Services]]:
    """Every scheduled job, in the order `tierbot jobs list` shows them."""
    return [
        *digest.JOBS,
        *reviews.JOBS,
        *decisions.JOBS,
        *accounts.JOBS,
        *alerts.JOBS,
        *sync.JOBS,
        *tierchanges.JOBS,
        *report.JOBS,
        *quarterly.JOBS,
        *scenarios.JOBS,
    ]


def job_names() -> list[str]:
    return [spec.name for spec in all_jobs()]


def run_job(
    services: Services,
    name: str,
    at: datetime | None = None,
    *,
    dry_run: bool = False,
    poster: Poster | None = None,
) -> JobReport:
    """Run one of `all_jobs()` as of `at` (default: the services clock); see `bot.schedule.context`."""
    return context.run_job(services, name, at, specs=all_jobs(), dry_run=dry_run, poster=poster)
