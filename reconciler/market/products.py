"""Ancillary products and productDateCodes (API.md §5.1, DECISIONS.md D13).

FCR ``NEGPOS_hh_hh`` and aFRR capacity ``POS_hh_hh``/``NEG_hh_hh`` are 4-hour local windows (3 or
5 real hours on DST days); aFRR energy ``POS_001``… is one local quarter-hour, 1-based, up to 092
or 100 on DST days. A product's window is converted to UTC per delivery day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from reconciler.market.calendar import MARKET_TZ, PERIOD, day_start, periods_between, quarter_hours, to_utc


class Market(StrEnum):
    """Market enum strings of the unified ancillary API."""

    FCR = "FCR"
    AFRR_CAPACITY = "AFRRCapacity"
    AFRR_ENERGY = "AFRREnergy"


class Direction(StrEnum):
    POS = "POS"
    NEG = "NEG"
    NEGPOS = "NEGPOS"


class ProductError(ValueError):
    """A product name or productDateCode that the platform would not know."""


BLOCK_START_HOURS = (0, 4, 8, 12, 16, 20)
MAX_ENERGY_INDEX = 100

_BLOCK = re.compile(r"^(NEGPOS|POS|NEG)_(\d{2})_(\d{2})$")
_ENERGY = re.compile(r"^(POS|NEG)_(\d{3})$")


@dataclass(frozen=True, order=True)
class Product:
    """A product name, e.g. ``NEGPOS_08_12``, ``POS_16_20`` or ``NEG_073``."""

    name: str
    market: Market
    direction: Direction
    start_hour: int | None = None  # 4-hour products
    index: int | None = None  # aFRR energy products, 1-based local quarter-hour

    @property
    def is_afrr(self) -> bool:
        return self.market is not Market.FCR


@cache  # a few hundred names exist, and a bid template parses each once per day it covers
def parse_product(name: str) -> Product:
    """Parse a product name; raises :class:`ProductError` naming what would have been valid."""
    block = _BLOCK.match(name)
    if block:
        direction, first, last = block.group(1), int(block.group(2)), int(block.group(3))
        if first not in BLOCK_START_HOURS or last != first + 4:
            raise ProductError(
                f"{name!r} is not a 4-hour product: expected one of "
                + ", ".join(f"{direction}_{h:02d}_{h + 4:02d}" for h in BLOCK_START_HOURS)
            )
        market = Market.FCR if direction == "NEGPOS" else Market.AFRR_CAPACITY
        return Product(name, market, Direction(direction), start_hour=first)
    energy = _ENERGY.match(name)
    if energy:
        index = int(energy.group(2))
        if not 1 <= index <= MAX_ENERGY_INDEX:
            raise ProductError(f"{name!r}: aFRR energy products run from 001 to 096 (092/100 on DST days)")
        return Product(name, Market.AFRR_ENERGY, Direction(energy.group(1)), index=index)
    raise ProductError(
        f"unknown product {name!r}: expected NEGPOS_hh_hh (FCR), POS_hh_hh/NEG_hh_hh (aFRR capacity) "
        "or POS_nnn/NEG_nnn (aFRR energy)"
    )


def product_window(product: Product, day: date, tz: ZoneInfo = MARKET_TZ) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` of a product on a local delivery day.

    Raises :class:`ProductError` for an energy product that does not exist that day (``POS_093``
    on the spring DST day).
    """
    if product.start_hour is not None:
        start = to_utc(datetime.combine(day, time(product.start_hour), tzinfo=tz))
        end_hour = product.start_hour + 4
        end = (
            day_start(day + timedelta(days=1), tz)
            if end_hour == 24
            else to_utc(datetime.combine(day, time(end_hour), tzinfo=tz))
        )
        return start, end
    assert product.index is not None
    quarters = quarter_hours(day, tz)
    if product.index > len(quarters):
        raise ProductError(
            f"{product.name} does not exist on {day.isoformat()}: that day has {len(quarters)} quarter-hours "
            f"(last product {product.direction}_{len(quarters):03d})"
        )
    start = quarters[product.index - 1]
    return start, start + PERIOD


def product_periods(product: Product, day: date, tz: ZoneInfo = MARKET_TZ) -> list[datetime]:
    """UTC starts of the quarter-hours a product covers on a day."""
    start, end = product_window(product, day, tz)
    return list(periods_between(start, end))


def products_of_day(market: Market, day: date, tz: ZoneInfo = MARKET_TZ) -> list[Product]:
    """Every product of a market on a delivery day, in time order (POS before NEG)."""
    if market is Market.FCR:
        return [parse_product(f"NEGPOS_{h:02d}_{h + 4:02d}") for h in BLOCK_START_HOURS]
    if market is Market.AFRR_CAPACITY:
        return [parse_product(f"{d}_{h:02d}_{h + 4:02d}") for d in ("POS", "NEG") for h in BLOCK_START_HOURS]
    count = len(quarter_hours(day, tz))
    return [parse_product(f"{d}_{i:03d}") for d in ("POS", "NEG") for i in range(1, count + 1)]


@dataclass(frozen=True, order=True)
class ProductDateCode:
    """``YYYY-MM-DD_{product}``, the key of one product on one delivery day."""

    day: date
    product: Product

    def __str__(self) -> str:
        return f"{self.day.isoformat()}_{self.product.name}"

    @property
    def market(self) -> Market:
        return self.product.market

    def window(self, tz: ZoneInfo = MARKET_TZ) -> tuple[datetime, datetime]:
        return product_window(self.product, self.day, tz)

    def periods(self, tz: ZoneInfo = MARKET_TZ) -> list[datetime]:
        return product_periods(self.product, self.day, tz)


def product_date_code(day: date, product: str | Product) -> ProductDateCode:
    """Build a code, checking that the product exists on that day."""
    parsed = parse_product(product) if isinstance(product, str) else product
    product_window(parsed, day)  # raises for an energy index beyond the day's quarter-hours
    return ProductDateCode(day, parsed)


def parse_product_date_code(text: str) -> ProductDateCode:
    """Parse ``2026-07-02_NEGPOS_08_12``; raises :class:`ProductError`."""
    day_text, sep, product = text.partition("_")
    if not sep:
        raise ProductError(f"{text!r} is not a productDateCode (expected YYYY-MM-DD_PRODUCT)")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise ProductError(f"{text!r}: {day_text!r} is not a date (expected YYYY-MM-DD)") from None
    return product_date_code(day, product)
