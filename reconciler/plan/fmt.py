"""Formatting shared by the text and markdown renderers: units, local times, runs of periods."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from reconciler.market import MARKET_TZ, PERIOD, PERIOD_HOURS, to_utc

MINUS = "−"


def _number(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value != value.to_integral() else f"{int(value):,}".replace(",", " ")
    return text.replace("-", MINUS)


def fmt_power(kw: float | int | Decimal) -> str:
    """``−4 MW`` for whole or large values in MW, ``250 kW`` below 1 MW; exact, never rounded."""
    value = Decimal(str(kw))
    if value != 0 and abs(value) >= 1000:
        return f"{_number(value / 1000)} MW"
    return f"{_number(value)} kW"


def fmt_kw(kw: float | int | Decimal) -> str:
    """``−1 250 kW``: exact kW, thousands grouped, as traders read nominations."""
    return f"{Decimal(str(kw)).normalize():,f}".replace(",", " ").replace("-", MINUS) + " kW"


def fmt_energy(kwh: float | int | Decimal) -> str:
    value = Decimal(str(kwh))
    if value != 0 and abs(value) >= 1000:
        return f"{_number(value / 1000)} MWh"
    return f"{_number(value)} kWh"


def direction(kw: float | int | Decimal) -> str:
    return "discharge" if kw > 0 else "charge" if kw < 0 else "idle"


def local(moment: datetime, tz: ZoneInfo = MARKET_TZ, with_date: bool = True) -> str:
    """``2026-11-23 07:30 CET`` (seconds only when there are some: ``06:54:30``)."""
    t = moment.astimezone(tz)
    clock = "%H:%M:%S" if t.second else "%H:%M"
    return t.strftime(f"%Y-%m-%d {clock} %Z" if with_date else f"{clock} %Z")


@dataclass(frozen=True)
class Run:
    """Consecutive periods that change from the same value to the same value."""

    start: datetime
    end: datetime
    before: Decimal
    after: Decimal

    @property
    def periods(self) -> int:
        return int((self.end - self.start) / PERIOD)

    @property
    def energy_delta_kwh(self) -> Decimal:
        hours = Decimal(PERIOD_HOURS.numerator) / Decimal(PERIOD_HOURS.denominator) * self.periods
        return (self.after - self.before) * hours

    def label(self, tz: ZoneInfo = MARKET_TZ) -> str:
        start, start_day, start_zone, _ = _wall(to_utc(self.start), tz)
        end, _, end_zone, end_day = _wall(to_utc(self.end), tz)
        if start_day == end_day and start_zone == end_zone:
            return f"{start}–{end[11:]} {end_zone}"
        return f"{local(self.start, tz)} – {local(self.end, tz)}"


@lru_cache(maxsize=2**16)  # a plan of a year labels 35 040 runs; each run's end is the next one's start
def _wall(utc: datetime, tz: ZoneInfo) -> tuple[str, date, str, date]:
    """A period boundary on the wall clock of ``tz``: ``2026-11-24 07:15``, its day, its zone's
    abbreviation, and the day of the period that ends there. Keyed by the UTC instant: local
    datetimes of one zone compare equal across a DST fold."""
    wall = utc.astimezone(tz)
    text = wall.isoformat(" ", "minutes")[:16]  # strftime("%Y-%m-%d %H:%M") at half the cost
    return text, wall.date(), wall.tzname() or "", (wall - PERIOD).date()


def runs(before: Mapping[datetime, Decimal], after: Mapping[datetime, Decimal]) -> list[Run]:
    """Merge a schedule change (kW per period start, before and after) into runs of equal change."""
    zero = Decimal(0)
    merged: list[Run] = []
    start = end = None
    run_before = run_after = zero
    for time, new in sorted(after.items()):
        old = before.get(time, zero)
        if time == end and old == run_before and new == run_after:
            end = time + PERIOD
            continue
        if start is not None and end is not None:
            merged.append(Run(start, end, run_before, run_after))
        start, end, run_before, run_after = time, time + PERIOD, old, new
    if start is not None and end is not None:
        merged.append(Run(start, end, run_before, run_after))
    return merged


def time_runs(times: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Merge period starts into ``[start, end)`` runs."""
    merged: list[tuple[datetime, datetime]] = []
    for time in sorted(times):
        if merged and merged[-1][1] == time:
            merged[-1] = (merged[-1][0], time + PERIOD)
        else:
            merged.append((time, time + PERIOD))
    return merged
