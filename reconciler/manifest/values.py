"""Reading scalar text the way the manifest format defines it: numbers, times, days, kW.

YAML's implicit types are not trusted: the loader hands these functions the scalar's text, so
``2026-07-02``, ``'2026-07-02'``, ``2026-07-02T10:00:00+02:00`` and ``"2026-07-02T10:00"`` all
arrive as strings, and numbers become exact ``Decimal`` (never float, always base 10).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, getcontext
from functools import lru_cache
from zoneinfo import ZoneInfo

from reconciler.market import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    is_quarter_hour,
    resolve_local,
    to_utc,
)
from reconciler.rules.units import mw_to_kw

MIN_YEAR, MAX_YEAR = 2000, 2099  # far outside any delivery day; keeps date arithmetic from overflowing
_PRECISION = getcontext().prec

TIME_EXPECTED = "a time like 2026-11-24T18:00 (local in spec.timezone) or 2026-11-24T18:00+01:00"
GRID_EXPECTED = "the start of a quarter-hour (minute :00, :15, :30 or :45, no seconds)"

# The grammar of a time and a day: ASCII digits only, as the manifest schema's patterns (so a CSV
# row reads like a YAML value). datetime.fromisoformat reads the wall time of a text that matches;
# it is not the grammar: it also takes date-only, week-date, basic-format and hour-only texts, and
# would silently drop a fraction below a microsecond.
_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:?\d{2})?$",
    re.ASCII,
)
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)


class ValueProblem(ValueError):
    """Text that does not mean a valid value; carries a diagnostic code and expected/found."""

    def __init__(self, code: str, message: str, expected: str, found: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.expected = expected
        self.found = found


def canonical(value: Decimal) -> Decimal:
    """The same number without trailing zeros or exponent: ``1500.0`` -> ``1500``, ``-0`` -> ``0``."""
    if not value:
        return Decimal(0)
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0 and normal.adjusted() < _PRECISION:
        return normal.quantize(Decimal(1))
    return normal  # a fraction, or too large to write out (refused elsewhere as out of range)


def to_kw(value: Decimal, unit: str) -> Decimal:
    """A power or capacity in the section's unit, as exact kW."""
    return canonical(mw_to_kw(value) if unit == "MW" else value)


def show_number(value: Decimal) -> str:
    return f"{canonical(value):f}"


def parse_day(text: str) -> date:
    """A delivery day ``YYYY-MM-DD``; raises :class:`ValueProblem`."""
    match = _DAY.match(text)
    if not match:
        raise ValueProblem("day-invalid", f"{text!r} is not a date", "a date like 2026-11-24", text)
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise ValueProblem("day-invalid", f"{text} is not a valid date: {exc}", "a real date", text) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueProblem("day-invalid", f"{text} is out of range", f"a year {MIN_YEAR}-{MAX_YEAR}", text)
    return day


def parse_time(text: str, tz: ZoneInfo) -> datetime:
    """A time with an offset, or local in ``tz``, as a UTC instant; raises :class:`ValueProblem`.

    A local time in the spring gap or the autumn overlap is refused: only an offset says which
    instant is meant.
    """
    match = _TIME.match(text)
    if not match:
        raise ValueProblem("time-invalid", f"{text!r} is not a time", TIME_EXPECTED, text)
    zone = match.group(8)
    try:
        # _TIME says which texts are times; fromisoformat reads the wall time they write
        wall = datetime.fromisoformat(text[: match.start(8)] if zone else text)
        offset = _offset(zone)
    except ValueError as exc:
        raise ValueProblem(
            "time-invalid", f"{text} is not a valid time: {exc}", TIME_EXPECTED, text
        ) from None
    fraction = match.group(7) or ""
    if not wall.microsecond and fraction.strip("0"):
        wall = wall.replace(microsecond=1)  # below a microsecond (fromisoformat drops it): still off the grid
    year = wall.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueProblem("time-invalid", f"{text} is out of range", f"a year {MIN_YEAR}-{MAX_YEAR}", text)
    if offset is not None:
        return to_utc(wall.replace(tzinfo=offset))
    try:
        return resolve_local(wall, tz)
    except NonexistentLocalTime:
        raise ValueProblem(
            "local-time-nonexistent",
            f"{text} does not exist in {tz.key}: the clocks jump forward over it",
            f"an explicit offset, e.g. {_with_offsets(wall, tz)}",
            text,
        ) from None
    except AmbiguousLocalTime:
        raise ValueProblem(
            "local-time-ambiguous",
            f"{text} happens twice in {tz.key}: the clocks go back over it",
            f"an explicit offset: {_with_offsets(wall, tz)}",
            text,
        ) from None


