"""``reconciler import``: the live state of one virtual asset as a manifest that matches it.

Pure: :func:`render_manifest` turns a :class:`~reconciler.platform.live.LiveAsset` into manifest text.
The schedule is the block's *active* values (after any platform correction, D2), non-zero runs
compressed into ``{from, to}`` ranges (``{at}`` for a single quarter-hour) in local time, with
``mode: exact`` over every local day of the asset's lifetime (``days:``), so the periods left out
mean 0 kW. ``spec.virtualAsset`` is the asset's UUID, or the selector it was found by
(``import --portfolio P --day tomorrow``). Bids are what was offered (the bids GET, not
the results), one per product of the asset's delivery days. A section is written in MW when every
value in it is a whole number of MW, else in kW.

The helpers that write times, powers and schedule entries are shared with ``drift --adopt``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler.core.errors import ReconcilerError
from reconciler.manifest.selectors import AssetSelector
from reconciler.manifest.values import local_text, show_number
from reconciler.market import (
    MARKET_TZ,
    PERIOD,
    LocalTimeError,
    Market,
    ProductDateCode,
    resolve_local,
    to_utc,
)
from reconciler.platform.live import LiveAsset
from reconciler.platform.models import Bid
from reconciler.rules.units import KW_PER_MW

SCHEMA_FILE = "manifest.schema.json"
SCHEMA_DIR = "schemas"


@dataclass(frozen=True)
class ScheduleRange:
    """Every quarter-hour in ``[start, end)`` at ``kw``."""

    start: datetime
    end: datetime
    kw: Decimal


def manifest_time(moment: datetime, tz: ZoneInfo) -> str:
    """``2026-11-24T18:00``: local wall time in ``tz``; with its offset only where the wall time
    alone would not name one instant (the autumn overlap), as the manifest format requires."""
    local = to_utc(moment).astimezone(tz)
    wall = local.replace(tzinfo=None)
    try:
        resolve_local(wall, tz)
    except LocalTimeError:
        return local_text(moment, tz)
    return wall.strftime("%Y-%m-%dT%H:%M")


def section_unit(values_kw: Iterable[Decimal]) -> str:
    """``MW`` when there are values and every one is a whole number of MW, else ``kW``."""
    values = list(values_kw)
    return "MW" if values and all(v % KW_PER_MW == 0 for v in values) else "kW"


def power_text(kw: Decimal, unit: str) -> str:
    """A power in the section's unit, exact: ``-1166`` kW is ``-1.166`` in MW."""
    return show_number(kw / KW_PER_MW if unit == "MW" else kw)


def entry_fields(entry: ScheduleRange, unit: str, tz: ZoneInfo) -> list[tuple[str, str]]:
    """The keys and values of one schedule entry: ``at`` for one quarter-hour, else ``from``/``to``."""
    power = ("power", power_text(entry.kw, unit))
    if entry.end - entry.start == PERIOD:
        return [("at", f'"{manifest_time(entry.start, tz)}"'), power]
    return [
        ("from", f'"{manifest_time(entry.start, tz)}"'),
        ("to", f'"{manifest_time(entry.end, tz)}"'),
        power,
    ]


def flow_entry(entry: ScheduleRange, unit: str, tz: ZoneInfo) -> str:
    """``{from: "2026-11-24T02:00", to: "2026-11-24T04:00", power: -2}``."""
    return "{" + ", ".join(f"{key}: {value}" for key, value in entry_fields(entry, unit, tz)) + "}"


def compress(schedule: Mapping[datetime, Decimal], *, keep_zero: bool = False) -> list[ScheduleRange]:
    """Consecutive quarter-hours of equal power merged into ranges (zeros left out unless kept)."""
    ranges: list[ScheduleRange] = []
    for period in sorted(schedule):
        kw = schedule[period]
        if kw == 0 and not keep_zero:
            continue
        last = ranges[-1] if ranges else None
        if last is not None and last.end == period and last.kw == kw:
            ranges[-1] = ScheduleRange(last.start, period + PERIOD, kw)
        else:
            ranges.append(ScheduleRange(period, period + PERIOD, kw))
    return ranges


def schema_reference(directory: Path) -> str | None:
    """The ``$schema`` path for a manifest written in ``directory``: the nearest
    ``schemas/manifest.schema.json`` at or above it (the repository's, or one a project vendors),
    relative to the directory; ``None`` when there is none to point at."""
    folder = directory.resolve()
    for candidate_dir in (folder, *folder.parents):
        candidate = candidate_dir / SCHEMA_DIR / SCHEMA_FILE
        if candidate.is_file():
            return Path(os.path.relpath(candidate, folder)).as_posix()
    return None


