"""The market calendar on a normal day and on both DST days of 2026 (Europe/Berlin)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from reconciler.market import (
    MARKET_TZ,
    AmbiguousLocalTime,
    NonexistentLocalTime,
    PeriodState,
    day_bounds,
    delivery_day,
    gate_closure,
    is_quarter_hour,
    isoformat_z,
    parse_instant,
    period_state,
    periods_between,
    quarter_hours,
    resolve_local,
    revalidation_moment,
    to_utc,
)

SPRING = date(2026, 3, 29)  # CET -> CEST: 23 hours
AUTUMN = date(2026, 10, 25)  # CEST -> CET: 25 hours
NORMAL = date(2026, 11, 24)


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "count", "first", "last"),
    [
        (SPRING, 92, utc(3, 28, 23), utc(3, 29, 21, 45)),
        (AUTUMN, 100, utc(10, 24, 22), utc(10, 25, 22, 45)),
        (NORMAL, 96, utc(11, 23, 23), utc(11, 24, 22, 45)),
    ],
)
def test_quarter_hours_of_a_delivery_day(day: date, count: int, first: datetime, last: datetime) -> None:
    periods = quarter_hours(day)
    assert len(periods) == count
    assert (periods[0], periods[-1]) == (first, last)
    assert all(b - a == timedelta(minutes=15) for a, b in pairwise(periods))
    start, end = day_bounds(day)
    assert (start, end - timedelta(minutes=15)) == (first, last)


def test_local_times_in_the_gap_and_overlap_need_an_offset() -> None:
    with pytest.raises(NonexistentLocalTime):
        resolve_local(datetime(2026, 3, 29, 2, 30))
    with pytest.raises(AmbiguousLocalTime):
        resolve_local(datetime(2026, 10, 25, 2, 30))
    assert resolve_local(datetime(2026, 3, 29, 3, 0)) == utc(3, 29, 1)
    assert resolve_local(datetime(2026, 10, 25, 3, 0)) == utc(10, 25, 2)
    assert resolve_local(datetime(2026, 10, 25, 2, 30, tzinfo=UTC)) == utc(10, 25, 2, 30)


def test_delivery_day_follows_local_midnight() -> None:
    assert delivery_day(utc(11, 23, 22, 45)) == date(2026, 11, 23)
    assert delivery_day(utc(11, 23, 23, 0)) == NORMAL
    assert delivery_day(utc(10, 24, 22, 0)) == AUTUMN  # 00:00 CEST
    assert delivery_day(utc(10, 25, 22, 45)) == AUTUMN  # 23:45 CET


def test_instants_parse_and_print_in_utc() -> None:
    assert parse_instant("2026-11-23T06:55:00+01:00") == utc(11, 23, 5, 55)
    assert parse_instant("2026-11-23T05:55:00Z") == utc(11, 23, 5, 55)
    assert isoformat_z(datetime(2026, 7, 2, 10, 0, tzinfo=MARKET_TZ)) == "2026-07-02T08:00:00Z"
    with pytest.raises(ValueError, match="no timezone"):
        to_utc(datetime(2026, 7, 2, 10, 0))


def test_grid_is_checked_in_utc() -> None:
    assert is_quarter_hour(utc(7, 2, 10, 45))
    assert not is_quarter_hour(utc(7, 2, 10, 50))
    assert not is_quarter_hour(utc(7, 2, 10, 45, 1))
    with pytest.raises(ValueError, match="grid"):
        list(periods_between(utc(7, 2, 10, 5), utc(7, 2, 11)))
    assert list(periods_between(utc(7, 2, 10), utc(7, 2, 10, 30))) == [utc(7, 2, 10), utc(7, 2, 10, 15)]


def test_gate_closure_and_revalidation_moments() -> None:
    period = utc(7, 2, 12, 15)
    assert gate_closure(period, 300) == utc(7, 2, 12, 10)  # API.md §9 example 3
    assert gate_closure(period, 480) == utc(7, 2, 12, 7)
    assert revalidation_moment(period) == utc(7, 2, 12, 8)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (utc(7, 2, 12, 7, 59), PeriodState.EDITABLE),
        (utc(7, 2, 12, 8), PeriodState.SOFT_LOCKED),  # re-validation has run
        (utc(7, 2, 12, 9, 30), PeriodState.SOFT_LOCKED),  # gate closure itself still accepts
        (utc(7, 2, 12, 9, 31), PeriodState.FROZEN),
        (utc(7, 2, 12, 20), PeriodState.FROZEN),
    ],
)
def test_period_state_boundaries(now: datetime, state: PeriodState) -> None:
    assert period_state(utc(7, 2, 12, 15), now, 330) is state


def test_a_gate_closure_longer_than_seven_minutes_freezes_before_revalidation() -> None:
    period = utc(7, 2, 12, 15)
    assert period_state(period, utc(7, 2, 12, 5), 480) is PeriodState.EDITABLE
    assert period_state(period, utc(7, 2, 12, 7, 1), 480) is PeriodState.FROZEN
