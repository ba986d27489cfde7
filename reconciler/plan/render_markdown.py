"""The plan as a pull-request comment: summary table first, details folded, a SoC chart per asset.

GitHub refuses comments over 65 536 characters; the comment stays under :data:`BUDGET` by
dropping per-asset details from the end and saying so, pointing at the full JSON plan.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from reconciler.diagnostics import Severity
from reconciler.market import MARKET_TZ
from reconciler.plan.fmt import local
from reconciler.plan.model import Change, Plan, PredictionReason
from reconciler.plan.render_drift import render_drift_markdown
from reconciler.plan.render_text import change_lines, summary_line, target_line

BUDGET = 60_000
MARKER = "<!-- reconciler-plan -->"  # lets a workflow find and update its own sticky comment
CHART_POINTS = 96


def _plain(text: str, **_: object) -> str:
    return text


def soc_chart(asset: str, points: list[tuple[datetime, float]]) -> str:
    """A mermaid ``xychart-beta`` of projected SoC, thinned to at most :data:`CHART_POINTS` points."""
    step = max(1, -(-len(points) // CHART_POINTS))
    sample = points[::step]
    labels = ", ".join(f'"{t.astimezone(MARKET_TZ):%d %H:%M}"' for t, _ in sample)
    values = ", ".join(f"{soc:.1f}" for _, soc in sample)
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


def asset_section(asset: str, changes: list[Change], plan: Plan) -> str:
    lines = [f"<details><summary><b>{asset}</b>: {len(changes)} change(s)</summary>", "", "```diff"]
    for change in changes:
        lines += [
            line.replace("  ~ ", "! ", 1).replace("  + ", "+ ", 1).replace("  - ", "- ", 1)
            for line in change_lines(change, _plain)
        ]
    lines.append("```")
    cuts = [
        p
        for p in plan.predictions
        if p.address.startswith(f"{asset}/") and p.reason is PredictionReason.REVALIDATION
    ]
    if cuts:
        lines += ["", "Re-validation will cut:", ""]
        lines += [f"- {local(p.time)}: {p.requested} kW → {p.predicted} kW" for p in cuts]
    if asset in plan.soc:
        lines += ["", soc_chart(asset, plan.soc[asset])]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def render_markdown(plan: Plan, budget: int = BUDGET) -> str:
    by_asset: dict[str, list[Change]] = defaultdict(list)
    for change in plan.changes:
        by_asset[change.asset].append(change)

    head = [MARKER, "### reconciler plan", "", target_line(plan), "", f"**{summary_line(plan)}**", ""]
    if plan.has_errors:
        head += ["> [!CAUTION]", "> The plan has errors: nothing can be applied until they are fixed.", ""]
    if by_asset:
        head += ["| asset | create | update | delete | earliest deadline |", "|---|---:|---:|---:|---|"]
        for asset, changes in sorted(by_asset.items()):
            counts = {a: sum(str(c.action) == a for c in changes) for a in ("create", "update", "delete")}
            deadline = local(min(c.deadline for c in changes))
            head.append(
                f"| {asset} | {counts['create']} | {counts['update']} | {counts['delete']} | {deadline} |"
            )
        head.append("")

    problems = [d for d in plan.diagnostics if d.severity in (Severity.ERROR, Severity.WARNING)]
    tail: list[str] = render_drift_markdown(plan.drift, "Drift the platform caused (no write planned)")
    if problems:
        tail += ["#### Errors and warnings", ""]
        tail += [
            f"- **{d.severity}** `{d.code}` {d.location()} {d.message}".replace("  ", " ") for d in problems
        ]
        tail.append("")

    text = "\n".join(head)
    closing = "\n".join(tail)
    sections = [asset_section(asset, changes, plan) for asset, changes in sorted(by_asset.items())]
    note = "\n> Details truncated to fit a pull-request comment: {left} asset(s) not shown. The full plan is in the `plan.json` artifact.\n"
    shown = 0
    for section in sections:
        if len(text) + len(section) + len(closing) + len(note) + 20 > budget:
            break
        text += "\n" + section
        shown += 1
    if shown < len(sections):
        text += note.format(left=len(sections) - shown)
    if len(text) + len(closing) <= budget:
        text += "\n" + closing
    return text.rstrip() + "\n"
