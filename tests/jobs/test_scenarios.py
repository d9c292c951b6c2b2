"""The `scenario-cache` job keeps the scenario arrays file current: built when the data change, left
alone otherwise; a Slack or terminal scenario afterwards reads the file, not the database."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.jobs import run_job
from bot.scenarios.cache import Served, SnapshotCache
from bot.scenarios.service import ScenarioResult, run_scenario
from bot.scenarios.variant import Variant
from bot.services import Services
from storage.db import Database
from storage.versions import TICKETS, bump_version
from tests.scenarios.example import NOW, POLICY, seed


def test_the_job_builds_the_file_when_the_data_change(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    # The directory is given: on SQLite it is where the default puts it; a server database has no
    # default (test_a_server_database_needs_a_directory).
    directory = tmp_path / "tierbot-cache" / "scenarios"
    services = Services(
        settings=settings.model_copy(update={"scenario_cache_dir": directory}), db=db, policy=POLICY
    )
    assert run_job(services, "scenario-cache", NOW).notes == ["scenario-cache: no tickets yet"]
    seed(db)
    assert run_job(services, "scenario-cache", NOW).notes == ["scenario-cache: rebuilt from the database"]
    files = list((tmp_path / "tierbot-cache" / "scenarios").glob("scenarios-*.npz"))
    assert len(files) == 1
    assert run_job(services, "scenario-cache", NOW).notes == ["scenario-cache: the file is current"]

    worker = SnapshotCache(files[0].parent)  # a web worker that has not run a scenario yet
    with db.engine.connect() as conn:
        assert isinstance(run_scenario(conn, POLICY, NOW, Variant(days=7), cache=worker), ScenarioResult)
    assert worker.last is Served.FILE

    with db.session() as session:  # a sync or an import wrote tickets
        bump_version(session, TICKETS)
    assert run_job(services, "scenario-cache", NOW).notes == ["scenario-cache: rebuilt from the database"]
    with db.engine.connect() as conn:
        run_scenario(conn, POLICY, NOW, Variant(days=7), cache=worker)
    assert worker.last is Served.FILE  # the new file, not the arrays of before


def test_without_a_directory_the_job_reads_nothing(services: Services, db: Database) -> None:
    seed(db)
    services.settings.scenario_cache_dir = None
    services.db = Database("sqlite://")  # in memory: no file to sit next to
    services.db.upgrade()
    try:
        assert (
            run_job(services, "scenario-cache", NOW).notes[0].startswith("scenario-cache: no cache directory")
        )
    finally:
        services.db.dispose()


def test_a_server_database_needs_a_directory(services: Services, db: Database) -> None:
    seed(db)
    notes = run_job(services, "scenario-cache", NOW).notes
    if db.engine.url.get_backend_name() == "sqlite":  # a file database: the default is next to it
        assert notes == ["scenario-cache: rebuilt from the database"]
    else:
        assert notes == ["scenario-cache: no cache directory (set SCENARIO_CACHE_DIR to keep one)"]
