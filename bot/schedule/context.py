"""What a job is to the machinery (`JobSpec`), what it gets when it runs (`JobContext`), and `run_job`.

The machinery knows no job: the specs are handed in by whoever runs them (`bot.jobs.all_jobs()`, given
by `bot.main` to the scheduler and by the CLI to `tierbot jobs`). It knows the running tierbot only as
`JobDeps` (settings, database, clock), which `bot.services.Services` satisfies; a job's context is typed
with the caller's own deps, so a job reads `ctx.services.policy` without this package importing it.

Each job first retries its own due ledger rows (429s, 5xx, posts interrupted by a crash), then looks
for new work at `at`. Every post goes through a `Poster`: the ledger one, or a dry run that only
collects what would have been posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.schedule.leader import holder_id
from bot.schedule.poster import DryRunPoster, LedgerPoster, Outcome, Poster, SlackSender, delivery_client
from storage.db import Database

log = logging.getLogger(__name__)


class JobDeps(Protocol):
    """What the machinery needs of the running tierbot (read-only)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


D = TypeVar("D", bound=JobDeps)


@dataclass
class JobContext(Generic[D]):
    services: D
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
class JobSpec(Generic[D]):
    """A job as it declares itself: its name, when it runs, whether it posts, and what it does."""

    name: str
    description: str
    run: Callable[[JobContext[D]], None]
    daily_at: str | None = None  # "HH:MM" in the default time zone; None: every tick
    posts: bool = True  # False: touches only the database (runs without a Slack token too)


def by_name(specs: Iterable[JobSpec[D]]) -> dict[str, JobSpec[D]]:
    return {spec.name: spec for spec in specs}


def make_poster(services: JobDeps, *, dry_run: bool = False, holder: str | None = None) -> Poster:
    """A ledger poster; a dry run when asked or when there is no Slack token (console mode)."""
    if dry_run or services.settings.slack_bot_token is None:
        return DryRunPoster()
    sender = SlackSender(delivery_client(services.settings))
    # The clock is looked up at every call, as before: a long-lived poster (the runner's) follows a
    # clock that is replaced after it was made (tests freeze and move it).
    return LedgerPoster(services.db, lambda: services.clock(), sender, holder or holder_id())


def run_job(
    services: D,
    name: str,
    at: datetime | None = None,
    *,
    specs: Iterable[JobSpec[D]],
    dry_run: bool = False,
    poster: Poster | None = None,
) -> JobReport:
    """Run one job as of `at` (default: the services clock). Safe to call any number of times, from any
    number of processes: the ledger posts each (job, target, period) once."""
    registry = by_name(specs)
    if name not in registry:
        raise KeyError(f"unknown job {name!r}; jobs are {', '.join(registry)}")
    when = at or services.clock()
    if when.tzinfo is None:
        raise ValueError("run_job needs an aware datetime")
    ctx = JobContext(services, poster or make_poster(services, dry_run=dry_run), when)
    registry[name].run(ctx)
    return JobReport(name, when, ctx.outcomes, ctx.notes)
