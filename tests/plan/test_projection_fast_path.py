"""The planner's projection on whole energy quanta equals the plain Fraction rules, to the digit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.market import PERIOD, delivery_day, revalidation_moment
from reconciler.rules.lifecycle import daily_available_energy_discharges
from reconciler.rules.schedule import (
    Correction,
    PeriodInput,
    Simulation,
    revalidate_power,
    simulate_revalidation,
)
from reconciler.rules.soe import (
    Efficiencies,
    SocBounds,
    energy_delta,
    quantize_energy,
    state_of_charge,
    state_of_charge_float,
    state_of_charge_of_quanta,
    to_quanta,
)
from reconciler.rules.units import Number

START = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # the periods run over a DST change in Berlin


def reference_simulation(
    start_energy: Number, periods: Sequence[PeriodInput], rules: tuple[Efficiencies, SocBounds], now: datetime
) -> Simulation:
    """D7 period by period with the plain rules (what simulate_revalidation computed before)."""
    efficiencies, bounds = rules
    energy = quantize_energy(start_energy)
    energies, powers, corrections = [energy], [], []
    for period in periods:
        power = period.power
        if revalidation_moment(period.time) > now:
            limits = bounds.energy_limits(period.available_energy_capacity)
            corrected = revalidate_power(energy, power, limits, efficiencies)
            if corrected != power:
                corrections.append(Correction(period.time, power, corrected))
            power = corrected
        powers.append(power)
        energy = quantize_energy(energy + energy_delta(power, efficiencies))  # plain Fractions
        energies.append(energy)
    return Simulation(powers, [to_quanta(e) for e in energies], corrections)


def reference_aeds(
    schedule: Sequence[tuple[datetime, Number, Number]], efficiencies: Efficiencies
) -> dict[date, Fraction]:
    totals: dict[date, Fraction] = {}
    for time, power, capacity in schedule:
        day = delivery_day(time)
        totals.setdefault(day, Fraction(0))
        discharged = -energy_delta(power, efficiencies) if Fraction(power) > 0 else Fraction(0)
        if discharged and Fraction(capacity) > 0:
            totals[day] += discharged / Fraction(capacity)
    return totals


powers = st.one_of(
    st.sampled_from([Decimal(0), Decimal(-1000), Decimal(1000), Decimal("2500.5"), Decimal("-0.001")]),
    st.decimals(min_value=-5000, max_value=5000, places=3),
)
capacities = st.one_of(
    st.sampled_from([Decimal(0), Decimal(1000), Decimal("2000.0")]),
    st.decimals(min_value=0, max_value=9000, places=2),
)
ratios = st.one_of(
    st.sampled_from([Fraction(1), Fraction(95, 100), Fraction(9, 10), Fraction(19, 20)]),
    st.fractions(min_value=Fraction(1, 10), max_value=1, max_denominator=1000),
)


@st.composite
def schedules(draw: st.DrawFn) -> list[PeriodInput]:
    count = draw(st.integers(0, 120))
    capacity = draw(capacities)
    result = []
    for index in range(count):
        if draw(st.integers(0, 9)) == 0:
            capacity = draw(capacities)
        result.append(PeriodInput(START + index * PERIOD, draw(powers), capacity))
    return result


@settings(max_examples=150, deadline=None)
@given(
    start=st.one_of(
        st.decimals(min_value=0, max_value=8000, places=9), st.fractions(0, 8000, max_denominator=10**6)
    ),
    periods=schedules(),
    charge=ratios,
    discharge=ratios,
    lower=st.integers(0, 50),
    upper=st.integers(50, 100),
    revalidated=st.integers(-2, 130),
)
@pytest.mark.slow
def test_simulation_equals_the_plain_rules(
    start: Number,
    periods: list[PeriodInput],
    charge: Fraction,
    discharge: Fraction,
    lower: int,
    upper: int,
    revalidated: int,
) -> None:
    efficiencies, bounds = Efficiencies(charge, discharge), SocBounds.of(lower, upper)
    now = START + revalidated * PERIOD - timedelta(minutes=7)
    fast = simulate_revalidation(start, periods, efficiencies, bounds, now)
    slow = reference_simulation(start, periods, (efficiencies, bounds), now)
    assert fast == slow
    assert [str(p) for p in fast.powers] == [str(p) for p in slow.powers]  # same digits too


@settings(max_examples=150, deadline=None)
@given(
    energy=st.fractions(min_value=-(10**6), max_value=10**7, max_denominator=10**9),
    capacity=st.one_of(capacities, st.decimals(min_value=-10, max_value=0, places=1)),
)
def test_state_of_charge_float_is_the_float_of_the_exact_one(energy: Fraction, capacity: Decimal) -> None:
    assert state_of_charge_float(energy, capacity) == float(state_of_charge(energy, capacity))
    quantized = quantize_energy(energy)  # the projection's energies, as whole quanta
    exact = float(state_of_charge(quantized, capacity))
    assert state_of_charge_of_quanta(to_quanta(quantized), capacity.as_integer_ratio()) == exact


@settings(max_examples=200, deadline=None)
@given(periods=schedules(), discharge=ratios)
def test_daily_discharges_equal_the_plain_sum(periods: list[PeriodInput], discharge: Fraction) -> None:
    schedule = [(p.time, p.power, p.available_energy_capacity) for p in periods]
    efficiencies = Efficiencies(Fraction(1), discharge)
    assert daily_available_energy_discharges(schedule, efficiencies) == reference_aeds(schedule, efficiencies)
