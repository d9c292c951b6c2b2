"""The chart is a real PNG of plausible size, drawn from the report's weekly series."""

from bot.reports import service as reports
from bot.reports.periods import ReportPeriod
from bot.views import report_chart
from tests.reports.dataset import NOW, seed


def test_chart_is_a_png(db, policy, tmp_path):
    seed(db, policy)
    with db.session() as session:
        report = reports.tier_report(session, policy, ReportPeriod.QUARTER, now=NOW, at_risk_share=0.25)
    png = report_chart.render_png(report)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 5 * 1024
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1000, 750)
