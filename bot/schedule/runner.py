"""Runs the schedule: APScheduler in this process, leader election, clean shutdown on SIGTERM.

Each process has its own APScheduler with the default in-memory job store (job stores are never shared
between schedulers). Every process renews or watches the lease each tick; only the leader runs jobs.
Exactly-once posting does not depend on any of this: it is the delivery ledger's job.

The jobs are handed in (`specs`); this module never imports them. `bot.main.start_scheduler(services)`
starts it with every job of `bot.jobs` (`tierbot serve --with-scheduler`), and `handle.shutdown()`
stops it at exit. Own process: `tierbot scheduler` (`bot.main.run_scheduler`).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, Generic
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.schedule.context import D, JobDeps, JobSpec, by_name, make_poster, run_job
from bot.schedule.leader import Lease

log = logging.getLogger(__name__)
# APScheduler logs every run of every job at INFO: with a one-minute tick that buries what matters
# (leadership changes, posts, retries), which this module logs itself.
logging.getLogger("apscheduler").setLevel(logging.WARNING)

LEASE_JOB = "leader-lease"


@dataclass(frozen=True)
class JobInfo:
    name: str
    description: str
    schedule: str
    next_run: datetime | None


def lease_ttl(tick_seconds: int) -> timedelta:
    # Three missed renewals before a standby takes over: a slow tick is not a dead leader.
    return timedelta(seconds=max(3, 3 * tick_seconds))


def _trigger(spec: JobSpec[Any], services: JobDeps, tick: int) -> tuple[BaseTrigger, str]:
    if spec.daily_at is not None:
        hour, minute = (int(p) for p in spec.daily_at.split(":"))
        tz = ZoneInfo(services.settings.default_timezone)  # validated by Settings
        return CronTrigger(hour=hour, minute=minute, timezone=tz), f"daily at {spec.daily_at} ({tz.key})"
    return IntervalTrigger(seconds=tick), f"every {tick} s"


class SchedulerHandle(Generic[D]):
    """A running (or ready) schedule for one process; `shutdown()` stops it and gives up leadership."""

    def __init__(self, services: D, specs: Iterable[JobSpec[D]], tick_seconds: int | None = None) -> None:
        self.services = services
        self.specs = by_name(specs)
        self.tick = tick_seconds or services.settings.scheduler_tick_seconds
        self.lease = Lease(services.db, lease_ttl(self.tick))
        self.poster = make_poster(services, holder=self.lease.holder)
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": max(1, self.tick)},
        )
        self._lock = threading.Lock()
        self._stopped = False
        self.scheduler.add_job(self.renew, IntervalTrigger(seconds=self.tick), id=LEASE_JOB, name=LEASE_JOB)
        for spec in self.specs.values():
            trigger, _ = _trigger(spec, services, self.tick)
            self.scheduler.add_job(self.run, trigger, args=[spec.name], id=spec.name, name=spec.name)

    @property
    def is_leader(self) -> bool:
        return self.lease.is_leader

    def renew(self) -> bool:
        with self._lock:
            if self._stopped:
                return False
            return self.lease.renew(self.services.clock())

    def run(self, name: str) -> None:
        """One scheduled run of a job, on the leader only; failures are logged, never raised."""
        if not self.lease.is_leader or self._stopped:
            return
        if self.poster.dry_run and self.specs[name].posts:
            # Console mode (no SLACK_BOT_TOKEN): nothing to post to, and a dry run records nothing,
            # so it would render the same messages every tick. `tierbot jobs run` shows them instead.
            return
        try:
            report = run_job(self.services, name, specs=self.specs.values(), poster=self.poster)
        except Exception:
            log.exception("job %s failed; the next tick tries again", name)
            return
        posted = report.count("sent")
        if posted or report.count("given_up") or report.count("pending"):
            log.info(
                "job %s: %d sent, %d pending, %d given up, %d skipped",
                name,
                posted,
                report.count("pending"),
                report.count("given_up"),
                report.count("skipped"),
            )

    def start(self) -> SchedulerHandle[D]:
        self.renew()  # lead (or stand by) at once rather than after the first tick
        if self.poster.dry_run:
            log.warning("no SLACK_BOT_TOKEN: the scheduler runs only jobs that post nothing")
        log.info(
            "scheduler %s started (tick %ss, %s)",
            self.lease.holder,
            self.tick,
            "leader" if self.is_leader else "standing by",
        )
        self.scheduler.start()
        return self

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling, let running jobs finish (wait=True), then release the lease."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self.lease.release()
        log.info("scheduler %s stopped", self.lease.holder)


def start_background_scheduler(
    services: D, specs: Iterable[JobSpec[D]], tick_seconds: int | None = None
) -> SchedulerHandle[D]:
    """Start the schedule of `specs` in threads of this process; returns a handle with `.shutdown()`."""
    return SchedulerHandle(services, specs, tick_seconds).start()


def describe_jobs(services: JobDeps, specs: Iterable[JobSpec[Any]], now: datetime) -> list[JobInfo]:
    tick = services.settings.scheduler_tick_seconds
    out = []
    for spec in specs:
        trigger, text = _trigger(spec, services, tick)
        next_run: Any = trigger.get_next_fire_time(None, now)
        if isinstance(trigger, IntervalTrigger):
            next_run = now + timedelta(seconds=tick)  # an interval starts counting when the process starts
        out.append(JobInfo(spec.name, spec.description, text, next_run))
    return out


def run_blocking(services: D, specs: Iterable[JobSpec[D]], tick_seconds: int | None = None) -> None:
    """`tierbot scheduler`: run until SIGTERM or SIGINT, then stop cleanly and hand over leadership."""
    stop = threading.Event()

    def _signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping the scheduler", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, _signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    handle = start_background_scheduler(services, specs, tick_seconds)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        handle.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
