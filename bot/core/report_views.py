"""The queue report, shown: Markdown with Mermaid charts (the dashboard issue, `report
--format markdown`) and an HTML page with inline SVG charts (`GET /report`, `report --format
html`). Pure: figures in, text out.

Outside text (issue titles) goes through `bot.core.text.escape` in Markdown and
`html.escape` in HTML. The page loads nothing: no script, no font, no image from anywhere;
its only links are to the repository's issues.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.model import iso
from bot.core.queue_report import CategoryFigures, QueueReport, Waiter
from bot.core.text import escape, one_line

# Series colours, each with the emoji square of its colour for the Markdown legend (Mermaid's
# xychart has no legend of its own).
PALETTE = (
    ("#1f6feb", "🟦"),
    ("#e16f24", "🟧"),
    ("#2da44e", "🟩"),
    ("#cf222e", "🟥"),
    ("#8250df", "🟪"),
    ("#8b5a2b", "🟫"),
    ("#d4a72c", "🟨"),
    ("#24292f", "⬛"),
)
TITLE_CHARS = 80  # of an issue title shown in a list
# GitHub refuses an issue body over 65,536 characters; the lists are cut to stay below.
BODY_LIMIT = 60_000


@dataclass(frozen=True)
class View:
    """How the report is shown: its title, how many waiting issues per category are listed,
    and when it will be refreshed (None: not on a schedule)."""

    title: str = "Support queue dashboard"
    longest_waiting: int = 5
    refresh_hours: float | None = None


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}{unit}"


def _days(hours: float) -> str:
    return f"{hours / 24:,.1f} d" if hours >= 48 else f"{hours:,.1f} h"


def _week_label(report: QueueReport, index: int) -> str:
    return report.weekly[index].start.strftime("%m-%d")


def _series_max(series: Sequence[Sequence[float | None]]) -> float:
    values = [v for s in series for v in s if v is not None]
    return max(values, default=0.0)


def axis(value: float, ticks: int = 4) -> tuple[float, float]:
    """A y axis from 0 that holds `value`: (top, step), the step 1, 2, 2.5 or 5 times a power
    of ten (a whole number from 1 up), about `ticks` steps in all."""
    if value <= 0:
        return 1.0, 0.25
    rough = value / ticks
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if rough <= m * power)
    if step >= 1:
        step = float(math.ceil(step))
    return round(step * math.ceil(value / step), 9), step


def nice_max(value: float) -> float:
    return axis(value)[0]


def _color(i: int) -> tuple[str, str]:
    return PALETTE[i % len(PALETTE)]


# --- Markdown (the dashboard issue) -----------------------------------------------------------


def _kpi_row(c: CategoryFigures) -> str:
    fr = c.first_response
    target = _days(c.target_hours) if c.target_hours is not None else "—"
    within = _num(c.within_target_pct, " %")
    return (
        f"| {c.label or c.name} | {c.opened} | {c.closed} ({c.closed_completed} / "
        f"{c.closed_not_planned}) | {c.open_at_end} | {_num(fr.median)} · {_num(fr.mean)} · "
        f"{_num(fr.p90)} ({fr.count}) | {target} | {within} | {c.unanswered} | "
        f"{c.waiting_on_maintainers_total} | {c.waiting_on_requester} |"
    )


def _waiter_md(w: Waiter) -> str:
    title = escape(w.title, limit=TITLE_CHARS) if w.title else ""
    link = f"[#{w.number}]({w.url})" if w.url else f"#{w.number}"
    return f"- {link} {title} — waiting {_days(w.hours)}".replace("  —", " —")


def _mermaid(
    title: str, labels: list[str], series: list[tuple[str, list[float]]], y_title: str
) -> list[str]:
    """An xychart-beta block: one `line` per series (colours from PALETTE, in order)."""
    top = nice_max(_series_max([s for _, s in series]))
    title = title.replace('"', "'")  # a double quote would end Mermaid's string
    palette = ", ".join(_color(i)[0] for i in range(len(series)))
    lines = [
        "```mermaid",
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%',
        "xychart-beta",
        f'    title "{title}"',
        "    x-axis [" + ", ".join(f'"{x}"' for x in labels) + "]",
        f'    y-axis "{y_title}" 0 --> {top:g}',
    ]
    for kind, values in series:
        lines.append(f"    {kind} [" + ", ".join(f"{v:g}" for v in values) + "]")
    lines.append("```")
    return lines


def _legend(names: list[str]) -> str:
    return " · ".join(f"{_color(i)[1]} {name}" for i, name in enumerate(names))


def markdown(
    report: QueueReport,
    view: View,
    *,
    listed: int | None = None,
    charts: int = 2,
    limit: int = BODY_LIMIT,
) -> str:
    """The dashboard's body (without its marker): the figures table with targets, the
    issues waiting longest on maintainers, Mermaid charts of the weekly backlog and first
    responses, and what the bot itself did. Kept under GitHub's limit for an issue body:
    shorter lists first, then fewer charts (a window of years has hundreds of weeks)."""
    listed = view.longest_waiting if listed is None else listed
    out = [
        f"Queue figures for **{iso(report.since)} – {iso(report.until)}** (UTC, the end "
        f"excluded), from {report.issues:,} issues.",
    ]
    if view.refresh_hours is not None:
        out[0] += (
            f" The bot refreshes this issue every {view.refresh_hours:g} hours and "
            "rewrites it each time: comment below rather than edit it."
        )
    out += [
        "",
        "## Figures",
        "",
        "| category | opened | closed (completed / not planned) | open at end | first response "
        "h: median · mean · p90 (n) | target | within target | unanswered | waiting on "
        "maintainers | waiting on requester |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        *(_kpi_row(c) for c in report.categories),
        "",
        "*First response*: from an issue's creation to a maintainer's first comment or its "
        "close by someone other than its author; bots never count. *Within target*: share "
        "of the issues opened in the window answered within the category's target, out of "
        "those answered or already older than it. *Waiting on maintainers*: open, without "
        "the awaiting label, and the requester spoke last.",
        "",
        "## Waiting longest on maintainers",
        "",
    ]
    any_waiting = False
    for c in report.categories:
        if not c.waiting_on_maintainers:
            continue
        any_waiting = True
        out.append(f"**{c.label or c.name}** ({c.waiting_on_maintainers_total} waiting)")
        out.append("")
        out += [_waiter_md(w) for w in c.waiting_on_maintainers[:listed]]
        out.append("")
    if not any_waiting:
        out += ["Nothing waits on the maintainers.", ""]
    if report.weekly and charts == 0:
        out += [
            "The window has too many weeks for charts in an issue: see the report page "
            "(`GET /report`) or `python -m bot report --format html`.",
            "",
        ]
    if report.weekly and charts > 0:
        labels = [_week_label(report, i) for i in range(len(report.weekly))]
        names = [c.label or c.name for c in report.categories]
        backlog = [
            ("line", [float(w.open[c.name]) for w in report.weekly]) for c in report.categories
        ]
        out += [
            "## Open backlog per week",
            "",
            *_mermaid("Open issues at the end of each week", labels, backlog, "open issues"),
            "",
            _legend(names),
            "",
            "## Median first response per week",
            "",
            "Bars: the median first response (hours) of the issues opened that week (none: "
            "no bar); line: the category's target.",
            "",
        ]
        for c in report.categories if charts > 1 else ():
            if c.target_hours is None:
                continue
            medians = [w.median_first_response_hours[c.name] or 0.0 for w in report.weekly]
            series = [("bar", medians), ("line", [c.target_hours] * len(medians))]
            out += [
                *_mermaid(f"{c.label or c.name}: first response (h)", labels, series, "hours"),
                "",
            ]
    bot = report.bot
    out += [
        "## What the bot did",
        "",
        f"- verification requests completed by requesters without staff help: "
        f"{bot.verification_completed}",
        f"- nudges: {bot.nudges}",
        f"- closed for lack of response: {bot.closed_no_response}",
        f"- reopened after the bot closed them: {bot.reopened_after_bot_close}",
    ]
    text = "\n".join(out)
    if len(text) > limit and listed > 1:
        return markdown(report, view, listed=max(1, listed // 2), charts=charts, limit=limit)
    if len(text) > limit and charts > 0:
        return markdown(report, view, listed=listed, charts=charts - 1, limit=limit)
    return text


# --- HTML with inline SVG (GET /report) -------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  margin:24px auto;max-width:1100px;padding:0 16px;color:#1f2328;background:#fff}
h1{font-size:1.6em;margin-bottom:4px}
h2{font-size:1.2em;margin-top:28px;border-bottom:1px solid #d1d9e0;padding-bottom:4px}
p.meta{color:#59636e;margin-top:0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.85em;width:100%}
th,td{border:1px solid #d1d9e0;padding:4px 8px;text-align:right}
th{background:#f6f8fa}
td:first-child,th:first-child{text-align:left}
ul{padding-left:20px}
li{margin:2px 0}
.grid{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:8px 0}
figcaption{font-size:.9em;color:#59636e}
.swatch{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
svg text{font-size:11px;fill:#59636e}
svg .title{font-size:13px;fill:#1f2328;font-weight:600}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    color: str
    kind: str = "line"  # line | bar


def svg_chart(
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    width: int = 1000,
    height: int = 280,
    unit: str = "",
) -> str:
    """A chart as inline SVG: a y axis from 0 with round ticks, the x labels, bars (side by
    side when several) and lines with their points. Each point and bar has a <title>, which
    browsers show on hover without any script."""
    left, right, top, bottom = 56, 16, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max, y_step = axis(_series_max([s.values for s in series]))
    n = max(1, len(labels))
    slot = plot_w / n

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v / y_max)

    parts = [
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'style="max-width:100%;height:auto" role="img" aria-label="{_e(title)}">',
        f'<text class="title" x="{left}" y="16">{_e(title)}</text>',
    ]
    for k in range(round(y_max / y_step) + 1):
        v = y_step * k
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#d1d9e0" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}{_e(unit)}</text>'
        )
    every = max(1, math.ceil(n / max(1, plot_w // 44)))  # a label needs some 44 px
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{_e(label)}</text>'
            )
    bars = [s for s in series if s.kind == "bar"]
    bar_w = slot * 0.8 / max(1, len(bars))
    for b, s in enumerate(bars):
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x0 = left + slot * i + slot * 0.1 + bar_w * b
            parts.append(
                f'<rect x="{x0:.1f}" y="{y(v):.1f}" width="{bar_w:.1f}" '
                f'height="{top + plot_h - y(v):.1f}" fill="{s.color}">'
                f"<title>{_e(s.name)}, {_e(labels[i])}: {v:g}{_e(unit)}</title></rect>"
            )
    for s in series:
        if s.kind != "line":
            continue
        points = [(x(i), y(v), v, i) for i, v in enumerate(s.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>'
            )
        for px, py, v, i in points:
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{s.color}">'
                f"<title>{_e(s.name)}, {_e(labels[i])}: {v:g}{_e(unit)}</title></circle>"
            )
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#59636e"/>')
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#59636e"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _legend_html(series: list[Series]) -> str:
    return (
        "<p>"
        + "".join(
            f'<span class="swatch" style="background:{s.color}"></span>{_e(s.name)}' for s in series
        )
        + "</p>"
    )


def _waiter_html(w: Waiter) -> str:
    title = one_line(w.title, limit=TITLE_CHARS)
    number = f'<a href="{_e(w.url)}">#{w.number}</a>' if w.url else f"#{w.number}"
    return f"<li>{number} {_e(title)} — waiting {_e(_days(w.hours))}</li>"


def html_page(report: QueueReport, view: View, *, computed_at: datetime | None = None) -> str:
    """The report as one self-contained HTML page."""
    cats = report.categories
    rows = []
    for c in cats:
        fr = c.first_response
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{_e(v)}</td>"
                for v in (
                    c.label or c.name,
                    c.opened,
                    f"{c.closed} ({c.closed_completed} / {c.closed_not_planned})",
                    c.open_at_end,
                    _num(fr.median),
                    _num(fr.mean),
                    _num(fr.p90),
                    fr.count,
                    _days(c.target_hours) if c.target_hours is not None else "—",
                    _num(c.within_target_pct, " %"),
                    c.unanswered,
                    c.waiting_on_maintainers_total,
                    c.waiting_on_requester,
                )
            )
            + "</tr>"
        )
    heads = (
        "category",
        "opened",
        "closed (completed / not planned)",
        "open at end",
        "first response: median h",
        "mean h",
        "p90 h",
        "answered",
        "target",
        "within target",
        "unanswered",
        "waiting on maintainers",
        "waiting on requester",
    )
    meta = (
        f"{iso(report.since)} – {iso(report.until)} (UTC, the end excluded), "
        f"{report.issues:,} issues."
    )
    if computed_at is not None:
        meta += f" Computed {iso(computed_at)}"
        meta += (
            f"; refreshed every {view.refresh_hours:g} hours."
            if view.refresh_hours is not None
            else "."
        )
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(view.title)} · {_e(report.repository)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(view.title)}</h1>",
        f'<p class="meta">{_e(report.repository)}: {_e(meta)}</p>',
        "<h2>Figures</h2>",
        '<div class="scroll"><table><thead><tr>'
        + "".join(f"<th>{_e(h)}</th>" for h in heads)
        + "</tr></thead>",
        "<tbody>" + "".join(rows) + "</tbody></table></div>",
    ]
    if report.weekly:
        labels = [_week_label(report, i) for i in range(len(report.weekly))]
        backlog = [
            Series(c.label or c.name, [float(w.open[c.name]) for w in report.weekly], _color(i)[0])
            for i, c in enumerate(cats)
        ]
        flow = [
            Series(
                "opened", [float(sum(w.opened.values())) for w in report.weekly], "#1f6feb", "bar"
            ),
            Series(
                "closed", [float(sum(w.closed.values())) for w in report.weekly], "#2da44e", "bar"
            ),
        ]
        body += [
            "<h2>Open backlog per week</h2>",
            "<figure>",
            svg_chart("Open issues at the end of each week", labels, backlog),
            f"<figcaption>{_legend_html(backlog)}</figcaption></figure>",
            "<h2>Opened and closed per week</h2>",
            "<figure>",
            svg_chart("Issues opened and closed each week (all categories)", labels, flow),
            f"<figcaption>{_legend_html(flow)}</figcaption></figure>",
            "<h2>Median first response per week</h2>",
            "<p>Bars: the median first response of the issues opened that week; line: the "
            "category's target.</p>",
            '<div class="grid">',
        ]
        for i, c in enumerate(cats):
            if c.target_hours is None and not any(
                w.median_first_response_hours[c.name] is not None for w in report.weekly
            ):
                continue
            series = [
                Series(
                    "median first response",
                    [w.median_first_response_hours[c.name] for w in report.weekly],
                    _color(i)[0],
                    "bar",
                )
            ]
            if c.target_hours is not None:
                series.append(Series("target", [c.target_hours] * len(labels), "#cf222e"))
            body += [
                "<figure>",
                svg_chart(
                    f"{c.label or c.name}: first response", labels, series, width=540, unit=" h"
                ),
                "</figure>",
            ]
        body.append("</div>")
    body.append("<h2>Waiting longest on maintainers</h2>")
    waiting = [c for c in cats if c.waiting_on_maintainers]
    for c in waiting:
        body.append(f"<h3>{_e(c.label or c.name)} ({c.waiting_on_maintainers_total} waiting)</h3>")
        body.append("<ul>" + "".join(_waiter_html(w) for w in c.waiting_on_maintainers) + "</ul>")
    if not waiting:
        body.append("<p>Nothing waits on the maintainers.</p>")
    bot = report.bot
    body += [
        "<h2>What the bot did</h2><ul>",
        f"<li>verification requests completed by requesters without staff help: "
        f"{bot.verification_completed}</li>",
        f"<li>nudges: {bot.nudges}</li>",
        f"<li>closed for lack of response: {bot.closed_no_response}</li>",
        f"<li>reopened after the bot closed them: {bot.reopened_after_bot_close}</li>",
        "</ul></body></html>",
    ]
    return "\n".join(body)
