"""The plan for people on a terminal: ``+``/``~``/``-`` symbols, runs of periods, a summary line.

The first lines say where the plan was made, its digest, the selection in effect and, when the
earliest deadline is near (:data:`URGENT_DEADLINE`), that it is; the last lines say what was not
planned and whether the plan can be applied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import click

from reconciler.core.diagnostics import Severity
from reconciler.market import isoformat_z
from reconciler.plan.fmt import MINUS, direction, fmt_energy, fmt_power, local, runs
from reconciler.plan.model import WHOLE_RUN, Action, BidChange, Change, ChangeKind, Plan, PredictionReason
from reconciler.plan.planfile import short_digest
from reconciler.platform.models import Bid
from reconciler.render.drift import render_drift_text

SYMBOLS = {Action.CREATE: ("+", "green"), Action.UPDATE: ("~", "yellow"), Action.DELETE: ("-", "red")}
URGENT_DEADLINE = timedelta(minutes=5)  # an earliest deadline closer than this is called out first


def target_line(plan: Plan) -> str:
    target = plan.target
    if target.embedded:
        where = f"the EMBEDDED SANDBOX (target {target.name!r}; no real platform was contacted)"
    else:
        where = f"target {target.name!r} at {target.api_url}"
    return f"Planned against {where}, organisation {target.organisation}, at {local(plan.now)}."


def digest_line(plan: Plan) -> str:
    return (
        f"Plan digest {short_digest(plan.digest)}: `reconciler show` and `reconciler apply` of the saved "
        "plan print the same, or refuse the file."
    )


def selection_line(plan: Plan) -> str | None:
    if not plan.selection:
        return None
    patterns = " ".join(f"--only {p}" for p in plan.selection)
    return f"Selection in effect ({patterns}): objects outside it were neither planned nor written."


def urgent_line(plan: Plan) -> str | None:
    """The earliest deadline, when it is less than :data:`URGENT_DEADLINE` after the plan was made."""
    if not plan.changes:
        return None
    first = min(plan.changes, key=lambda c: (c.deadline, c.address))
    left = first.deadline - plan.now
    if left >= URGENT_DEADLINE:
        return None
    seconds = max(0, int(left.total_seconds()))
    return (
        f"DEADLINE NEAR: {first.address} closes at {local(first.deadline)}, {seconds // 60} min "
        f"{seconds % 60:02d} s after this plan was made; apply at once or the plan expires."
    )


def resolution_lines(plan: Plan) -> list[str]:
    """The virtual asset each selector named: ``munich-daily is virtual asset 7c1e… (portfolio …)``."""
    return [f"Resolved: {r.describe()}." for r in plan.resolutions]


def head_lines(plan: Plan) -> list[str]:
    """What every rendering says first."""
    lines = [target_line(plan), digest_line(plan), selection_line(plan), urgent_line(plan)]
    return [line for line in lines if line is not None] + resolution_lines(plan)


def summary_line(plan: Plan) -> str:
    s = plan.summary()
    requests = s["requests"]
    text = (
        f"Plan: {s['create']} to create, {s['update']} to update, {s['delete']} to delete "
        f"— {requests} request{'s' if requests != 1 else ''}"
    )
    if s["not_planned"]:
        text += f"; {s['not_planned']} not planned (errors)"
    return text


def verdict_line(plan: Plan) -> str | None:
    """Whether the plan can be applied, and what apply will do with its errors."""
    if not plan.has_errors:
        return None
    if any(n.address == WHOLE_RUN for n in plan.not_planned):
        return "The plan has errors about the whole run: nothing is planned, nothing can be applied."
    count = len(plan.not_planned)
    return (
        f"The plan has errors: {count} object{'s are' if count != 1 else ' is'} not planned; "
        "`reconciler apply` writes the rest and exits 1."
    )


def not_planned_lines(plan: Plan) -> list[str]:
    held = plan.not_planned
    if not held:
        return []
    lines = ["Not planned (each held back by its errors; what depends on it is held back too):"]
    for item in held:
        what = "everything (an error about the whole run)" if item.address == WHOLE_RUN else item.address
        more = f" (+{len(item.reasons) - 1} more)" if len(item.reasons) > 1 else ""
        lines.append(f"  {what}: {item.reasons[0]}{more}")
    return lines


def describe_bid(code_is_fcr: bool, bid: Bid) -> str:
    parts = [fmt_power(bid.offered_capacity)]
    if bid.capacity_price is not None:
        parts.append(f"capacity {bid.capacity_price} EUR/MW/h")
    if bid.energy_price is not None and not code_is_fcr:
        parts.append(f"energy {bid.energy_price} EUR/MWh")
    return ", ".join(parts).replace("-", MINUS)


def change_lines(change: Change, style: Callable[..., str], scope: str | None = None) -> list[str]:
    """``scope``: what a schedule change manages (``exact on 2026-11-24``), said before its periods."""
    symbol, colour = SYMBOLS[change.action]
    head = f"  {style(symbol, fg=colour, bold=True)} {style(change.address, bold=True)}"
    deadline = f"(deadline {local(change.deadline)})"
    if not isinstance(change, BidChange):
        periods = len(change.after)
        said = f"{scope}: " if scope else ""
        lines = [f"{head}  {said}{periods} period{'s' if periods != 1 else ''} {deadline}"]
        worded: dict[tuple[Decimal, Decimal, timedelta], str] = {}  # a schedule repeats its changes
        for run in runs(change.before, change.after):
            key = (run.before, run.after, run.end - run.start)
            what = worded.get(key)
            if what is None:
                after = f"{fmt_power(run.after)} {direction(run.after)}"
                what = worded[key] = (
                    f"{fmt_power(run.before)} → {after}, Δ {fmt_energy(run.energy_delta_kwh)}"
                )
            lines.append(f"      {run.label()}  {what}")
        return lines
    fcr = change.kind is ChangeKind.FCR_BID
    before = "; ".join(describe_bid(fcr, b) for b in change.before) or "none"
    after = "; ".join(describe_bid(fcr, b) for b in change.after) or "deleted"
    text = after if change.action is Action.CREATE else f"{before} → {after}"
    return [f"{head}  {text} {deadline}"]


def prediction_lines(plan: Plan) -> list[str]:
    cuts = [p for p in plan.predictions if p.reason is PredictionReason.REVALIDATION]
    others = [p for p in plan.predictions if p.reason is not PredictionReason.REVALIDATION]
    lines = [
        f"{p.address} {local(p.time)}: {fmt_power(p.requested)} → {fmt_power(p.predicted)} "
        f"(re-validation at {local(p.time, with_date=False)} − 7 min{': ' + p.detail if p.detail else ''})"
        for p in cuts
    ]
    lines += [f"{p.address}: {p.detail or f'{p.requested} → {p.predicted}'}" for p in others]
    return lines


def render_text(plan: Plan, color: bool = False) -> str:
    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if color else text

    out = [*head_lines(plan), ""]
    if plan.changes:
        out.append("Changes (apply writes each asset's in this order; different assets in parallel):")
        for change in plan.changes:
            out += change_lines(change, style, plan.scope_text(change.asset))
        out.append("")
    elif plan.has_errors:
        out += ["No changes could be planned for the objects with errors (below).", ""]
    else:
        what = "the selected objects match" if plan.selection else "live state matches the manifests"
        out += [f"No changes: {what}.", ""]

    predictions = prediction_lines(plan)
    if predictions:
        out += ["Predictions (what the platform will do afterwards):", *(f"  {p}" for p in predictions), ""]

    drift = render_drift_text(plan.drift, "Drift the platform caused (no write planned)")
    if drift:
        out += [*drift, ""]

    held = not_planned_lines(plan)
    if held:
        out += [style(held[0], fg="red", bold=True), *held[1:], ""]

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
    verdict = verdict_line(plan)
    if verdict:
        out.append(style(verdict, fg="red"))
    return "\n".join(out) + "\n"
