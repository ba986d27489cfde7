"""The cone of flexibility in the plan (DECISIONS.md D19, CL0327).

The platform reports ``maximumDeliverablePower`` and ``minimumDeliverablePower`` for the next two
quarter-hours (read with the operational series, see
:class:`reconciler.platform.reading.ReadScope`). A value the plan wants outside that range is
reported as what it is:

- in a period still **editable** (its re-validation ahead), the platform accepts the write and
  cuts it to the cone's edge at re-validation: the planner's own D7 prediction
  (:mod:`reconciler.plan.predict`) says the same to the kW, and its detail names the cone. Should
  the two ever differ (the real platform's cone also holds ramp rates, which are not modelled), a
  warning says so;
- in a period **soft-locked** (re-validated, gate still open), the platform rejects any value
  outside the cone (D8): an error on the schedule, which holds it back (errors stay with their
  object) until the manifest asks for something the platform accepts.

The reported cone describes the live schedule: the second period's is the planner's to compare
only when the plan writes nothing before it. Pure functions of the manifest, the live asset, the
plan's values and ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from reconciler.core.diagnostics import Diagnostic, Severity, located
from reconciler.manifest import Manifest
from reconciler.market import PeriodState, gate_closure, revalidation_moment
from reconciler.plan.changes import ScheduleDiff
from reconciler.plan.fmt import fmt_kw, fmt_power, local
from reconciler.plan.model import Prediction, PredictionReason, schedule_address
from reconciler.platform.live import LiveAsset
from reconciler.rules.cone import Deliverable, cone_periods
from reconciler.rules.units import json_number
from reconciler.rules.vocabulary import Category

CODE = "outside-cone"


def reported_cone(asset: LiveAsset, now: datetime) -> dict[datetime, Deliverable]:
    """The cone the platform reported for the next two periods (D19); empty when it was not read."""
    highest = asset.operational.get(Category.MAXIMUM_DELIVERABLE_POWER, {})
    lowest = asset.operational.get(Category.MINIMUM_DELIVERABLE_POWER, {})
    return {
        period: Deliverable(lowest[period], highest[period])
        for period in cone_periods(now)
        if period in highest and period in lowest
    }


def _outside(power: Decimal, cone: Deliverable) -> bool:
    return not cone.minimum <= power <= cone.maximum


def _edge(power: Decimal, cone: Deliverable) -> Decimal:
    return min(max(power, cone.minimum), cone.maximum)


def _range(cone: Deliverable) -> str:
    return f"{fmt_kw(cone.minimum)} to {fmt_kw(cone.maximum)}"


def rejected_outside_cone(
    manifest: Manifest, asset: LiveAsset, diff: ScheduleDiff, now: datetime
) -> dict[datetime, Diagnostic]:
    """Errors for soft-locked periods whose desired value lies outside the reported cone: the
    platform rejects such a write until the period's gate closes (D8)."""
    found: dict[datetime, Diagnostic] = {}
    gate = asset.va.dispatch_gate_closure_seconds
    for period, cone in reported_cone(asset, now).items():
        if period not in diff.locked:
            continue
        desired, live, state = diff.locked[period]
        if state is not PeriodState.SOFT_LOCKED or not _outside(desired, cone):
            continue
        source = manifest.wholesale.sources.get(period) if manifest.wholesale else None
        found[period] = located(
            Severity.ERROR,
            CODE,
            f"{local(period)}: desired {fmt_power(desired)} is outside the cone of flexibility the "
            f"platform reports for this period ({_range(cone)}); it was re-validated at "
            f"{local(revalidation_moment(period), with_date=False)}, so the platform rejects any value "
            f"outside the cone until its gate closure at {local(gate_closure(period, gate), with_date=False)}. "
            f"Declare a value within it (or the live {fmt_power(live)}) to plan the rest of the schedule",
            source or manifest.source,
            schedule_address(manifest.name),
            expected=f"a power within [{json_number(cone.minimum)}, {json_number(cone.maximum)}] kW",
            found=f"{json_number(desired)} kW",
        )
    return found


def cut_at_revalidation(
    manifest: Manifest,
    asset: LiveAsset,
    writes: Mapping[datetime, Decimal],
    predictions: Sequence[Prediction],
    now: datetime,
) -> tuple[list[Prediction], list[Diagnostic]]:
    """The plan's predictions with the cone named where a written value lies outside it, and a
    warning where the planner's own D7 prediction does not cut it to the cone's edge.

    ``writes``: the periods the plan writes (editable, so their re-validation is ahead) and their
    kW; ``predictions``: the plan's predictions of this asset's schedule."""
    cone = reported_cone(asset, now)
    address = schedule_address(manifest.name)
    cut = {
        p.time: index
        for index, p in enumerate(predictions)
        if p.reason is PredictionReason.REVALIDATION and p.address == address
    }
    result, notes = list(predictions), []
    for period in sorted(cone):
        if any(earlier in writes for earlier in cone if earlier < period):
            break  # the reported cone describes the live schedule before this period, not the plan's
        if period not in writes or not _outside(writes[period], cone[period]):
            continue
        power, edge = writes[period], _edge(writes[period], cone[period])
        if period in cut and Decimal(str(result[cut[period]].predicted)) == edge:
            prediction = result[cut[period]]
            result[cut[period]] = replace(
                prediction,
                detail=f"{prediction.detail}; outside the cone of flexibility the platform reports "
                f"({_range(cone[period])})",
            )
            continue
        own = f"cuts it to {fmt_kw(result[cut[period]].predicted)}" if period in cut else "leaves it"
        source = manifest.wholesale.sources.get(period) if manifest.wholesale else None
        notes.append(
            located(
                Severity.WARNING,
                CODE,
                f"{local(period)}: {fmt_power(power)} is outside the cone of flexibility the platform reports "
                f"for this period ({_range(cone[period])}), so the platform may cut it to {fmt_kw(edge)} at its "
                f"re-validation ({local(revalidation_moment(period), with_date=False)}); the planner's own "
                f"projection (D7, without ramp rates) {own}",
                source or manifest.source,
                address,
                expected=f"a power within [{json_number(cone[period].minimum)}, {json_number(cone[period].maximum)}] kW",
                found=f"{json_number(power)} kW",
            )
        )
    return result, notes
