"""The every-tick `scenario-cache` job: keep the scenario arrays file current, so that the first
scenario after a sync, an import or a restart reads ~40 ms of file instead of ~1.2 s of database.

Each tick costs the key (four index probes) and the file's header; the database is read only when the
data versions or the fingerprint changed (`bot.scenarios.cache`): ~1.2 s of CPU and a transient
~150 MB for a million tickets, in the scheduler's process, which keeps nothing in memory afterwards.
Without a cache directory (a server database and no SCENARIO_CACHE_DIR) there is nothing to build.
The file is a cache, not data: a dry run builds it too.
"""

from __future__ import annotations

from bot.schedule.context import JobContext, JobSpec
from bot.services import Services

SCENARIO_CACHE = "scenario-cache"


def run_scenario_cache(ctx: JobContext[Services]) -> None:
    # numpy loads here, in the scheduler, not with every process that imports the jobs
    from bot.scenarios.cache import Served, SnapshotCache, default_directory
    from bot.scenarios.snapshot import data_days

    services = ctx.services
    with services.db.engine.connect() as conn:
        directory = services.settings.scenario_cache_dir or default_directory(conn)
        if directory is None:
            ctx.note("scenario-cache: no cache directory (set SCENARIO_CACHE_DIR to keep one)")
            return
        if data_days(conn, ctx.at) == 0:
            ctx.note("scenario-cache: no tickets yet")
            return
        served = SnapshotCache(directory, keep_in_memory=False).build(conn, ctx.at)
    ctx.note(
        "scenario-cache: rebuilt from the database"
        if served is Served.DATABASE
        else "scenario-cache: the file is current"
    )


JOBS: list[JobSpec[Services]] = [
    JobSpec(
        SCENARIO_CACHE,
        "Keep the scenario data file current, so the first scenario after a sync or an import is quick.",
        run_scenario_cache,
        posts=False,
    ),
]
