"""Predictions: what the platform will do to the plan's values later, computed with its own rules.

Re-validation cuts come from :func:`reconciler.rules.schedule.simulate_revalidation` run from the
latest state of energy along the schedule as it will be after the plan, the same function the
sandbox applies period by period, so a prediction equals what then happens, to the kW.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from reconciler.core.diagnostics import Diagnostic, Severity, located
from reconciler.manifest import Manifest
from reconciler.market import Market, ProductDateCode, day_start, delivery_day, period_starts, periods_between
from reconciler.plan.fmt import fmt_energy, fmt_kw, local
from reconciler.plan.model import Prediction, PredictionReason
from reconciler.platform.live import LiveAsset
from reconciler.rules.bids import accepted_capacity
from reconciler.rules.lifecycle import (
    DEFAULT_FINAL_SOC_TOLERANCE,
    daily_available_energy_discharges,
    days_over_cycle_limit,
    end_of_life,
)
from reconciler.rules.schedule import PeriodInput, simulate_revalidation
from reconciler.rules.soe import SOC_BOUNDS_DEFAULT, Efficiencies, SocBounds, state_of_charge_of_quanta
from reconciler.rules.units import json_number

HALF = Fraction(50)


@dataclass(frozen=True)
class Projection:
    predictions: list[Prediction]
    soc: list[tuple[datetime, float]]  # projected SoC % at each period boundary
    diagnostics: list[Diagnostic]
    bounds: tuple[float, float] = SOC_BOUNDS_DEFAULT  # the SoC bounds % the projection keeps to (for charts)


def soc_bounds(asset: LiveAsset) -> SocBounds:
    bounds = asset.soc_bounds
    return SocBounds.of(*bounds) if bounds is not None else SocBounds()


def available_energy(asset: LiveAsset) -> Mapping[datetime, Decimal]:
    return asset.available_energy


def project(
    manifest: Manifest, asset: LiveAsset, final: Mapping[datetime, Decimal], now: datetime
) -> Projection:
    """Simulate the platform from the latest state of energy to the asset's end."""
    ratios: dict[Decimal, tuple[int, int]] = {}  # each available capacity as an exact ratio, once

    def soc_float(quanta: int, available: Decimal) -> float:
        ratio = ratios.get(available)
        if ratio is None:
            ratio = ratios[available] = available.as_integer_ratio()
        return state_of_charge_of_quanta(quanta, ratio)

    va = asset.va
    capacity = available_energy(asset)
    default_capacity = va.available_energy_capacity
    times = period_starts(asset.soe.time, va.end) if asset.soe.time < va.end else ()
    power_at, capacity_at, zero = final.get, capacity.get, Decimal(0)
    periods = [PeriodInput(t, power_at(t, zero), capacity_at(t, default_capacity)) for t in times]
    efficiencies = Efficiencies.of(va.charge_efficiency, va.discharge_efficiency)
    bounds = soc_bounds(asset)
    simulation = simulate_revalidation(asset.soe.soe_kwh, periods, efficiencies, bounds, now)

    address = f"{manifest.name}/wholesale"
    predictions = [
        Prediction(
            address=address,
            time=c.time,
            requested=json_number(c.requested),
            predicted=json_number(c.corrected),
            reason=PredictionReason.REVALIDATION,
            detail=f"the state of charge would leave its bounds; the platform nominates {fmt_kw(c.corrected)}",
        )
        for c in simulation.corrections
    ]
    boundaries = [*times, va.end] if times else []
    soc = [
        (t, soc_float(q, capacity_at(t, default_capacity)))
        for t, q in zip(boundaries, simulation.quanta, strict=False)
    ]
    end_capacity = capacity.get(times[-1], default_capacity) if times else default_capacity
    diagnostics = _end_of_life(manifest, asset, simulation.energy(-1) if times else None, end_capacity)
    # D11 counts whole local days: the periods already delivered today count too
    delivered = periods_between(max(va.start, day_start(delivery_day(asset.soe.time))), asset.soe.time)
    day = [
        (t, asset.wholesale.schedule.get(t, Decimal(0)), capacity.get(t, default_capacity)) for t in delivered
    ]
    day += [
        (p.time, power, p.available_energy_capacity)
        for p, power in zip(periods, simulation.powers, strict=True)
    ]
    diagnostics += _daily_cycles(manifest, asset, day, efficiencies)
    return Projection(predictions, soc, diagnostics, (float(bounds.lower), float(bounds.upper)))


