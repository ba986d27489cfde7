"""D6 stored energy and D7 re-validation as pure functions (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.rules.schedule import PeriodInput, revalidate_power, simulate_revalidation
from reconciler.rules.soe import (
    ENERGY_QUANTUM,
    Efficiencies,
    SocBounds,
    advance_energy,
    energy_as_decimal,
    energy_delta,
    project_energy,
    state_of_charge,
)

IDEAL = Efficiencies.of(1, 1)
REAL = Efficiencies.of(Decimal("0.95"), Decimal("0.95"))
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_energy_delta_charges_with_charge_efficiency_and_discharges_through_discharge_efficiency() -> None:
    assert energy_delta(Decimal(-2000), REAL) == Fraction(475)  # 2000 kW · 0.25 h · 0.95
    assert energy_delta(Decimal(1900), REAL) == Fraction(-500)  # 1900 kW · 0.25 h / 0.95
    assert energy_delta(0, REAL) == 0


def test_projection_starts_with_the_start_energy_and_adds_one_boundary_per_period() -> None:
    energies = project_energy(Decimal(5000), [Decimal(-2000), Decimal(-2000), Decimal(1900)], REAL)
    assert energies == [5000, 5475, 5950, 5450]


def test_stored_energy_is_kept_to_the_quantum_and_published_exactly() -> None:
    after = advance_energy(5000, Decimal(2000), REAL)  # 5000 − 500/0.95 = 4473.684210526315…
    assert after.denominator <= 10**9 and (after / ENERGY_QUANTUM).denominator == 1
    assert energy_as_decimal(after) == Decimal("4473.684210526")
    assert Fraction(energy_as_decimal(after)) == after


def test_state_of_charge_is_relative_to_the_available_energy_capacity() -> None:
    # API.md §9 example 12: 10000 kWh available at 50 % holds 5000 kWh.
    assert state_of_charge(5000, 10000) == 50
    assert state_of_charge(5000, 8000) == Fraction(125, 2)


def test_docs_example_upper_bound_correction() -> None:
    # API.md §9 example 1: E0 19 000 kWh, E_max 20 000 kWh, η 1, −10 000 kW → −4 000 kW.
    assert revalidate_power(19000, Decimal(-10000), (0, 20000), IDEAL) == Decimal(-4000)


def test_lower_bound_correction_with_efficiency_below_one() -> None:
    # E0 1000, E_min 500: (1000 − 500) · 0.95 / 0.25 = 1900 kW of the 3000 requested.
    assert revalidate_power(1000, Decimal(3000), (500, 9500), REAL) == Decimal(1900)


def test_upper_bound_correction_with_efficiency_below_one_is_truncated_toward_zero() -> None:
    # E0 9000, E_max 9500: −(500)/(0.25 · 0.95) = −2105.26… → −2105 kW.
    assert revalidate_power(9000, Decimal(-5000), (500, 9500), REAL) == Decimal(-2105)


def test_a_power_within_bounds_is_returned_unchanged() -> None:
    assert revalidate_power(5000, Decimal("-1234.5"), (500, 9500), REAL) == Decimal("-1234.5")


def test_past_the_bound_gives_zero_and_never_reverses_the_sign() -> None:
    assert revalidate_power(9600, Decimal(-1000), (500, 9500), REAL) == 0
    assert revalidate_power(400, Decimal(1000), (500, 9500), REAL) == 0
    # Discharging from above the upper bound is allowed: only the bound it moves toward counts.
    assert revalidate_power(9600, Decimal(1000), (500, 9500), REAL) == Decimal(1000)


def test_an_exactly_whole_correction_survives_the_energy_quantum() -> None:
    # After two periods at 2000 kW and η 0.95 the asset holds 5000 − 1000/0.95 kWh, kept as
    # 4473.684210526 (just below the exact value). Exactly, (E0 − 500) · 0.95 / 0.25 = 13100 kW;
    # the quantum must not turn that into 13099.
    energy = project_energy(5000, [Decimal(2000), Decimal(2000)], REAL)[-1]
    assert energy < 5000 - Fraction(1000) / Fraction(95, 100)
    assert revalidate_power(energy, Decimal(15000), (500, 10**6), REAL) == Decimal(13100)


def _periods(powers: list[int], capacity: int = 10000) -> list[PeriodInput]:
    return [
        PeriodInput(T0 + i * timedelta(minutes=15), Decimal(p), Decimal(capacity))
        for i, p in enumerate(powers)
    ]


def test_simulation_corrects_in_time_order_from_the_corrected_energy() -> None:
    bounds = SocBounds.of(5, 95)  # E_min 500, E_max 9500 of 10000 kWh
    sim = simulate_revalidation(
        9000, _periods([-2000, -2000, 1000]), REAL, bounds, now=T0 - timedelta(hours=1)
    )
    # First: 9000 + 475 = 9475 ≤ 9500, unchanged. Second: 9475 → limit −(25)/(0.2375) = −105.26 → −105.
    assert [(c.time, c.requested, c.corrected) for c in sim.corrections] == [
        (T0 + timedelta(minutes=15), Decimal(-2000), Decimal(-105))
    ]
    assert sim.powers == [Decimal(-2000), Decimal(-105), Decimal(1000)]
    assert sim.energies[2] == Fraction(9475) + Fraction(105) * Fraction(1, 4) * Fraction(95, 100)


def test_periods_already_revalidated_are_projected_not_corrected() -> None:
    bounds = SocBounds.of(0, 100)
    # The first period's re-validation (08:53) has passed at 08:55; its value is final.
    sim = simulate_revalidation(9900, _periods([-2000, -2000]), IDEAL, bounds, now=T0 - timedelta(minutes=5))
    assert sim.powers[0] == Decimal(-2000)
    assert sim.energies[1] == 10400
    assert [c.corrected for c in sim.corrections] == [Decimal(0)]


def test_simulation_refuses_gaps_between_periods() -> None:
    periods = _periods([0, 0])
    gap = [periods[0], PeriodInput(T0 + timedelta(minutes=30), Decimal(0), Decimal(10000))]
    with pytest.raises(ValueError, match="not consecutive"):
        simulate_revalidation(0, gap, IDEAL, SocBounds(), now=T0)


@given(
    e0=st.integers(min_value=0, max_value=10000),
    power=st.integers(min_value=-5000, max_value=5000),
    eta=st.sampled_from(["0.85", "0.9", "0.943", "0.95", "1"]),
)
def test_a_corrected_power_keeps_the_period_within_bounds(e0: int, power: int, eta: str) -> None:
    efficiencies = Efficiencies.of(Decimal(eta), Decimal(eta))
    e_min, e_max = Fraction(500), Fraction(9500)
    corrected = revalidate_power(e0, Decimal(power), (e_min, e_max), efficiencies)
    assert abs(corrected) <= abs(power) and corrected * power >= 0
    end = Fraction(e0) + energy_delta(corrected, efficiencies)
    if corrected != power:
        assert corrected == int(corrected)
        if power < 0:
            assert end <= e_max or corrected == 0
        else:
            assert end >= e_min or corrected == 0
