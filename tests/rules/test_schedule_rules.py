"""D8 strict rules of a schedule update, with the platform's exact messages (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from reconciler.rules.bids import RuleViolation
from reconciler.rules.capacity import PowerLimits
from reconciler.rules.schedule import (
    check_schedule_update,
    check_soft_locked_power,
)
from reconciler.rules.soe import Efficiencies, SocBounds

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
END = START + timedelta(days=1)
PERIOD_1215 = datetime(2026, 11, 23, 12, 15, tzinfo=UTC)
FULL = PowerLimits(charge=Decimal(400), discharge=Decimal(500))


def _check(
    points: list[tuple[datetime, Decimal]], now: datetime, *, market: str = "WHOLESALE", gate: int = 300
) -> RuleViolation | None:
    available = {time: FULL for time, _ in points}
    return check_schedule_update(
        points,
        block_id="block-1",
        block_market=market,
        block_start=START,
        block_end=END,
        now=now,
        gate_closure_seconds=gate,
        available=available,
    )


EARLY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_power_range_is_minus_charge_to_plus_discharge() -> None:
    # API.md §9 example 2: charge 400, discharge 500 ⇒ [-400, 500] kW.
    assert _check([(PERIOD_1215, Decimal(-400))], EARLY) is None
    assert _check([(PERIOD_1215, Decimal(500))], EARLY) is None
    too_much = _check([(PERIOD_1215, Decimal(501))], EARLY)
    assert too_much is not None
    assert too_much.message == (
        "power 501 kW at 2026-11-23T12:15:00Z exceeds the available discharge capacity of 500 kW"
    )
    charge = _check([(PERIOD_1215, Decimal("-400.5"))], EARLY)
    assert charge is not None and "available charge capacity of 400 kW" in charge.message


def test_gate_closure_is_inclusive_at_start_minus_gate_seconds() -> None:
    # API.md §9 example 3: 5-minute gate closure ⇒ 12:15 may be written until 12:10:00, no later.
    assert _check([(PERIOD_1215, Decimal(1))], datetime(2026, 11, 23, 12, 10, tzinfo=UTC)) is None
    late = _check([(PERIOD_1215, Decimal(1))], datetime(2026, 11, 23, 12, 10, 1, tzinfo=UTC))
    assert late is not None and late.message == "cannot update instruction after gate closure"
    # With 480 s the same period closes at 12:07.
    assert _check([(PERIOD_1215, Decimal(1))], datetime(2026, 11, 23, 12, 7, tzinfo=UTC), gate=480) is None
    assert (
        _check([(PERIOD_1215, Decimal(1))], datetime(2026, 11, 23, 12, 7, 1, tzinfo=UTC), gate=480)
        is not None
    )


def test_off_grid_time_has_the_named_message() -> None:
    violation = _check([(datetime(2026, 11, 23, 12, 20, tzinfo=UTC), Decimal(1))], EARLY)
    assert (
        violation is not None and violation.message == "instruction start time must be a quarter of an hour"
    )


def test_non_wholesale_block_has_the_named_message() -> None:
    violation = _check([(PERIOD_1215, Decimal(1))], EARLY, market="FCR")
    assert violation is not None
    assert violation.message == "cannot update schedule of non wholesale block: block-1"


def test_outside_the_block_names_both_timespans() -> None:
    violation = _check([(END - timedelta(minutes=15), Decimal(1)), (END, Decimal(1))], EARLY)
    assert violation is not None
    assert violation.message == (
        "cannot update block outside of its timespan: update timespan "
        "2026-11-23T23:45:00Z/2026-11-24T00:15:00Z is not fully contained within block timespan "
        "2026-11-23T00:00:00Z/2026-11-24T00:00:00Z"
    )


def test_the_same_time_twice_is_refused() -> None:
    violation = _check([(PERIOD_1215, Decimal(1)), (PERIOD_1215, Decimal(2))], EARLY)
    assert violation is not None and violation.code == "schedule-duplicate-time"


def test_grid_is_checked_before_gate_and_gate_before_power() -> None:
    late = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    off_grid_and_late = _check([(datetime(2026, 11, 23, 12, 1, tzinfo=UTC), Decimal(9999))], late)
    assert off_grid_and_late is not None and off_grid_and_late.code == "schedule-grid"
    late_and_too_big = _check([(PERIOD_1215, Decimal(9999))], late)
    assert late_and_too_big is not None and late_and_too_big.code == "schedule-gate-closed"


def test_soft_locked_power_that_would_be_corrected_is_refused() -> None:
    eff, bounds = Efficiencies.of(1, 1), SocBounds.of(0, 100)
    # E0 19 000 of 20 000 kWh: 4000 kW charge just fits, 4040 kW would be corrected.
    assert check_soft_locked_power(PERIOD_1215, Decimal(-4000), 19000, 20000, eff, bounds) is None
    refused = check_soft_locked_power(PERIOD_1215, Decimal(-4040), 19000, 20000, eff, bounds)
    assert refused is not None and refused.code == "schedule-soc-bounds"
    assert "100.05 %" in refused.message and "[0 %, 100 %]" in refused.message
