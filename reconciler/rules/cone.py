"""The cone of flexibility (DECISIONS.md D19): ``maximumDeliverablePower`` and
``minimumDeliverablePower`` per quarter-hour.

For the next :data:`CONE_PERIODS` quarter-hours after now, the largest discharge and the largest
charge (signed kW) that the available wholesale power allows and that keep the projected state of
energy within its bounds at the end of the period (D6), from the projection the re-validation uses
(:func:`reconciler.rules.schedule.simulate_revalidation`); beyond them, the available discharge power
and minus the available charge power. Ramp rates are not modelled (their formula is not public).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from reconciler.market import PERIOD, PERIOD_HOURS, to_utc
from reconciler.rules.capacity import PowerLimits
from reconciler.rules.schedule import PeriodInput, settle, simulate_revalidation
from reconciler.rules.soe import Efficiencies, SocBounds
from reconciler.rules.units import Number

CONE_PERIODS = 2  # D19 (CL0327): the cone is projected two settlement periods ahead


@dataclass(frozen=True)
class Deliverable:
    """The signed range a period's wholesale power may take (kW): ``minimum ≤ P ≤ maximum``."""

    minimum: Decimal
    maximum: Decimal


def cone_periods(now: datetime) -> list[datetime]:
    """The quarter-hours the cone narrows: the next :data:`CONE_PERIODS` that start after ``now``."""
    utc = to_utc(now)
    floor = utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)
    return [floor + PERIOD * (i + 1) for i in range(CONE_PERIODS)]


def deliverable_power(
    start_energy: Number,
    available: PowerLimits,
    energy_limits: tuple[Number, Number],
    efficiencies: Efficiencies,
) -> Deliverable:
    """D19 for one period that starts with ``start_energy`` (E0, kWh).

    The end energy E0 + ΔE(P) (D6) falls as P rises, so the bounds give one interval: P ≤ the power
    that ends exactly at E_min, P ≥ the power that ends exactly at E_max. Each is settled to 1 mW and
    rounded inward to a whole kW (for a power within bounds that is D7's truncation toward zero, so a
    whole-kW value outside the cone is what re-validation cuts to its edge), then kept within the
    available wholesale power. When E0 lies outside the bounds the cone may exclude 0: it holds the
    powers that bring the energy back.
    """
    e0 = Fraction(start_energy)
    e_min, e_max = Fraction(energy_limits[0]), Fraction(energy_limits[1])
    highest = _power_ending_at(e0, e_min, efficiencies)
    lowest = _power_ending_at(e0, e_max, efficiencies)
    maximum = Decimal(math.floor(settle(highest)))
    minimum = Decimal(math.ceil(settle(lowest)))
    maximum = min(max(maximum, -available.charge), available.discharge)
    minimum = max(min(minimum, available.discharge), -available.charge)
    return Deliverable(min(minimum, maximum), maximum)


def _power_ending_at(e0: Fraction, target: Fraction, efficiencies: Efficiencies) -> Fraction:
    """The constant power that takes stored energy from ``e0`` to ``target`` in one period (D6)."""
    if target <= e0:  # discharge: E0 − P·Δt/η_discharge = target
        return (e0 - target) * efficiencies.discharge / PERIOD_HOURS
    return -(target - e0) / (PERIOD_HOURS * efficiencies.charge)  # charge: E0 − P·Δt·η_charge = target


def beyond_cone(available: PowerLimits) -> Deliverable:
    """D19 past the near periods: the available wholesale discharge power and minus the charge power."""
    return Deliverable(-available.charge, available.discharge)


def cone(
    start_energy: Number,
    periods: Sequence[PeriodInput],
    available: Sequence[PowerLimits],
    efficiencies: Efficiencies,
    bounds: SocBounds,
    now: datetime,
) -> dict[datetime, Deliverable]:
    """D19 for the near periods (:func:`cone_periods`) among ``periods``.

    ``periods`` are consecutive and start at the latest state of energy (``start_energy``);
    ``available[i]`` is the wholesale block's available power of ``periods[i]``. Every other period
    is :func:`beyond_cone`; :func:`deliverable_at` says which applies.
    """
    simulation = simulate_revalidation(start_energy, periods, efficiencies, bounds, now)
    near = set(cone_periods(now))
    return {
        period.time: deliverable_power(
            simulation.energy(index),
            available[index],
            bounds.energy_limits(period.available_energy_capacity),
            efficiencies,
        )
        for index, period in enumerate(periods)
        if period.time in near
    }


def deliverable_at(
    period: datetime, near: dict[datetime, Deliverable], available: PowerLimits
) -> Deliverable:
    """D19 for any period: the near cone where it applies, else the available wholesale power."""
    return near.get(period) or beyond_cone(available)
