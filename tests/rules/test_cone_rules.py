"""D19: the cone of flexibility as a pure rule, checked against arithmetic written from D6/D7/D19."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.market import PERIOD
from reconciler.rules.capacity import PowerLimits
from reconciler.rules.cone import beyond_cone, cone, cone_periods, deliverable_at, deliverable_power
from reconciler.rules.schedule import PeriodInput, revalidate_power
from reconciler.rules.soe import Efficiencies, SocBounds

D = Decimal
ONE = Efficiencies.of(1, 1)
WIDE = PowerLimits(D(20000), D(20000))


def test_docs_example_1_the_cone_ends_where_the_correction_would_cut() -> None:
    # API.md §9 example 1: E0 19 000 kWh, E_max 20 000 kWh, η 1: 4 000 kW of charge fill the last
    # 1 000 kWh in a quarter-hour (1000 / 0.25); discharging may empty it down to E_min 0.
    cone_ = deliverable_power(19000, WIDE, (0, 20000), ONE)
    assert (cone_.minimum, cone_.maximum) == (D(-4000), D(20000))
    assert revalidate_power(19000, -10000, (0, 20000), ONE) == cone_.minimum
    narrow = deliverable_power(19000, PowerLimits(D(3000), D(5000)), (0, 20000), ONE)
    assert (narrow.minimum, narrow.maximum) == (D(-3000), D(5000))  # the available power is tighter


def test_efficiencies_and_whole_kw_rounding_inward() -> None:
    eta = Efficiencies.of(D("0.9"), D("0.95"))
    # discharge to E_min 1000 from 1100: (1100 − 1000) · 0.95 / 0.25 = 380 kW
    # charge to E_max 2000 from 1100: (2000 − 1100) / (0.25 · 0.9) = 4000 kW
    cone_ = deliverable_power(1100, WIDE, (1000, 2000), eta)
    assert (cone_.minimum, cone_.maximum) == (D(-4000), D(380))
    # 100.3 kWh above E_min: 100.3 · 0.95 / 0.25 = 381.14 kW, so 381 whole kW
    assert deliverable_power(Fraction(11003, 10), WIDE, (1000, 2000), eta).maximum == 381


def test_outside_its_bounds_the_cone_excludes_zero() -> None:
    # 200 kWh below E_min 1000: the asset must charge at least 200 / 0.25 = 800 kW
    low = deliverable_power(800, WIDE, (1000, 2000), ONE)
    assert (low.minimum, low.maximum) == (D(-4800), D(-800))
    high = deliverable_power(2100, WIDE, (1000, 2000), ONE)  # must discharge at least 400 kW
    assert (high.minimum, high.maximum) == (D(400), D(4400))
    stuck = deliverable_power(800, PowerLimits(D(500), D(500)), (1000, 2000), ONE)
    assert (stuck.minimum, stuck.maximum) == (D(-500), D(-500))  # as close as the available power gets


def test_the_next_two_quarter_hours_after_now() -> None:
    assert cone_periods(datetime(2026, 11, 24, 10, 7, tzinfo=UTC)) == [
        datetime(2026, 11, 24, 10, 15, tzinfo=UTC),
        datetime(2026, 11, 24, 10, 30, tzinfo=UTC),
    ]
    assert cone_periods(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))[0] == datetime(
        2026, 11, 24, 10, 15, tzinfo=UTC
    )


def test_cone_projects_along_the_corrected_schedule_and_beyond_it_is_the_available_power() -> None:
    now = datetime(2026, 11, 24, 10, 7, tzinfo=UTC)  # soe at 10:00; 10:00 runs, 10:15 and 10:30 near
    start = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    powers = [D(-2000), D(-4000), D(0), D(0)]
    periods = [PeriodInput(start + PERIOD * i, p, D(2000)) for i, p in enumerate(powers)]
    available = [PowerLimits(D(5000), D(5000))] * 4
    near = cone(1000, periods, available, ONE, SocBounds(), now)
    # 10:00 at −2000 kW: 1000 + 500 = 1500 kWh at 10:15 (not near: it has been re-validated)
    assert near[periods[1].time] == deliverable_power(1500, available[1], (0, 2000), ONE)
    assert (near[periods[1].time].minimum, near[periods[1].time].maximum) == (D(-2000), D(5000))
    # 10:15 asks −4000 kW; its re-validation is ahead (10:08) and cuts it to −2000 kW, so 10:30
    # starts full: no more charging, 2000 kWh · 4 = 8000 kW of discharge, capped at 5000
    assert (near[periods[2].time].minimum, near[periods[2].time].maximum) == (D(0), D(5000))
    assert set(near) == {periods[1].time, periods[2].time}
    assert deliverable_at(periods[3].time, near, PowerLimits(D(3000), D(1000))) == beyond_cone(
        PowerLimits(D(3000), D(1000))
    )
    assert (
        beyond_cone(PowerLimits(D(3000), D(1000))).minimum,
        beyond_cone(PowerLimits(D(3000), D(1000))).maximum,
    ) == (D(-3000), D(1000))


energies = st.integers(0, 40_000).map(lambda q: Fraction(q, 4))
ratios = st.sampled_from([D(1), D("0.95"), D("0.9"), D("0.943"), D("0.85")])


@settings(max_examples=150, deadline=None)
@given(
    e0=energies,
    lower=st.integers(0, 50),
    upper=st.integers(50, 100),
    charge=st.integers(0, 6000),
    discharge=st.integers(0, 6000),
    eta_c=ratios,
    eta_d=ratios,
    power=st.integers(-6000, 6000),
)
def test_within_its_bounds_a_whole_kw_power_outside_the_cone_is_cut_to_its_edge(
    e0: Fraction, lower: int, upper: int, charge: int, discharge: int, eta_c: D, eta_d: D, power: int
) -> None:
    """For a start within the bounds and any whole-kW power the available power allows, D7 leaves
    the power alone inside the cone and cuts it to the cone's edge outside it."""
    e_min, e_max = Fraction(lower * 100), Fraction(upper * 100)  # of a 10 000 kWh asset
    if not e_min <= e0 <= e_max or not -charge <= power <= discharge:
        return
    eta = Efficiencies.of(eta_c, eta_d)
    cone_ = deliverable_power(e0, PowerLimits(D(charge), D(discharge)), (e_min, e_max), eta)
    assert -charge <= cone_.minimum <= 0 <= cone_.maximum <= discharge
    expected = min(max(D(power), cone_.minimum), cone_.maximum)
    assert revalidate_power(e0, power, (e_min, e_max), eta) == expected
    # and the edges themselves keep the stored energy within its bounds (D6, the test's arithmetic)
    for edge in (cone_.minimum, cone_.maximum):
        p = Fraction(edge)
        end = (
            e0 - p * Fraction(1, 4) * Fraction(eta_c) if p < 0 else e0 - p * Fraction(1, 4) / Fraction(eta_d)
        )
        assert e_min - Fraction(1, 10**5) <= end <= e_max + Fraction(1, 10**5)