def render_manifest(
    asset: LiveAsset,
    *,
    name: str,
    organisation: str,
    origin: str,
    schema: str | None,
    tz: ZoneInfo = MARKET_TZ,
    selector: AssetSelector | None = None,
) -> str:
    """Manifest text whose desired state is exactly ``asset``'s live schedule and bids; with a
    ``selector``, addressing the asset by it instead of its UUID."""
    lines: list[str] = []
    if schema is not None:
        lines += [f"# yaml-language-server: $schema={schema}", "#"]
    lines += [
        f"# Imported by `reconciler import` from {origin}.",
        "# The schedule holds the active values (after any platform correction); periods not listed",
        f"# are 0 kW (mode: exact on every day of its life). Bids are what was offered. Local times are in {tz.key}.",
        "apiVersion: reconciler/v1",
        "kind: VirtualAsset",
        "metadata:",
        f"  name: {name}",
        "spec:",
        f"  virtualAsset: {asset.va.id if selector is None else selector_text(selector)}",
        f"  organisation: {organisation}",
        f"  timezone: {tz.key}",
        "",
        *_wholesale_lines(asset.wholesale.schedule, tz, local_days_of(asset, tz)),
    ]
    offered = {code: _single_bid(code, product.bids) for code, product in asset.bids.items() if product.bids}
    for section, markets in (("fcr", (Market.FCR,)), ("afrr", (Market.AFRR_CAPACITY, Market.AFRR_ENERGY))):
        bids = {code: bid for code, bid in offered.items() if code.market in markets}
        if bids:
            lines += ["", *_bid_lines(section, bids)]
    return "\n".join(lines) + "\n"


def selector_text(selector: AssetSelector) -> str:
    """``{portfolio: "…", day: tomorrow}`` (the portfolio quoted: it is the platform's text)."""
    return "{portfolio: " + json.dumps(selector.portfolio) + f", day: {selector.day.text}" + "}"


def local_days_of(asset: LiveAsset, tz: ZoneInfo) -> list[date]:
    """Every local day (in ``tz``) the asset's lifetime touches."""
    first = to_utc(asset.va.start).astimezone(tz).date()
    last = (to_utc(asset.va.end) - PERIOD).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def days_text(days: list[date]) -> str:
    """``[2026-11-24]`` for up to three days, else ``{from: …, to: …}``."""
    if len(days) <= 3:
        return "[" + ", ".join(day.isoformat() for day in days) + "]"
    return f"{{from: {days[0].isoformat()}, to: {days[-1].isoformat()}}}"


def _wholesale_lines(schedule: Mapping[datetime, Decimal], tz: ZoneInfo, days: list[date]) -> list[str]:
    ranges = compress(schedule)
    unit = section_unit(r.kw for r in ranges)
    head = ["  wholesale:", f"    unit: {unit}", "    mode: exact", f"    days: {days_text(days)}"]
    if not ranges:
        return [*head, "    schedule: []"]
    return [*head, "    schedule:", *(f"      - {flow_entry(r, unit, tz)}" for r in ranges)]


def _single_bid(code: ProductDateCode, bids: tuple[Bid, ...]) -> Bid:
    if len(bids) != 1:
        raise ReconcilerError(
            f"cannot import {code}: it has {len(bids)} live bids, and a manifest holds one bid per product"
        )
    return bids[0]


def _bid_lines(section: str, bids: Mapping[ProductDateCode, Bid]) -> list[str]:
    unit = section_unit(bid.offered_capacity for bid in bids.values())
    lines = [f"  {section}:", f"    unit: {unit}", "    bids:"]
    for code in sorted(bids, key=lambda c: (c.day, c.window()[0], c.product.name)):
        bid = bids[code]
        fields = [
            f"day: {code.day.isoformat()}",
            f"product: {code.product.name}",
            f"capacity: {power_text(bid.offered_capacity, unit)}",
        ]
        if bid.capacity_price is not None:
            fields.append(f"capacityPrice: {show_number(bid.capacity_price)}")
        if bid.energy_price is not None:
            fields.append(f"energyPrice: {show_number(bid.energy_price)}")
        lines.append("      - {" + ", ".join(fields) + "}")
    return lines
