"""End of life (D10) and daily cycles (D11): feedback only, the platform rejects nothing here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from reconciler.market import day_bounds, delivery_day
from reconciler.rules.soe import HUNDRED, Efficiencies, energy_delta, state_of_charge
from reconciler.rules.units import Number

TARGET_END_SOC = Fraction(50)  # percent: a virtual asset should end its life half full
DEFAULT_FINAL_SOC_TOLERANCE = Decimal("0.01")
"""``finalSoCTolerance`` when an asset does not report one: the docs' example value (API.md §3)."""


@dataclass(frozen=True)
class EndOfLife:
    """D10: the end-of-life fields of a VirtualAsset (SoC in percent, imbalances in kWh)."""

    end_state_of_charge: Fraction
    imbalance_charge: Fraction
    imbalance_discharge: Fraction
    feedback: str


def _kwh(value: Fraction) -> str:
    return str(round(value))  # whole kWh in the sentence; the fields carry the exact value


def end_of_life(
    end_energy: Number,
    available_energy_capacity: Number,
    energy_capacity: Number,
    final_soc_tolerance: Number,
) -> EndOfLife:
    """D10 from the projected stored energy at the asset's end (plain projection, no corrections).

    ``endStateOfChargePercentage`` = end energy / available energy capacity × 100;
    ``imbalanceDischarge`` = max(0, end SoC − 50 %) × ``energyCapacity``, ``imbalanceCharge`` =
    max(0, 50 % − end SoC) × ``energyCapacity``; ``feedback`` has a sentence when the deviation
    exceeds ``finalSoCTolerance`` (a fraction: 0.01 = 1 percentage point), else it is empty.
    API.md §9 example 17: 1000 kWh at 75 % → imbalanceDischarge 250, "over-charged by 250 kilowatt hours".
    """
    soc = state_of_charge(end_energy, available_energy_capacity)
    capacity = Fraction(energy_capacity)
    over = max(Fraction(0), soc - TARGET_END_SOC) * capacity / HUNDRED
    under = max(Fraction(0), TARGET_END_SOC - soc) * capacity / HUNDRED
    feedback = ""
    if abs(soc - TARGET_END_SOC) > Fraction(final_soc_tolerance) * HUNDRED:
        if over:
            feedback = (
                f"This block is projected to be over-charged by {_kwh(over)} kilowatt hours. "
                "Consider adding more discharging to the schedule, or reducing the amount of charging"
            )
        else:
            feedback = (
                f"This block is projected to be under-charged by {_kwh(under)} kilowatt hours. "
                "Consider adding more charging to the schedule, or reducing the amount of discharging"
            )
    return EndOfLife(soc, under, over, feedback)


def daily_available_energy_discharges(
    schedule: Sequence[tuple[datetime, Number, Number]],
    efficiencies: Efficiencies,
) -> dict[date, Fraction]:
    """D11: available energy discharges (AEDs) per local delivery day.

    ``schedule`` holds ``(period start, power kW, available energy capacity kWh)``. Per quarter,
    AED = energy taken from storage (−ΔE of D6: P·Δt/η_discharge for P > 0) / available energy
    capacity, so emptying the whole available capacity once is one AED whatever the efficiency;
    a day's AEDs are their sum. Quarters with no available capacity count nothing.
    """
    # Each distinct (power, capacity) is worked out once and counted per day: the sums are exact,
    # so adding count × AED equals adding the AED count times.
    counts: dict[date, dict[tuple[Number, Number], int]] = {}
    day, bounds = date.min, None  # the local day of the period before, and its [start, end)
    for time, power, capacity in schedule:
        if bounds is None or not bounds[0] <= time < bounds[1]:
            day = delivery_day(time)
            bounds = day_bounds(day)
        per_day = counts.setdefault(day, {})
        per_day[(power, capacity)] = per_day.get((power, capacity), 0) + 1
    aeds: dict[tuple[Number, Number], Fraction] = {}
    totals: dict[date, Fraction] = {}
    for day, per_day in counts.items():
        totals[day] = Fraction(0)
        for (power, capacity), count in per_day.items():
            if (power, capacity) not in aeds:
                aeds[(power, capacity)] = _aed(power, capacity, efficiencies)
            if aeds[(power, capacity)]:
                totals[day] += aeds[(power, capacity)] * count
    return totals


def discharged_energy(power: Number, efficiencies: Efficiencies) -> Fraction:
    """D11/D22: the energy one quarter at ``power`` takes from storage, kWh (−ΔE of D6 when
    discharging; 0 when charging or idle)."""
    return -energy_delta(power, efficiencies) if Fraction(power) > 0 else Fraction(0)


def _per_capacity(energy: Fraction, capacity: Number) -> Fraction:
    return energy / Fraction(capacity) if energy and Fraction(capacity) > 0 else Fraction(0)


def _aed(power: Number, capacity: Number, efficiencies: Efficiencies) -> Fraction:
    """D11: the available energy discharges of one quarter at ``power`` (0 when charging or idle)."""
    return _per_capacity(discharged_energy(power, efficiencies), capacity)


@dataclass(frozen=True)
class QuarterCycles:
    """D22: one quarter's ``cycles…`` (discharged energy ÷ rated energy capacity) and
    ``availableEnergyDischarges…`` (÷ available energy capacity)."""

    cycles: Fraction
    available_energy_discharges: Fraction


def quarter_cycles(
    power: Number, rated_capacity: Number, available_capacity: Number, efficiencies: Efficiencies
) -> QuarterCycles:
    """D22 for one quarter of the wholesale schedule; the AEDs are the very numbers the daily
    limit of D11 adds up (:func:`daily_available_energy_discharges`)."""
    discharged = discharged_energy(power, efficiencies)
    return QuarterCycles(
        _per_capacity(discharged, rated_capacity), _aed(power, available_capacity, efficiencies)
    )


def days_over_cycle_limit(aeds: dict[date, Fraction], daily_limit: Number) -> list[date]:
    """D11: the days whose AEDs exceed ``dailyCycleLimit`` (a warning, never a rejection)."""
    return sorted(day for day, total in aeds.items() if total > Fraction(daily_limit))
