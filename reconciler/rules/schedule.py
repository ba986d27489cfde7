"""Re-validation corrections (D7) and the strict rules of a schedule update (D8).

Pure functions shared by the sandbox (which applies them) and the planner (which predicts with
them), so a prediction equals what the platform then does, to the kW.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from reconciler.market import PERIOD, PERIOD_HOURS, gate_closure, is_quarter_hour, isoformat_z
from reconciler.market.calendar import revalidation_moment
from reconciler.rules.bids import RuleViolation
from reconciler.rules.capacity import PowerLimits, power_over_limit
from reconciler.rules.soe import (
    QUANTA_PER_KWH,
    Efficiencies,
    QuantizedSteps,
    SocBounds,
    advance_energy,
    state_of_charge,
    to_quanta,
)
from reconciler.rules.units import Number

# A corrected power is rounded to 1 mW before it is truncated to a whole kW, so the 1 µWh quantum of
# stored energy (rules.soe.ENERGY_QUANTUM) never costs a whole kW when the exact answer is whole.
CORRECTION_RESOLUTION = Fraction(1, 10**6)

# The four named messages of API.md §7, verbatim (the description after "<category> error: ").
MSG_NOT_QUARTER_HOUR = "instruction start time must be a quarter of an hour"
MSG_PAST_GATE_CLOSURE = "cannot update instruction after gate closure"
MSG_NON_WHOLESALE = "cannot update schedule of non wholesale block: {block_id}"
MSG_OUTSIDE_TIMESPAN = (
    "cannot update block outside of its timespan: update timespan {update} "
    "is not fully contained within block timespan {block}"
)
WHOLESALE = "WHOLESALE"


def as_decimal(value: Number) -> Decimal:
    """A power as ``Decimal`` (exact for ``int``/``Decimal``; a ``Fraction`` to 28 digits)."""
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def settle(value: Fraction) -> Fraction:
    """A power limit rounded to ``CORRECTION_RESOLUTION`` before it is cut to whole kW."""
    return Fraction(round(value / CORRECTION_RESOLUTION)) * CORRECTION_RESOLUTION


def _truncate_toward_zero(value: Fraction) -> int:
    return int(settle(value))  # int() truncates toward zero


def revalidate_power(
    start_energy: Number,
    power_kw: Number,
    energy_limits: tuple[Number, Number],
    efficiencies: Efficiencies,
) -> Decimal:
    """D7: the active power of one period after its re-validation.

    ``start_energy`` is E0, the stored energy at the period start; ``energy_limits`` is
    ``(E_min, E_max)`` in kWh for that period. Charging that would end above E_max becomes
    ``−(E_max − E0)/(Δt·η_charge)``; discharging that would end below E_min becomes
    ``(E0 − E_min)·η_discharge/Δt``. A correction only shrinks toward 0 (E0 already past the bound
    gives 0) and is truncated toward zero to a whole kW. A power that needs no correction is
    returned unchanged.
    """
    e0 = Fraction(start_energy)
    power = Fraction(power_kw)
    e_min, e_max = Fraction(energy_limits[0]), Fraction(energy_limits[1])
    if power < 0 and e0 - power * PERIOD_HOURS * efficiencies.charge > e_max:
        limit = -(e_max - e0) / (PERIOD_HOURS * efficiencies.charge)
        return Decimal(_truncate_toward_zero(min(max(limit, power), Fraction(0))))
    if power > 0 and e0 - power * PERIOD_HOURS / efficiencies.discharge < e_min:
        limit = (e0 - e_min) * efficiencies.discharge / PERIOD_HOURS
        return Decimal(_truncate_toward_zero(max(min(limit, power), Fraction(0))))
    return as_decimal(power_kw)


class PeriodInput(NamedTuple):
    """One period of a sequential simulation: its UTC start, active power (kW) and the
    available energy capacity (kWh) that sets its SoC limits. (A tuple: a plan builds one per
    period of every asset's lifetime.)"""

    time: datetime
    power: Decimal
    available_energy_capacity: Decimal


@dataclass(frozen=True)
class Correction:
    """A period the re-validation changes (D7): requested → corrected kW."""

    time: datetime
    requested: Decimal
    corrected: Decimal


@dataclass(frozen=True)
class Simulation:
    """Result of :func:`simulate_revalidation`.

    ``powers`` are the active powers after corrections (one per input period), ``quanta`` the
    stored energy at every boundary in whole ``ENERGY_QUANTUM`` (``len(periods) + 1`` values,
    start included), ``corrections`` the periods that changed, in time order.
    """

    powers: list[Decimal]
    quanta: list[int]
    corrections: list[Correction]

    @property
    def energies(self) -> list[Fraction]:
        """The stored energy at every boundary, kWh."""
        return [Fraction(q, QUANTA_PER_KWH) for q in self.quanta]

    def energy(self, index: int) -> Fraction:
        """The stored energy at boundary ``index`` (0: the start), kWh."""
        return Fraction(self.quanta[index], QUANTA_PER_KWH)


def simulate_revalidation(
    start_energy: Number,
    periods: Sequence[PeriodInput],
    efficiencies: Efficiencies,
    bounds: SocBounds,
    now: datetime,
) -> Simulation:
    """D7 over many periods, in time order, exactly as the platform will run it.

    ``start_energy`` is the stored energy at the start of ``periods[0]`` (the latest state of
    energy, whose time is a period boundary ≤ now). Periods must be consecutive. A period whose
    re-validation moment (start − 7 min) is ≤ ``now`` has been re-validated already: its power is
    final and is only projected. Every later period is corrected from E0 projected along the
    corrected powers before it. The planner calls this to predict corrections; the sandbox applies
    the same function one period at a time.
    """
    quanta = to_quanta(start_energy)
    trail = [quanta]
    powers: list[Decimal] = []
    corrections: list[Correction] = []
    steps = QuantizedSteps(efficiencies)
    limits: dict[Decimal, tuple[Fraction, Fraction]] = {}  # E_min, E_max per available capacity
    ahead = False  # once a period's re-validation is still ahead, so is every later one's
    previous: datetime | None = None
    for period in periods:
        time, power, capacity = period
        if previous is not None and time != previous + PERIOD:
            raise ValueError(f"periods are not consecutive at {isoformat_z(time)}")
        previous = time
        ahead = ahead or revalidation_moment(time) > now
        if ahead:
            if capacity not in limits:
                limits[capacity] = bounds.energy_limits(capacity)
            if _leaves_bounds(quanta, steps.delta(power), power, limits[capacity]):
                energy = Fraction(quanta, QUANTA_PER_KWH)
                corrected = revalidate_power(energy, power, limits[capacity], efficiencies)
                if corrected != power:
                    corrections.append(Correction(time, power, corrected))
                power = corrected
            elif type(power) is not Decimal:
                power = as_decimal(power)  # what revalidate_power returns for a power it keeps
        powers.append(power)
        quanta = steps.advance(quanta, power)
        trail.append(quanta)
    return Simulation(powers, trail, corrections)


def revalidate_last(
    start_energy: Number, periods: Sequence[PeriodInput], efficiencies: Efficiencies, bounds: SocBounds
) -> Correction | None:
    """D7 at the re-validation moment of ``periods[-1]``: the earlier periods were re-validated
    before (their powers are final), so E0 is projected along them. This is
    :func:`simulate_revalidation` run at the instant just before that moment, the very code the
    planner predicts with; the sandbox calls it when its clock reaches the moment."""
    if not periods:
        return None
    just_before = revalidation_moment(periods[-1].time) - timedelta(microseconds=1)
    simulation = simulate_revalidation(start_energy, periods, efficiencies, bounds, just_before)
    last = simulation.corrections[-1:] if simulation.corrections else []
    return last[0] if last and last[0].time == periods[-1].time else None


def _leaves_bounds(
    quanta: int, delta: tuple[int, int], power: Decimal, limits: tuple[Fraction, Fraction]
) -> bool:
    """Whether :func:`revalidate_power` corrects ``power``: charging ends above E_max, or
    discharging below E_min (E0 + ΔE of D6, compared exactly in quanta)."""
    if not power:
        return False
    numerator, denominator = delta
    limit = limits[1] if power < 0 else limits[0]
    # E0 + ΔE = (quanta·denominator + numerator) / (denominator·QUANTA_PER_KWH) kWh, against the limit
    end = (quanta * denominator + numerator) * limit.denominator
    bound = limit.numerator * denominator * QUANTA_PER_KWH
    return end > bound if power < 0 else end < bound


def _timespan(start: datetime, end: datetime) -> str:
    return f"{isoformat_z(start)}/{isoformat_z(end)}"


def _violation(code: str, message: str, expected: str, found: str) -> RuleViolation:
    return RuleViolation(code=code, message=message, expected=expected, found=found)


def check_schedule_update(
    points: Sequence[tuple[datetime, Decimal]],
    *,
    block_id: str,
    block_market: str,
    block_start: datetime,
    block_end: datetime,
    now: datetime,
    gate_closure_seconds: int,
    available: Mapping[datetime, PowerLimits],
) -> RuleViolation | None:
    """D8: the first strict rule an update breaks (the platform rejects it whole, 400), or None.

    Checked in this order: non-wholesale block, quarter-hour grid, a time sent twice, block
    timespan (the update spans ``[first, last + 15 min)``), gate closure (``now`` after
    start − ``dispatchGateClosureSeconds``), |power| above the wholesale block's available
    capacity of that period (``available``, keyed by period start). ``message`` is the platform's
    description (prefix it with ``invalid operation error: ``). The SoC rule that turns hard
    after re-validation is :func:`check_soft_locked_power`.
    """
    if block_market != WHOLESALE:
        return _violation(
            "schedule-non-wholesale",
            MSG_NON_WHOLESALE.format(block_id=block_id),
            "a wholesale block",
            block_market,
        )
    if not points:
        return None
    for time, _ in points:
        if not is_quarter_hour(time):
            return _violation(
                "schedule-grid", MSG_NOT_QUARTER_HOUR, "a quarter-hour start", isoformat_z(time)
            )
    seen: set[datetime] = set()
    for time, _ in points:
        if time in seen:
            return _violation(
                "schedule-duplicate-time",
                f"instruction time {isoformat_z(time)} appears more than once in the update",
                "each time at most once",
                isoformat_z(time),
            )
        seen.add(time)
    first, last = min(seen), max(seen) + PERIOD
    if first < block_start or last > block_end:
        return _violation(
            "schedule-outside-block",
            MSG_OUTSIDE_TIMESPAN.format(
                update=_timespan(first, last), block=_timespan(block_start, block_end)
            ),
            f"times within {_timespan(block_start, block_end)}",
            _timespan(first, last),
        )
    for time, _ in sorted(points):
        if now > gate_closure(time, gate_closure_seconds):
            return _violation(
                "schedule-gate-closed",
                MSG_PAST_GATE_CLOSURE,
                f"a write by {isoformat_z(gate_closure(time, gate_closure_seconds))}",
                f"period {isoformat_z(time)} at {isoformat_z(now)}",
            )
    for time, power in sorted(points):
        over = power_over_limit(power, available[time])
        if over is not None:
            return _power_violation(time, power, *over)
    return None


def _power_violation(time: datetime, power: Decimal, direction: str, limit: Decimal) -> RuleViolation:
    return _violation(
        "schedule-power-limit",
        f"power {power} kW at {isoformat_z(time)} exceeds the available {direction} capacity of {limit} kW",
        f"|power| ≤ {limit} kW ({direction})",
        f"{power} kW",
    )


def check_soft_locked_power(
    time: datetime,
    power: Decimal,
    start_energy: Number,
    available_energy_capacity: Number,
    efficiencies: Efficiencies,
    bounds: SocBounds,
) -> RuleViolation | None:
    """D8: after a period's re-validation and until its gate closure, the SoC rule is strict.

    ``start_energy`` is E0 projected to the period start. A power the re-validation would correct
    (:func:`revalidate_power`) is rejected instead of corrected.
    """
    limits = bounds.energy_limits(available_energy_capacity)
    if revalidate_power(start_energy, power, limits, efficiencies) == power:
        return None
    end_soc = state_of_charge(advance_energy(start_energy, power, efficiencies), available_energy_capacity)
    return _violation(
        "schedule-soc-bounds",
        f"power {power} kW at {isoformat_z(time)} would take the state of charge to {float(end_soc):.2f} %, "
        f"outside the bounds [{float(bounds.lower):g} %, {float(bounds.upper):g} %]; the period has been "
        "re-validated, so the state-of-charge rule is strict until its gate closure",
        f"a state of charge within [{float(bounds.lower):g} %, {float(bounds.upper):g} %]",
        f"{float(end_soc):.2f} %",
    )