def _end_of_life(
    manifest: Manifest, asset: LiveAsset, end_energy: Fraction | None, end_capacity: Decimal
) -> list[Diagnostic]:
    """D10 on the projection *with* the predicted corrections (what will really happen): more than
    ``finalSoCTolerance`` away from 50 % at the end of life is a warning."""
    va = asset.va
    if end_energy is None:
        return []
    tolerance = va.final_soc_tolerance if va.final_soc_tolerance is not None else DEFAULT_FINAL_SOC_TOLERANCE
    eol = end_of_life(end_energy, end_capacity, va.energy_capacity, tolerance)
    if not eol.feedback:
        return []
    over = eol.imbalance_discharge > 0
    imbalance = eol.imbalance_discharge if over else eol.imbalance_charge
    kind = "over-charged" if over else "under-charged"
    fix = "discharge more or charge less" if over else "charge more or discharge less"
    schedule = manifest.wholesale
    return [
        located(
            Severity.WARNING,
            "end-of-life-imbalance",
            f"projected state of charge at the end of life ({local(va.end)}) is "
            f"{float(eol.end_state_of_charge):.1f} %, {kind} by {fmt_energy(Decimal(int(imbalance)))} "
            f"against the 50 % target; {fix}",
            schedule.sources[min(schedule.sources)] if schedule and schedule.sources else manifest.source,
            f"{manifest.name}/wholesale",
        )
    ]


def _daily_cycles(
    manifest: Manifest,
    asset: LiveAsset,
    periods: Sequence[tuple[datetime, Decimal, Decimal]],
    efficiencies: Efficiencies,
) -> list[Diagnostic]:
    """D11: more available energy discharges in a local day than ``dailyCycleLimit`` is a warning."""
    limit = asset.va.daily_cycle_limit
    if limit is None:
        return []
    aeds = daily_available_energy_discharges(periods, efficiencies)
    return [
        located(
            Severity.WARNING,
            "daily-cycle-limit",
            f"{day.isoformat()}: {float(aeds[day]):.2f} available energy discharges exceed the daily limit of "
            f"{json_number(limit)}; the platform does not correct this",
            manifest.source,
            f"{manifest.name}/wholesale",
        )
        for day in days_over_cycle_limit(aeds, limit)
    ]


def bid_predictions(
    manifest: Manifest,
    changed: Sequence[ProductDateCode],
    committed_now: Mapping[ProductDateCode, int],
    committed_after: Mapping[ProductDateCode, int],
) -> list[Prediction]:
    """Truncation of fractional kW (D13) and the capacity each changed bid moves (D16)."""
    predictions: list[Prediction] = []
    for section, key in ((manifest.fcr, "fcr"), (manifest.afrr, "afrr")):
        for bid in section.bids if section else ():
            kept = accepted_capacity(bid.offered_kw)
            if kept != bid.offered_kw:
                predictions.append(
                    Prediction(
                        address=f"{manifest.name}/{key}/{bid.code}",
                        time=bid.code.window()[0],
                        requested=json_number(bid.offered_kw),
                        predicted=kept,
                        reason=PredictionReason.BID_TRUNCATION,
                        detail=f"offeredCapacity {json_number(bid.offered_kw)} kW is kept as {kept} kW",
                    )
                )
    for code in changed:
        if code.market is Market.AFRR_ENERGY:
            continue
        before, after = committed_now.get(code, 0), committed_after.get(code, 0)
        if before == after:
            continue
        moved = after - before
        sides = {"NEGPOS": "charge and discharge", "POS": "discharge", "NEG": "charge"}[
            str(code.product.direction)
        ]
        start, end = code.window()
        verb = f"takes {moved} kW of" if moved > 0 else f"returns {-moved} kW to"
        predictions.append(
            Prediction(
                address=f"{manifest.name}/wholesale",
                time=start,
                requested=before,
                predicted=after,
                reason=PredictionReason.CAPACITY_MOVE,
                detail=f"{code} {verb} the wholesale {sides} capacity {local(start)}–{local(end, with_date=False)}",
            )
        )
    return predictions