def parse_grid_time(text: str, tz: ZoneInfo) -> datetime:
    """:func:`parse_time`, and the instant must start a quarter-hour (the platform checks in UTC)."""
    moment = parse_time(text, tz)
    if not is_quarter_hour(moment):
        raise ValueProblem("time-off-grid", f"{text} is not the start of a quarter-hour", GRID_EXPECTED, text)
    return moment


_HOURS = {f"{hour:02d}": timedelta(hours=hour) for hour in range(24)}
_QUARTERS = {f"{minute:02d}": timedelta(minutes=minute) for minute in (0, 15, 30, 45)}
_LAST_QUARTER = timedelta(hours=23, minutes=45)
_CLOCK = {f"{h}:{m}": hours + minutes for h, hours in _HOURS.items() for m, minutes in _QUARTERS.items()}


class GridTimeReader:
    """:func:`parse_grid_time` for many times of one zone, e.g. the rows of a CSV schedule.

    A time written ``YYYY-MM-DDTHH:MM`` on a quarter-hour is its day's start plus the hours and
    minutes when the whole local day has one UTC offset, and ``YYYY-MM-DDTHH:MMZ`` its UTC day's;
    each day is resolved once (with :func:`parse_grid_time`) and remembered, local days for the
    whole run (every manifest names the same days). Every other text, and every day with a
    problem or an offset change (DST), takes :func:`parse_grid_time` itself, so results and
    errors are the same.
    """

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.days: dict[str, datetime | None] = {}

    def __call__(self, text: str) -> datetime:
        if len(text) == 16 and (clock := _CLOCK.get(text[11:])) is not None:
            day = text[:11]
            start = self.days[day] if day in self.days else self._day(day)
            if start is not None:
                return start + clock
        elif len(text) == 17 and text[16] in "Zz" and (clock := _CLOCK.get(text[11:16])) is not None:
            day = text[:11] + "Z"  # a UTC day: no offset changes
            start = self.days[day] if day in self.days else self._utc_day(day)
            if start is not None:
                return start + clock
        return parse_grid_time(text, self.tz)

    def _utc_day(self, day: str) -> datetime | None:
        """UTC midnight of ``day`` (``2026-11-24TZ``), else ``None``."""
        try:
            start: datetime | None = parse_grid_time(f"{day[:11]}00:00Z", self.tz)
        except ValueProblem:
            start = None
        self.days[day] = start
        return start

    def _day(self, day: str) -> datetime | None:
        start = self.days[day] = _grid_day(self.tz, day)
        return start


@lru_cache(maxsize=2**12)  # every manifest of a run names the same days: each is resolved once
def _grid_day(tz: ZoneInfo, day: str) -> datetime | None:
    """UTC start of a local day (``day`` ends with the separator) that has the offset of its
    midnight at every hour and at 23:45, with no overlap, else ``None``."""
    try:
        start = parse_grid_time(f"{day}00:00", tz)
    except ValueProblem:
        return None
    midnight = start.astimezone(tz).replace(tzinfo=None)
    offset = tz.utcoffset(midnight)
    walls = [midnight + hours for hours in _HOURS.values()] + [midnight + _LAST_QUARTER]
    if any(tz.utcoffset(w) != offset or tz.utcoffset(w.replace(fold=1)) != offset for w in walls):
        return None  # a change shows at the next hour: no zone changes and changes back within one
    return start


def _offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if minutes >= 60:
        raise ValueError(f"offset {text} has {minutes} minutes")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))  # raises beyond ±24 h


def _with_offsets(wall: datetime, tz: ZoneInfo) -> str:
    """The wall time written with each of the two offsets that meet at a DST change."""
    options = []
    for fold in (0, 1):
        aware = wall.replace(tzinfo=tz, fold=fold)
        options.append(f"{wall.strftime('%Y-%m-%dT%H:%M')}{_format_offset(aware)} ({aware.tzname()})")
    return " or ".join(options)


def _format_offset(aware: datetime) -> str:
    offset = aware.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_text(moment: datetime, tz: ZoneInfo) -> str:
    """``2026-11-24T18:00+01:00``: an instant as the manifest's author reads it."""
    local = to_utc(moment).astimezone(tz)
    return f"{local.strftime('%Y-%m-%dT%H:%M')}{_format_offset(local)}"
