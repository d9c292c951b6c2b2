"""`tierbot report --period 30d [--format table|md|json|csv] [--chart FILE.png]`: the per-tier report.

Table and markdown are the words of `bot.views.report`; JSON and CSV carry raw numbers (minutes,
shares 0-1, dollars) for spreadsheets and scripts, the previous period's beside each.
"""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bot.cli.context import console, fail, load_services
from bot.reports import service as reports
from bot.reports.service import PeriodMetrics, TierReport, TierRow
from bot.views import report as report_view
from bot.views import report_chart


class Format(StrEnum):
    TABLE = "table"
    MD = "md"
    JSON = "json"
    CSV = "csv"


def _measures(m: PeriodMetrics) -> dict[str, Any]:
    cost = m.support_cost_per_account
    return {
        "tickets": m.tickets,
        "severity_counts": m.severity_counts,
        "mtta_minutes": m.mtta_minutes,
        "mttr_minutes": m.mttr_minutes,
        "fcr_share": m.fcr_share,
        "first_response_attainment": m.first_response_attainment,
        "resolution_attainment": m.resolution_attainment,
        "csat_avg": m.csat_avg,
        "support_cost": str(m.support_cost),
        "support_cost_per_account": None if cost is None else str(cost),
    }


def flat(row: TierRow) -> dict[str, Any]:
    return {
        "tier": row.tier,
        "name": row.name,
        "accounts": row.accounts,
        "acv": str(row.acv),
        "accounts_change": row.accounts_change,
        "acv_change": str(row.acv_change),
        "current": _measures(row.current),
        "previous": _measures(row.previous),
    }


def as_json(report: TierReport) -> str:
    data = {
        "period": report.period.value,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "previous_start": report.previous_start.isoformat(),
        "tiers": [flat(row) for row in report.rows],
        "weeks": {
            tier: [
                {
                    "end": p.end.isoformat(),
                    "tickets": p.tickets,
                    "attainment": p.attainment,
                    "mttr_minutes": p.mttr_minutes,
                }
                for p in points
            ]
            for tier, points in report.weeks.items()
        },
    }
    return json.dumps(data, indent=2)


def as_csv(report: TierReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    scalar = [k for k in _measures(PeriodMetrics(report.start, report.end)) if k != "severity_counts"]
    severities = list(report.rows[0].current.severity_counts) if report.rows else []
    head = ["tier", "accounts", "acv", "accounts_change", "acv_change"]
    for when in ("current", "previous"):
        head += [f"{when}_{k}" for k in scalar] + [f"{when}_{s}" for s in severities]
    writer.writerow(head)
    for row in report.rows:
        f = flat(row)
        cells = [row.tier, row.accounts, f["acv"], row.accounts_change, f["acv_change"]]
        for when in ("current", "previous"):
            m = f[when]
            cells += ["" if m[k] is None else m[k] for k in scalar]
            cells += [m["severity_counts"].get(s, 0) for s in severities]
        writer.writerow(cells)
    return out.getvalue()


def _print_table(report: TierReport) -> None:
    table = Table(title=report_view.title(report), caption=report_view.span(report))
    for column in ("Tier", "Measure", "Now", "Before", "Change"):
        table.add_column(column)
    for line in report_view.report_lines(report):
        table.add_row(line.tier, line.measure, line.current, line.previous, line.change)
    console.print(table)


PeriodOpt = Annotated[str, typer.Option("--period", "-p", help="7d, 30d or quarter (13 weeks).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, md, json or csv.")]
ChartOpt = Annotated[
    Path | None,
    typer.Option("--chart", help="Also write the chart (attainment and MTTR per tier per week) as PNG."),
]


def run(period_text: str, fmt: Format, chart: Path | None) -> None:
    period = reports.parse_period(period_text)
    if period is None:
        fail(f"unknown period {period_text!r}; use 7d, 30d or quarter")
    services = load_services()
    with services.db.session() as session:
        report = reports.tier_report(
            session,
            services.policy,
            period,
            now=services.clock(),
            at_risk_share=services.settings.at_risk_share,
            weekly=chart is not None or fmt is Format.JSON,  # the weekly series is for the chart and JSON
        )
    if fmt is Format.TABLE:
        _print_table(report)
    else:
        text = {Format.MD: report_view.report_markdown, Format.JSON: as_json, Format.CSV: as_csv}[fmt](report)
        typer.echo(text, nl=not text.endswith("\n"))
    if chart is not None:
        try:
            chart.write_bytes(report_chart.render_png(report))
        except OSError as exc:
            fail(f"{chart}: {exc.strerror or exc}")
        if fmt is Format.TABLE:
            console.print(f"Chart written to {chart}.", highlight=False)


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    @app.command("report")
    def report_command(
        period: PeriodOpt = "30d", format: FormatOpt = Format.TABLE, chart: ChartOpt = None
    ) -> None:
        """The per-tier support report with the change against the previous period."""
        run(period, format, chart)
