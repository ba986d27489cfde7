"""The plan as a pull-request comment: summary table first, details folded, a SoC chart per asset.

GitHub refuses comments over 65 536 characters. The comment stays under :data:`BUDGET`: every
changed asset keeps its row and its chart, and the runs of period changes are shortened, from the
largest asset down, until the whole fits; what was cut is named, with a link to the workflow run
whose artifact holds the full JSON plan.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from reconciler.core.diagnostics import Severity
from reconciler.market import MARKET_TZ
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
CHART_POINTS = 32


def _plain(text: str, **_: object) -> str:
    return text


def run_link(environ: Mapping[str, str] = os.environ) -> str:
    """Where the full plan is: the GitHub Actions run (its artifacts), when running in one."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    if all(environ.get(k) for k in keys):
        url = f"{environ['GITHUB_SERVER_URL']}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
        return f"the `plan.json` artifact of [this workflow run]({url})"
    return "the JSON plan (`reconciler plan --out plan.json`)"


def soc_chart(asset: str, points: list[tuple[datetime, float]], changed: list[datetime] | None = None) -> str:
    """A mermaid ``xychart-beta`` of projected SoC, thinned to at most :data:`CHART_POINTS` points.

    With ``changed`` periods, only the local days they fall on are charted (where the plan matters).
    """
    if changed:
        days = {t.astimezone(MARKET_TZ).date() for t in changed}
        points = [(t, soc) for t, soc in points if t.astimezone(MARKET_TZ).date() in days] or points
    step = max(1, -(-len(points) // CHART_POINTS))
    sample = points[::step]
    labels = ", ".join(f'"{t.astimezone(MARKET_TZ):%d %H:%M}"' for t, _ in sample)
    values = ", ".join(f"{soc:.0f}" for _, soc in sample)
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            f'  title "{asset}: projected state of charge (%)"',
            f"  x-axis [{labels}]",
            '  y-axis "SoC %" 0 --> 100',
            f"  line [{values}]",
            "```",
        ]
    )


def change_detail(changes: list[Change]) -> list[str]:
    lines: list[str] = []
    for change in changes:
        for line in change_lines(change, _plain):
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
        lines += ["", soc_chart(asset, plan.soc[asset], changed)]
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
    assets = [(asset, changes, change_detail(changes)) for asset, changes in sorted(by_asset.items())]
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
