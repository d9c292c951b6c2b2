"""A sweep drawn two ways: a text chart for the terminal and a PNG (matplotlib, Agg: no display needed).

Both plot D, J and the inversion rate against the swept threshold, with today's threshold and the flip
point marked. Plain bytes and text: the CLI prints or writes them, the Slack adapter uploads the PNG.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal

from bot.scenarios.results import SweepResult

WIDTH = 40  # characters of bar


def _values(result: SweepResult) -> list[tuple[Decimal, float | None, float | None, float | None]]:
    return [
        (r.value, r.measures.differentiation, r.measures.fairness, r.measures.inversion_rate)
        for r in result.rows
    ]


def text_chart(result: SweepResult) -> str:
    """One line per step: the threshold, a bar for D (scaled to the largest finite D), J and inversions."""
    rows = _values(result)
    finite = [d for _, d, _, _ in rows if d is not None and math.isfinite(d)]
    top = max(finite, default=1.0) or 1.0
    lines = [f"{'threshold':>12}  {'D (bar)':<{WIDTH}}  {'D':>6}  {'J':>5}  {'inv':>5}"]
    for value, d, j, inv in rows:
        if d is None:
            bar, d_text = "", "—"
        elif math.isinf(d):
            bar, d_text = "#" * WIDTH + ">", "∞"
        else:
            bar, d_text = "#" * max(1, round(d / top * WIDTH)), f"{d:.2f}"
        marks = []
        if value == result.today_value:
            marks.append("today")
        if value == result.flip.flip:
            marks.append("FLIP")
        if value == result.flip.over_budget:
            marks.append("over budget")
        j_text = "—" if j is None else f"{j:.3f}"
        inv_text = "—" if inv is None else f"{inv:.2f}"
        lines.append(
            f"{value:>12,.0f}  {bar:<{WIDTH}}  {d_text:>6}  {j_text:>5}  {inv_text:>5}  {' '.join(marks)}".rstrip()
        )
    return "\n".join(lines)


def png_chart(result: SweepResult) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # no display: servers and CI
    from matplotlib.figure import Figure

    rows = _values(result)
    xs = [float(v) for v, _, _, _ in rows]

    def series(k: int) -> list[float]:
        return [math.nan if r[k] is None or math.isinf(float(r[k] or 0)) else float(r[k] or 0) for r in rows]

    figure = Figure(figsize=(8, 4.5), dpi=100)
    axis = figure.add_subplot(1, 1, 1)
    axis.plot(xs, series(1), marker="o", label="D (differentiation)")
    axis.set_xlabel(f"{result.spec.tier} threshold (ACV)")
    axis.set_ylabel("D")
    axis.ticklabel_format(axis="y", useOffset=False)
    other = axis.twinx()
    other.plot(xs, series(2), marker="s", color="tab:green", label="J (need fairness)")
    other.plot(xs, series(3), marker="^", color="tab:red", label="priority-inversion rate")
    other.set_ylabel("J, inversion rate")
    other.set_ylim(0, 1.05)
    axis.axvline(float(result.today_value), color="grey", linestyle="--", label="today")
    if result.flip.flip is not None:
        axis.axvline(float(result.flip.flip), color="black", linestyle=":", label="flip point")
    handles = axis.get_legend_handles_labels()
    more = other.get_legend_handles_labels()
    axis.legend(handles[0] + more[0], handles[1] + more[1], loc="best", fontsize="small")
    axis.set_title(f"Sweep of the {result.spec.tier} threshold, last {result.days} days")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
