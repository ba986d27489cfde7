"""Stored energy and state of charge (DECISIONS.md D6, D7).

Powers are signed kW (+ discharge, − charge), energies kWh, one period lasts
``PERIOD_HOURS`` = 1/4 h. Every function here is pure and exact: energies are ``Fraction``.

Stored energy is kept to ``ENERGY_QUANTUM`` (1 µWh) at every period boundary. The sandbox
publishes the state of energy as that exact decimal, so a planner that reads it
(``parse_float=Decimal``) and projects forward with :func:`advance_energy` computes the very same
numbers the sandbox later uses for re-validation, to the last digit. Without the quantum a
discharge efficiency of 0.95 makes energies like 5000 − 100000/19 kWh that no JSON number carries
exactly, and a correction that is exactly 3800 kW on one side could truncate to 3799 on the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from reconciler.market import PERIOD_HOURS
from reconciler.rules.units import Number

ENERGY_QUANTUM = Fraction(1, 10**9)  # kWh; stored energy is kept to 1 µWh at period boundaries
QUANTA_PER_KWH = 10**9  # 1 / ENERGY_QUANTUM
HUNDRED = Fraction(100)
SOC_BOUNDS_DEFAULT = (0, 100)
"""D6: ``stateOfChargeBounds`` (lower, upper) in percent of an asset that sets none."""


@dataclass(frozen=True)
class Efficiencies:
    """One-way charge and discharge efficiencies (ratios in (0, 1]) of a virtual asset (D6)."""

    charge: Fraction
    discharge: Fraction

    @classmethod
    def of(cls, charge: Number, discharge: Number) -> Efficiencies:
        return cls(Fraction(charge), Fraction(discharge))


@dataclass(frozen=True)
class SocBounds:
    """``stateOfChargeBounds`` in percent of the available energy capacity (D6)."""

    lower: Fraction = Fraction(SOC_BOUNDS_DEFAULT[0])
    upper: Fraction = Fraction(SOC_BOUNDS_DEFAULT[1])

    @classmethod
    def of(cls, lower: Number, upper: Number) -> SocBounds:
        return cls(Fraction(lower), Fraction(upper))

    def energy_limits(self, available_energy_capacity: Number) -> tuple[Fraction, Fraction]:
        """``(E_min, E_max)`` in kWh: bound % × the available energy capacity of the period (D7)."""
        capacity = Fraction(available_energy_capacity)
        return self.lower * capacity / HUNDRED, self.upper * capacity / HUNDRED


def energy_delta(power_kw: Number, efficiencies: Efficiencies) -> Fraction:
    """D6: change of stored energy over one period at ``power_kw``, exact.

    Charging (P < 0) stores ``−P·Δt·η_charge``; discharging (P > 0) takes ``P·Δt/η_discharge``.
    """
    power = Fraction(power_kw)
    if power < 0:
        return -power * PERIOD_HOURS * efficiencies.charge
    return -power * PERIOD_HOURS / efficiencies.discharge


def quantize_energy(energy: Number) -> Fraction:
    """Round a stored energy to ``ENERGY_QUANTUM`` (half to even), as the sandbox stores it."""
    return Fraction(to_quanta(energy), QUANTA_PER_KWH)


def to_quanta(energy: Number) -> int:
    """A stored energy as a whole number of ``ENERGY_QUANTUM`` (rounded half to even)."""
    return round(Fraction(energy) * QUANTA_PER_KWH)


def advance_energy(energy: Number, power_kw: Number, efficiencies: Efficiencies) -> Fraction:
    """D6: stored energy at the end of a period that starts with ``energy`` (kept to the quantum)
    and runs at ``power_kw``.

    No clamping to bounds: this is the plain physics; bounds are the business of re-validation (D7).
    One step of :class:`QuantizedSteps`, the one implementation of the step.
    """
    quanta = QuantizedSteps(efficiencies).advance(to_quanta(energy), power_kw)
    return Fraction(quanta, QUANTA_PER_KWH)


def project_energy(
    start_energy: Number, powers: Iterable[Number], efficiencies: Efficiencies
) -> list[Fraction]:
    """D6: stored energy at every boundary along a schedule, starting point included.

    ``result[0]`` is ``start_energy`` (quantized); ``result[i + 1]`` is the energy after period ``i``.
    """
    steps = QuantizedSteps(efficiencies)
    quanta = to_quanta(start_energy)
    energies = [Fraction(quanta, QUANTA_PER_KWH)]
    for power in powers:
        quanta = steps.advance(quanta, power)
        energies.append(Fraction(quanta, QUANTA_PER_KWH))
    return energies


class QuantizedSteps:
    """The one implementation of a D6 step: stored energy as a whole number of ``ENERGY_QUANTUM``,
    each period's change (:func:`energy_delta`) as an exact ratio, plain integer arithmetic
    (``Fraction`` arithmetic costs ~10 µs a period); each distinct power is converted once.
    Used by :func:`advance_energy`, :func:`project_energy` and the re-validation simulation."""

    def __init__(self, efficiencies: Efficiencies) -> None:
        self.efficiencies = efficiencies
        self.deltas: dict[Number, tuple[int, int]] = {}

    def delta(self, power_kw: Number) -> tuple[int, int]:
        """:func:`energy_delta` in quanta as ``(numerator, denominator > 0)``."""
        found = self.deltas.get(power_kw)
        if found is None:
            delta = energy_delta(power_kw, self.efficiencies) * QUANTA_PER_KWH
            found = self.deltas[power_kw] = (delta.numerator, delta.denominator)
        return found

    def advance(self, quanta: int, power_kw: Number) -> int:
        """Energy after one period in quanta: ``quanta + ΔE`` rounded half to even, as
        ``round(Fraction)`` does."""
        numerator, denominator = self.delta(power_kw)
        floor, remainder = divmod(quanta * denominator + numerator, denominator)
        twice = 2 * remainder
        if twice > denominator or (twice == denominator and floor % 2):
            return floor + 1
        return floor


def state_of_charge(energy: Number, available_energy_capacity: Number) -> Fraction:
    """D6: SoC in percent = stored energy / available energy capacity × 100 (0 for no capacity)."""
    capacity = Fraction(available_energy_capacity)
    if capacity <= 0:
        return Fraction(0)
    return Fraction(energy) * HUNDRED / capacity


def state_of_charge_float(energy: Fraction, available_energy_capacity: Number) -> float:
    """``float(state_of_charge(energy, capacity))`` without the ``Fraction`` arithmetic: the
    quotient of the same exact integers, which Python rounds correctly, so the same float."""
    capacity = available_energy_capacity.as_integer_ratio()
    if capacity[0] <= 0:
        return 0.0
    return (energy.numerator * 100 * capacity[1]) / (energy.denominator * capacity[0])


def state_of_charge_of_quanta(quanta: int, available_energy_capacity: tuple[int, int]) -> float:
    """:func:`state_of_charge_float` of ``quanta`` × ``ENERGY_QUANTUM`` for a capacity given as its
    exact ratio ``(numerator, denominator > 0)``: the quotient of the same rational, correctly
    rounded by Python's integer division, so the same float."""
    numerator, denominator = available_energy_capacity
    if numerator <= 0:
        return 0.0
    return (quanta * 100 * denominator) / (QUANTA_PER_KWH * numerator)


def energy_as_decimal(energy: Fraction) -> Decimal:
    """The exact decimal of a quantized energy (what goes on the wire as ``soe``)."""
    quantized = quantize_energy(energy)
    scaled = quantized / ENERGY_QUANTUM
    assert scaled.denominator == 1
    return Decimal(scaled.numerator).scaleb(-9).normalize()
