"""The plan as a pull-request comment: summary table first, details folded, a SoC chart per asset.

GitHub refuses comments over 65 536 characters. The comment stays under :data:`BUDGET`: every
changed asset keeps its row and its chart, and the runs of period changes are shortened, from the
largest asset down, until the whole fits; what was cut is named, with a link to the workflow run
whose artifact holds the full JSON plan.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from reconciler.core.diagnostics import Severity
from reconciler.market import PERIOD, day_start, delivery_day
from reconciler.plan.fmt import local
from reconciler.plan.model import Change, Plan, PredictionReason, ScheduleChange
from reconciler.render.drift import render_drift_markdown
from reconciler.render.text import (
    change_lines,
    head_lines,
    not_planned_lines,
    prediction_lines,
    summary_line,
    verdict_line,
)

BUDGET = 60_000
MARKER = "<!-- reconciler-plan -->"  # lets a workflow find and update its own sticky comment
CHART_POINTS = 49  # a day every 30 minutes
CHART_STEPS = (1, 2, 4, 8, 12, 16, 24, 48, 96)  # sampling steps in quarter-hours: 15 min … 1 day
# 3:1 contrast or more (WCAG, for graphics) on white and on the dark theme's chart background #333.
SOC_COLOUR = "#3b82f6"
BOUND_COLOUR = "#e5534b"


def _plain(text: str, **_: object) -> str:
    return text


def run_link(environ: Mapping[str, str] = os.environ) -> str:
    """Where the full plan is: the GitHub Actions run (its artifacts), when running in one."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    if all(environ.get(k) for k in keys):
        url = f"{environ['GITHUB_SERVER_URL']}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
        return f"the `plan.json` artifact of [this workflow run]({url})"
    return "the JSON plan (`reconciler plan --out plan.json`)"


