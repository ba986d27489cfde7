"""D10 end of life and D11 daily cycles (no server)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from reconciler.market import quarter_hours
from reconciler.rules.lifecycle import daily_available_energy_discharges, days_over_cycle_limit, end_of_life
from reconciler.rules.soe import Efficiencies

IDEAL = Efficiencies.of(1, 1)
REAL = Efficiencies.of(Decimal("0.95"), Decimal("0.95"))


def test_docs_example_17_over_charged() -> None:
    eol = end_of_life(750, 1000, 1000, Decimal("0.01"))
    assert eol.end_state_of_charge == 75
    assert (eol.imbalance_discharge, eol.imbalance_charge) == (250, 0)
    assert eol.feedback == (
        "This block is projected to be over-charged by 250 kilowatt hours. Consider adding more "
        "discharging to the schedule, or reducing the amount of charging"
    )


def test_under_charged_and_within_tolerance() -> None:
    under = end_of_life(400, 1000, 1000, Decimal("0.01"))
    assert (under.imbalance_charge, under.imbalance_discharge) == (100, 0)
    assert "under-charged by 100 kilowatt hours" in under.feedback
    close = end_of_life(505, 1000, 1000, Decimal("0.01"))  # 50.5 %: within 1 point
    assert close.feedback == "" and close.imbalance_discharge == 5


def test_end_soc_is_relative_to_available_but_imbalance_to_rated_capacity() -> None:
    eol = end_of_life(600, 800, 1000, Decimal("0.01"))
    assert eol.end_state_of_charge == 75
    assert eol.imbalance_discharge == 250


def test_daily_aeds_sum_discharged_energy_over_available_capacity_per_local_day() -> None:
    day = quarter_hours(date(2026, 11, 24))
    schedule = [(t, Decimal(4000), Decimal(10000)) for t in day[:20]]  # 20 × 1000 kWh = 2 AEDs
    schedule += [(t, Decimal(-4000), Decimal(10000)) for t in day[20:40]]  # charging counts nothing
    schedule.append((day[40], Decimal(1000), Decimal(5000)))  # 250 / 5000 during an outage
    aeds = daily_available_energy_discharges(schedule, IDEAL)
    assert aeds == {date(2026, 11, 24): Fraction(2) + Fraction(1, 20)}
    assert days_over_cycle_limit(aeds, 2) == [date(2026, 11, 24)]
    assert days_over_cycle_limit(aeds, Decimal("2.05")) == []


def test_aeds_follow_local_days_on_the_autumn_dst_day() -> None:
    first = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # local midnight of 2026-10-25 (CEST)
    schedule = [(first + i * timedelta(minutes=15), Decimal(100), Decimal(1000)) for i in range(100)]
    aeds = daily_available_energy_discharges(schedule, IDEAL)
    assert aeds == {date(2026, 10, 25): Fraction(100 * 25, 1000)}


def test_aeds_count_the_energy_taken_from_storage() -> None:
    # 950 kW for a quarter at η 0.95 empties 250 kWh of a 1000 kWh store: a quarter of an AED.
    period = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    aeds = daily_available_energy_discharges([(period, Decimal(950), Decimal(1000))], REAL)
    assert aeds == {date(2026, 11, 24): Fraction(1, 4)}
