"""The report's chart as PNG bytes: SLA attainment per tier per week (12 weeks) and MTTR per tier.

matplotlib with the Agg backend (no display, thread-safe enough for one figure per call: the figure is
built with the object API, never pyplot's global state, so two reports drawing at once do not mix).
"""

from __future__ import annotations

import io

from bot.reports.service import TierReport

DPI = 100
SIZE = (10, 7.5)  # inches: 1000 x 750 px, legible as a Slack preview


def render_png(report: TierReport) -> bytes:
    # Imported here, not at module level: matplotlib (with numpy) costs ~1 s to import, and every
    # `tierbot` command and server start imports the jobs and CLI modules that import this one.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    labels = {row.tier: row.name for row in report.rows}
    for tier, points in report.weeks.items():
        if not any(p.tickets for p in points):
            continue
        # As numbers, not datetimes: matplotlib's datetime converter is looked up by class, and an
        # import of matplotlib.dates under freezegun registered it for FakeDatetime instead.
        weeks = [float(date2num(p.end)) for p in points]  # type: ignore[no-untyped-call]
        top.plot(
            weeks,
            [None if p.attainment is None else p.attainment * 100 for p in points],
            marker="o",
            label=labels.get(tier, tier),
        )
        bottom.plot(
            weeks,
            [None if p.mttr_minutes is None else p.mttr_minutes / 60 for p in points],
            marker="o",
            label=labels.get(tier, tier),
        )
    top.set_title("SLA attainment per tier, by week (first response and resolution pooled)")
    top.set_ylabel("% of targets met")
    top.set_ylim(0, 105)
    top.grid(True, alpha=0.3)
    bottom.set_title("MTTR per tier, by week (mean, wall clock)")
    bottom.set_ylabel("hours")
    bottom.set_xlabel("week ending (UTC)")
    bottom.grid(True, alpha=0.3)
    for ax in (top, bottom):
        ax.xaxis_date()
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize="small")
    fig.autofmt_xdate()
    fig.suptitle(f"tierbot: per-tier report, {report.start:%d %b} – {report.last_day:%d %b %Y}")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
