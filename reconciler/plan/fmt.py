"""Formatting shared by the text and markdown renderers: units, local times, runs of periods."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from reconciler.market import MARKET_TZ, PERIOD, PERIOD_HOURS

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
        start, end = self.start.astimezone(tz), self.end.astimezone(tz)
        same_day = start.date() == (end - PERIOD).date() and start.tzname() == end.tzname()
        if same_day:
            return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {end:%Z}"
        return f"{local(self.start, tz)} – {local(self.end, tz)}"


def runs(before: Mapping[datetime, Decimal], after: Mapping[datetime, Decimal]) -> list[Run]:
    """Merge a schedule change (kW per period start, before and after) into runs of equal change."""
    zero = Decimal(0)
    merged: list[Run] = []
    for time, new in sorted(after.items()):
        old = before.get(time, zero)
        last = merged[-1] if merged else None
        if last and last.end == time and last.before == old and last.after == new:
            merged[-1] = Run(last.start, time + PERIOD, old, new)
        else:
            merged.append(Run(time, time + PERIOD, old, new))
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
