"""Quarter-hours, delivery days and the moments that lock a period.

All instants handled by the project are timezone-aware; periods are identified by their UTC
start. Delivery days, products and deadlines are local to the market (Europe/Berlin).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from zoneinfo import ZoneInfo

MARKET_TZ = ZoneInfo("Europe/Berlin")
PERIOD = timedelta(minutes=15)
PERIOD_HOURS = Fraction(1, 4)  # Δt of one period in hours, exact
REVALIDATION_LEAD = timedelta(minutes=7)  # re-validation runs 7 minutes before a period starts


class LocalTimeError(ValueError):
    """A wall-clock time that does not name exactly one instant in its timezone."""


class NonexistentLocalTime(LocalTimeError):
    pass


class AmbiguousLocalTime(LocalTimeError):
    pass


def to_utc(moment: datetime) -> datetime:
    """The same instant in UTC; refuses naive datetimes (they would silently mean local time)."""
    if moment.tzinfo is UTC:  # the common case, on hot paths
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no timezone")
    return moment.astimezone(UTC)


def isoformat_z(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, as the platform writes times."""
    return _utc_text(to_utc(moment))


@lru_cache(maxsize=2**16)  # plans and bodies write the same periods again and again; a year is 35 040
def _utc_text(utc: datetime) -> str:
    # Only UTC instants are remembered: equal local datetimes of one zone can differ in fold.
    return utc.isoformat(timespec="seconds")[:-6] + "Z"  # without its "+00:00"


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 instant (``Z`` or an offset required) to UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return to_utc(moment)


def resolve_local(wall: datetime, tz: ZoneInfo = MARKET_TZ) -> datetime:
    """Turn a naive wall-clock time in ``tz`` into a UTC instant.

    Raises :class:`NonexistentLocalTime` for a time in the spring gap and
    :class:`AmbiguousLocalTime` for one in the autumn overlap: only an explicit offset says which.
    """
    if wall.tzinfo is not None:
        return to_utc(wall)
    early = wall.replace(tzinfo=tz, fold=0)
    late = wall.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return to_utc(early)
    # Offsets differ: either the wall time is skipped (gap) or repeated (overlap).
    round_trip = to_utc(early).astimezone(tz).replace(tzinfo=None)
    if round_trip != wall:
        raise NonexistentLocalTime(f"{wall.isoformat()} does not exist in {tz.key} (clocks jump forward)")
    raise AmbiguousLocalTime(f"{wall.isoformat()} happens twice in {tz.key} (clocks go back)")


def day_start(day: date, tz: ZoneInfo = MARKET_TZ) -> datetime:
    """UTC instant of local midnight opening ``day`` (midnight always exists in Europe/Berlin)."""
    return to_utc(datetime.combine(day, time(0), tzinfo=tz))


def day_bounds(day: date, tz: ZoneInfo = MARKET_TZ) -> tuple[datetime, datetime]:
    """``[start, end)`` of the local delivery day as UTC instants (23, 24 or 25 hours)."""
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


def quarter_hours(day: date, tz: ZoneInfo = MARKET_TZ) -> list[datetime]:
    """UTC starts of every quarter-hour of the local delivery day: 92, 96 or 100 of them."""
    start, end = day_bounds(day, tz)
    return list(periods_between(start, end))


def periods_between(start: datetime, end: datetime) -> Iterator[datetime]:
    """UTC period starts in ``[start, end)``; ``start`` must be on the grid."""
    current = to_utc(start)
    stop = to_utc(end)
    if not is_quarter_hour(current):
        raise ValueError(f"{isoformat_z(current)} is not on the quarter-hour grid")
    while current < stop:
        yield current
        current += PERIOD


@lru_cache(maxsize=16)  # a few lifetimes at once: a year's tuple holds 35 040 instants
def period_starts(start: datetime, end: datetime) -> tuple[datetime, ...]:
    """:func:`periods_between` as a tuple, shared by calls with the same ``(start, end)``: the
    assets of a fleet with one lifetime share its periods (and the instants themselves)."""
    return tuple(periods_between(start, end))


def delivery_day(moment: datetime, tz: ZoneInfo = MARKET_TZ) -> date:
    """The local delivery day an instant (a period start) belongs to."""
    return to_utc(moment).astimezone(tz).date()


def is_quarter_hour(moment: datetime) -> bool:
    """True when the instant starts a 15-minute period (checked in UTC, as the platform does)."""
    utc = to_utc(moment)
    return utc.minute % 15 == 0 and utc.second == 0 and utc.microsecond == 0


def gate_closure(period_start: datetime, gate_closure_seconds: int | float) -> datetime:
    """Last moment a period may still be written: ``start − dispatchGateClosureSeconds``."""
    return to_utc(period_start) - timedelta(seconds=gate_closure_seconds)


def revalidation_moment(period_start: datetime) -> datetime:
    """When the platform re-validates a period: 7 minutes before it starts."""
    return to_utc(period_start) - REVALIDATION_LEAD


def editable_until(period_start: datetime, gate_closure_seconds: int | float) -> datetime:
    """When a period stops being a safe write: its gate closure, or its re-validation if that
    comes first (from then on the SoC rules are hard and a schedule PUT is all-or-nothing)."""
    return min(gate_closure(period_start, gate_closure_seconds), revalidation_moment(period_start))


class PeriodState(StrEnum):
    EDITABLE = "editable"
    SOFT_LOCKED = "soft-locked"  # re-validated: SoC rules are now hard, corrections are final
    FROZEN = "frozen"  # past its gate closure: no write is accepted


def period_state(period_start: datetime, now: datetime, gate_closure_seconds: int | float) -> PeriodState:
    """Whether a period can still be written at ``now``.

    A write is accepted up to and including the gate-closure instant (API.md §9 example 3); the
    re-validation has run once ``now`` reaches start − 7 min.
    """
    if to_utc(now) > gate_closure(period_start, gate_closure_seconds):
        return PeriodState.FROZEN
    if to_utc(now) >= revalidation_moment(period_start):
        return PeriodState.SOFT_LOCKED
    return PeriodState.EDITABLE
