"""`tierbot scenario ...`: a tier policy variant, or a sweep of one threshold, evaluated on today's data.

    tierbot scenario enterprise=30000 professional=8000 [strategic-lift=0|1] [critical-floor=TIER] [days=90]
    tierbot scenario sweep enterprise=15000..50000 step 2500 [budget=400000] [--chart FILE.png]
    tierbot scenario backtest [--days 90] [--min-tickets 5]

Parse, call `bot.scenarios.service`, render (rich tables and a text chart: `scenario_tables.py`; or
JSON). Changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.cli.context import console, fail, load_services
from bot.cli.scenario_tables import print_backtest, print_scenario, print_sweep
from bot.scenarios.service import (
    Refused,
    backtest_json,
    parse_sweep,
    parse_variant,
    png_chart,
    run_backtest,
    run_scenario,
    run_sweep,
    scenario_json,
    sweep_json,
)

DEFAULT_BACKTEST_DAYS = 90


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    @app.command("scenario")
    def scenario(
        args: list[str] = typer.Argument(..., help="Variant (enterprise=30000 …) or `sweep` and a range."),
        output: str = typer.Option("table", "--format", help="table or json"),
        chart: Path | None = typer.Option(None, "--chart", help="Sweeps: write a PNG chart here."),
        days: int | None = typer.Option(
            None, "--days", min=1, help="Backtest: days of history (default 90)."
        ),
        min_tickets: int = typer.Option(
            5, "--min-tickets", min=1, help="Backtest: answered tickets a cell needs in each period."
        ),
    ) -> None:
        """What if the tier policy changed? Evaluate a variant, sweep one threshold, or backtest the
        projection on held-back data (read-only)."""
        if output not in ("table", "json"):
            fail(f"--format is table or json, not {output!r}")
        kind = args[0].casefold()
        if kind == "backtest":
            if len(args) > 1 or chart is not None:
                fail("`tierbot scenario backtest` takes only --days, --min-tickets and --format")
        elif days is not None:
            fail("--days goes with `tierbot scenario backtest`; a variant or sweep takes days=N")
        services = load_services()
        sweep = kind == "sweep"
        text = " ".join(args[1:] if sweep else args)
        now = services.clock()
        with services.db.engine.connect() as conn:
            if kind == "backtest":
                tested = run_backtest(
                    conn, services.policy, now, DEFAULT_BACKTEST_DAYS if days is None else days, min_tickets
                )
                if isinstance(tested, Refused):
                    fail(tested.message)
                if output == "json":
                    typer.echo(json.dumps(backtest_json(tested), indent=2, ensure_ascii=False))
                else:
                    print_backtest(tested)
                return
            if sweep:
                spec = parse_sweep(services.policy, text)
                if isinstance(spec, Refused):
                    fail(spec.message)
                swept = run_sweep(conn, services.policy, now, spec)
                if isinstance(swept, Refused):
                    fail(swept.message)
                if chart is not None:
                    chart.write_bytes(png_chart(swept))
                if output == "json":
                    typer.echo(json.dumps(sweep_json(swept), indent=2, ensure_ascii=False))
                else:
                    print_sweep(swept)
                    if chart is not None:
                        console.print(f"chart written to {chart}")
                return
            if chart is not None:
                fail("--chart goes with `tierbot scenario sweep …`")
            variant = parse_variant(services.policy, text)
            if isinstance(variant, Refused):
                fail(variant.message)
            result = run_scenario(conn, services.policy, now, variant)
            if isinstance(result, Refused):
                fail(result.message)
            if output == "json":
                typer.echo(json.dumps(scenario_json(result), indent=2, ensure_ascii=False))
            else:
                print_scenario(result)
