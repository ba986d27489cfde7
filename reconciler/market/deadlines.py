"""When bids open, close and get their results (DECISIONS.md D14, all Europe/Berlin).

Every number here is an assumption about the platform named in D14, in this one table: the FCR
results at 08:20 (the docs' text; their example says 09:20), the aFRR capacity deadline (08:30)
and the aFRR energy deadline (30 minutes before the quarter) are not documented times. A sandbox
fixture may override each (its ``deadlines``, the keys of :data:`JSON_KEYS`); the sandbox serves
the times it uses on ``GET /_sandbox/market-times``, and an embedded or emulator target hands them to the
planner, so both sides use the same times.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.market.calendar import MARKET_TZ, day_start, delivery_day, to_utc
from reconciler.market.products import Market, ProductDateCode, product_date_code, products_of_day


@dataclass(frozen=True)
class MarketTimes:
    opening_days_before: int = 7
    fcr_deadline: time = time(7, 30)  # on D-1
    afrr_capacity_deadline: time = time(8, 30)  # on D-1 (assumed)
    afrr_energy_deadline_before: timedelta = timedelta(minutes=30)  # before the quarter-hour (assumed)
    fcr_results: time = time(8, 20)  # on D-1
    afrr_capacity_results: time = time(9, 20)  # on D-1
    afrr_energy_results_before: timedelta = timedelta(minutes=23)


DEFAULT_MARKET_TIMES = MarketTimes()

JSON_KEYS = {
    "opening_days_before": "openingDaysBefore",
    "fcr_deadline": "fcrDeadline",
    "afrr_capacity_deadline": "afrrCapacityDeadline",
    "afrr_energy_deadline_before": "afrrEnergyDeadlineMinutes",
    "fcr_results": "fcrResults",
    "afrr_capacity_results": "afrrCapacityResults",
    "afrr_energy_results_before": "afrrEnergyResultsMinutes",
}
"""The JSON names of :class:`MarketTimes` (a fixture's ``deadlines``): local times as ``HH:MM``,
``…Minutes`` as minutes before the quarter-hour."""


def market_times_to_json(times: MarketTimes) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for item in fields(MarketTimes):
        value = getattr(times, item.name)
        if isinstance(value, time):
            value = value.strftime("%H:%M")
        elif isinstance(value, timedelta):
            value = int(value.total_seconds() // 60)
        data[JSON_KEYS[item.name]] = value
    return data


def market_times_from_json(data: dict[str, Any], defaults: MarketTimes = DEFAULT_MARKET_TIMES) -> MarketTimes:
    """The times of ``data`` (any subset of :data:`JSON_KEYS`), the defaults for the others.
    Raises ``ValueError`` or ``TypeError`` for a value of the wrong kind."""
    values: dict[str, Any] = {}
    for item in fields(MarketTimes):
        key = JSON_KEYS[item.name]
        if key not in data:
            continue
        default = getattr(defaults, item.name)
        raw = data[key]
        if isinstance(default, time):
            values[item.name] = time.fromisoformat(str(raw))
        elif isinstance(default, timedelta):
            values[item.name] = timedelta(minutes=int(raw))
        else:
            values[item.name] = int(raw)
    return MarketTimes(
        **{item.name: values.get(item.name, getattr(defaults, item.name)) for item in fields(MarketTimes)}
    )


DEADLINE_MARGIN = timedelta(minutes=30)  # closer than this to a bid deadline, validate and plan warn


def _on_day_before(day: date, at: time, tz: ZoneInfo) -> datetime:
    return to_utc(datetime.combine(day - timedelta(days=1), at, tzinfo=tz))


def bid_opening(
    code: ProductDateCode, times: MarketTimes = DEFAULT_MARKET_TIMES, tz: ZoneInfo = MARKET_TZ
) -> datetime:
    """Bidding opens at local midnight seven days before the delivery day."""
    return day_start(code.day - timedelta(days=times.opening_days_before), tz)


def bid_deadline(
    code: ProductDateCode, times: MarketTimes = DEFAULT_MARKET_TIMES, tz: ZoneInfo = MARKET_TZ
) -> datetime:
    """Last instant a bid for this product may be created, changed or deleted (inclusive)."""
    if code.market is Market.FCR:
        return _on_day_before(code.day, times.fcr_deadline, tz)
    if code.market is Market.AFRR_CAPACITY:
        return _on_day_before(code.day, times.afrr_capacity_deadline, tz)
    start, _ = code.window(tz)
    return start - times.afrr_energy_deadline_before


def result_publication(
    code: ProductDateCode, times: MarketTimes = DEFAULT_MARKET_TIMES, tz: ZoneInfo = MARKET_TZ
) -> datetime:
    """When the platform publishes the auction result for this product."""
    if code.market is Market.FCR:
        return _on_day_before(code.day, times.fcr_results, tz)
    if code.market is Market.AFRR_CAPACITY:
        return _on_day_before(code.day, times.afrr_capacity_results, tz)
    start, _ = code.window(tz)
    return start - times.afrr_energy_results_before


def result_publications(
    market: Market, day: date, times: MarketTimes = DEFAULT_MARKET_TIMES, tz: ZoneInfo = MARKET_TZ
) -> tuple[datetime, datetime]:
    """When the first and the last result of a market's products on a delivery day are published
    (the same moment but for aFRR energy, published quarter by quarter)."""
    products = products_of_day(market, day, tz)
    first, last = (
        result_publication(product_date_code(day, p), times, tz) for p in (products[0], products[-1])
    )
    return min(first, last), max(first, last)


def last_bidding_day(
    now: datetime, times: MarketTimes = DEFAULT_MARKET_TIMES, tz: ZoneInfo = MARKET_TZ
) -> date:
    """The latest delivery day open for bidding at ``now`` (bidding opens seven days ahead)."""
    return delivery_day(now, tz) + timedelta(days=times.opening_days_before)