def soc_chart(
    asset: str,
    points: list[tuple[datetime, float]],
    changed: list[datetime] | None = None,
    bounds: tuple[float, float] | None = None,
) -> str:
    """A mermaid ``xychart-beta`` of projected SoC that reads at a glance on light and dark themes.

    The x axis is numeric, hours from local midnight of the first charted day, so mermaid draws a
    dozen round tick labels however many points there are; the points are every 15 minutes,
    thinned to whole multiples (30 min, 1 h, …) to at most :data:`CHART_POINTS`. The line colours
    are explicit (an init directive), the SoC bounds are two lines of their own, and the y axis
    always spans 0-100 %. With ``changed`` periods, only the local days they fall on are charted.
    """
    if changed:
        days = sorted({delivery_day(t) for t in changed})
        first, last = day_start(days[0]), day_start(days[-1] + timedelta(days=1))
        points = [(t, soc) for t, soc in points if first <= t <= last] or points
    if len(points) < 2:
        return ""
    origin = day_start(delivery_day(points[0][0]))  # local midnight, as a UTC instant
    offsets = [(t - origin) // PERIOD for t, _ in points]  # whole quarter-hours from that midnight
    span = offsets[-1] - offsets[0]
    step = next((k for k in CHART_STEPS if span // k + 1 <= CHART_POINTS), CHART_STEPS[-1])
    sample = [(n, soc) for n, (_, soc) in zip(offsets, points, strict=True) if n % step == 0]
    palette = [SOC_COLOUR] + ([BOUND_COLOUR, BOUND_COLOUR] if bounds else [])
    init = {"themeVariables": {"xyChart": {"plotColorPalette": ", ".join(palette)}}}
    lines = [
        "```mermaid",
        f"%%{{init: {json.dumps(init)}}}%%",
        "xychart-beta",
        f'  title "{asset}: projected state of charge"',
        f'  x-axis "hours from {local(origin)}" {_hours(sample[0][0])} --> {_hours(sample[-1][0])}',
        '  y-axis "SoC %" 0 --> 100',
        f"  line [{', '.join(_percent(soc) for _, soc in sample)}]",
    ]
    if bounds:  # a line of two points spans the whole x axis
        lines += [f"  line [{_percent(b)}, {_percent(b)}]" for b in bounds]
    lines.append("```")
    legend = ["Blue: projected state of charge"]
    if bounds:
        legend.append(
            f"red: its bounds, {_percent(bounds[0])} % and {_percent(bounds[1])} % "
            "(re-validation cuts what would cross them)"
        )
    day = delivery_day(points[0][0]) + timedelta(days=1)
    while (midnight := day_start(day)) <= points[-1][0]:  # where each later day starts, DST or not
        legend.append(f"hour {_hours((midnight - origin) // PERIOD)} is {local(midnight)}")
        day += timedelta(days=1)
    lines.append("; ".join(legend) + ".")
    return "\n".join(lines)


def _hours(quarters: int) -> str:
    return f"{quarters / 4:g}"  # quarter-hours are exact in binary: 14.25, 14.5, 14.75


def _percent(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def change_detail(changes: list[Change], plan: Plan) -> list[str]:
    lines: list[str] = []
    for change in changes:
        for line in change_lines(change, _plain, plan.scope_text(change.asset)):
            for symbol, mark in (("  ~ ", "! "), ("  + ", "+ "), ("  - ", "- ")):
                if line.startswith(symbol):
                    line = mark + line[len(symbol) :]
            lines.append(line)
    return lines


def asset_section(
    asset: str, changes: list[Change], plan: Plan, detail: list[str], max_lines: int | None
) -> str:
    if max_lines is not None and len(detail) > max_lines:
        cut = len(detail) - max_lines
        detail = [*detail[:max_lines], f"… {cut} more line(s): see the full plan"]
    lines = [
        f"<details><summary><b>{asset}</b>: {len(changes)} change(s)</summary>",
        "",
        "```diff",
        *detail,
        "```",
    ]
    cuts = [
        p
        for p in plan.predictions
        if p.address.startswith(f"{asset}/") and p.reason is PredictionReason.REVALIDATION
    ]
    if cuts:
        lines += ["", f"Re-validation will cut {len(cuts)} period(s), first at {local(cuts[0].time)}."]
    if asset in plan.soc:
        changed = [t for c in changes if isinstance(c, ScheduleChange) for t in c.after]
        lines += ["", soc_chart(asset, plan.soc[asset], changed, plan.soc_bounds.get(asset))]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def render_markdown(plan: Plan, budget: int = BUDGET, environ: Mapping[str, str] = os.environ) -> str:
    by_asset: dict[str, list[Change]] = defaultdict(list)
    for change in plan.changes:
        by_asset[change.asset].append(change)

    head = [MARKER, "### reconciler plan", "", *(f"{line}  " for line in head_lines(plan)), ""]
    head += [f"**{summary_line(plan)}**", ""]
    verdict = verdict_line(plan)
    if verdict:
        held = not_planned_lines(plan)
        head += [
            "> [!CAUTION]",
            f"> {verdict}",
            ">",
            f"> {held[0]}",
            *(f"> - {line.strip()}" for line in held[1:]),
        ]
        head.append("")
    if by_asset:
        head += ["| asset | create | update | delete | earliest deadline |", "|---|---:|---:|---:|---|"]
        for asset, changes in sorted(by_asset.items()):
            counts = {a: sum(str(c.action) == a for c in changes) for a in ("create", "update", "delete")}
            deadline = local(min(c.deadline for c in changes))
            head.append(
                f"| {asset} | {counts['create']} | {counts['update']} | {counts['delete']} | {deadline} |"
            )
        head.append("")

    tail: list[str] = []
    predictions = prediction_lines(plan)
    if predictions:
        tail += [
            "#### Predictions (what the platform will do afterwards)",
            "",
            *(f"- {p}" for p in predictions),
            "",
        ]
    tail += render_drift_markdown(plan.drift, "Drift the platform caused (no write planned)")
    problems = [d for d in plan.diagnostics if d.severity in (Severity.ERROR, Severity.WARNING)]
    if problems:
        tail += ["#### Errors and warnings", ""]
        tail += [
            f"- **{d.severity}** `{d.code}` {d.location()} {d.message}".replace("  ", " ") for d in problems
        ]
        tail.append("")

    text = "\n".join(head)
    closing = "\n".join(tail)
    note = f"\n> Some details were shortened to fit a pull-request comment; everything is in {run_link(environ)}.\n"
    assets = [(asset, changes, change_detail(changes, plan)) for asset, changes in sorted(by_asset.items())]
    # Shrink the longest details first until the comment fits; rows and charts always stay.
    max_lines: int | None = None
    while True:
        sections = [
            asset_section(asset, changes, plan, detail, max_lines) for asset, changes, detail in assets
        ]
        size = len(text) + sum(len(s) + 1 for s in sections) + len(closing) + len(note)
        if size <= budget or max_lines == 0:
            break
        longest = max((len(detail) for _, _, detail in assets), default=0)
        max_lines = (longest if max_lines is None else max_lines) // 2
    body = text + "".join("\n" + s for s in sections)
    if max_lines is not None:
        body += note
    if len(body) + len(closing) + 1 > budget:
        closing = closing[: max(0, budget - len(body) - 200)] + "\n\n… (truncated)"
    return (body + "\n" + closing).rstrip() + "\n"
