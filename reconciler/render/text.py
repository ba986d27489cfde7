"""The plan for people on a terminal: ``+``/``~``/``-`` symbols, runs of periods, a summary line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from reconciler.core.diagnostics import Severity
from reconciler.market import isoformat_z
from reconciler.plan.fmt import MINUS, direction, fmt_energy, fmt_power, local, runs
from reconciler.plan.model import Action, Change, ChangeKind, Plan, PredictionReason
from reconciler.render.drift import render_drift_text

SYMBOLS = {Action.CREATE: ("+", "green"), Action.UPDATE: ("~", "yellow"), Action.DELETE: ("-", "red")}


def target_line(plan: Plan) -> str:
    target = plan.target
    if target.embedded:
        where = f"the EMBEDDED SANDBOX (target {target.name!r}; no real platform was contacted)"
    else:
        where = f"target {target.name!r} at {target.api_url}"
    return f"Planned against {where}, organisation {target.organisation}, at {local(plan.now)}."


def summary_line(plan: Plan) -> str:
    s = plan.summary()
    requests = s["requests"]
    return (
        f"Plan: {s['create']} to create, {s['update']} to update, {s['delete']} to delete "
        f"— {requests} request{'s' if requests != 1 else ''}"
    )


def describe_bid(bid: dict[str, Any]) -> str:
    parts = [fmt_power(bid["offeredCapacity"])]
    if bid.get("capacityPrice") is not None:
        parts.append(f"capacity {bid['capacityPrice']} EUR/MW/h")
    if bid.get("energyPrice") is not None:
        parts.append(f"energy {bid['energyPrice']} EUR/MWh")
    return ", ".join(parts).replace("-", MINUS)


def change_lines(change: Change, style: Callable[..., str]) -> list[str]:
    symbol, colour = SYMBOLS[change.action]
    head = f"  {style(symbol, fg=colour, bold=True)} {style(change.address, bold=True)}"
    deadline = f"(deadline {local(change.deadline)})"
    if change.kind is ChangeKind.SCHEDULE:
        periods = len(change.after)
        lines = [f"{head}  {periods} period{'s' if periods != 1 else ''} {deadline}"]
        for run in runs(change.before, change.after):
            after = f"{fmt_power(run.after)} {direction(run.after)}"
            lines.append(
                f"      {run.label()}  {fmt_power(run.before)} → {after}, Δ {fmt_energy(run.energy_delta_kwh)}"
            )
        return lines
    before = "; ".join(describe_bid(b) for b in change.before) or "none"
    after = "; ".join(describe_bid(b) for b in change.after) or "deleted"
    text = after if change.action is Action.CREATE else f"{before} → {after}"
    return [f"{head}  {text} {deadline}"]


def render_text(plan: Plan, color: bool = False) -> str:
    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if color else text

    out = [target_line(plan), ""]
    if plan.changes:
        out.append("Changes (apply writes each asset's in this order; different assets in parallel):")
        for change in plan.changes:
            out += change_lines(change, style)
        out.append("")
    else:
        out += ["No changes: live state matches the manifests.", ""]

    cuts = [p for p in plan.predictions if p.reason is PredictionReason.REVALIDATION]
    others = [p for p in plan.predictions if p.reason is not PredictionReason.REVALIDATION]
    if cuts or others:
        out.append("Predictions (what the platform will do afterwards):")
        for p in cuts:
            out.append(
                f"  {p.address} {local(p.time)}: {fmt_power(p.requested)} → {fmt_power(p.predicted)} "
                f"(re-validation at {local(p.time, with_date=False)} − 7 min{': ' + p.detail if p.detail else ''})"
            )
        for p in others:
            out.append(f"  {p.address}: {p.detail or f'{p.requested} → {p.predicted}'}")
        out.append("")

    drift = render_drift_text(plan.drift, "Drift the platform caused (no write planned)")
    if drift:
        out += [*drift, ""]

    for severity, title, colour in (
        (Severity.ERROR, "Errors", "red"),
        (Severity.WARNING, "Warnings", "yellow"),
        (Severity.NOTE, "Notes", None),
    ):
        found = [d for d in plan.diagnostics if d.severity is severity]
        if found:
            out.append(style(f"{title}:", fg=colour, bold=True))
            out += ["  " + d.render().replace("\n", "\n  ") for d in found]
            out.append("")

    out.append(style(summary_line(plan), bold=True))
    if plan.expires_at:
        out.append(f"This plan expires at {local(plan.expires_at)} ({isoformat_z(plan.expires_at)}).")
    if plan.has_errors:
        out.append(style("The plan has errors: nothing can be applied until they are fixed.", fg="red"))
    return "\n".join(out) + "\n"
