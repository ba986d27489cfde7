"""Bid templates: one entry of ``fcr.bids`` or ``afrr.bids`` for several products and days.

``days`` is a list of delivery days or ``{from, to}`` (both included; at most
:data:`MAX_TEMPLATE_DAYS`); ``day`` names one. ``products`` is, for FCR, ``all`` or a list; for
aFRR, a range of energy products ``POS_033..POS_048`` (both ends included), a list of products
and ranges, or ``{direction, market}`` for every capacity or energy product of one direction;
``product`` names one. Every (day, product) pair is one bid, expanded with the market calendar:
a day has 92, 96 or 100 energy products, and a 4-hour product lasts 3 or 5 hours on DST days.
A product a template names that does not exist on one of its days is an error
(``bid-product-day``), as is a range that is not one (``bid-product-range``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from reconciler.core.yamlsource import FieldPath
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.values import ValueProblem, parse_day
from reconciler.market import (
    Direction,
    Market,
    Product,
    ProductDateCode,
    ProductError,
    parse_product,
    products_of_day,
    quarter_hours,
)

MAX_TEMPLATE_DAYS = 366  # a {from, to} longer than a year is a typo in the year
RANGE = ".."
SELECTOR_MARKETS = {"capacity": Market.AFRR_CAPACITY, "energy": Market.AFRR_ENERGY}

Products = Callable[[date], list[Product]]  # the products a template covers on one day


def template_codes(
    ctx: DocumentContext, market_name: str, raw: dict[str, Any], path: FieldPath
) -> list[ProductDateCode] | None:
    """Every productDateCode a template covers, day by day in its order, or ``None`` after
    reporting why it cannot be expanded."""
    days = expand_days(ctx, raw, path)
    products = _products(ctx, market_name, raw, path)
    if days is None or products is None:
        return None
    codes: list[ProductDateCode] = []
    where = (*path, "products") if "products" in raw else (*path, "product")
    for day in days:
        wanted = products(day)
        markets = {product.market for product in wanted}
        existing = {product for market in markets for product in products_of_day(market, day)}
        missing = [product.name for product in wanted if product not in existing]
        codes.extend(ProductDateCode(day, product) for product in wanted if product in existing)
        if missing:
            count = len(quarter_hours(day))
            named = (
                missing[0] if len(missing) == 1 else f"{missing[0]}..{missing[-1]} ({len(missing)} products)"
            )
            ctx.error(
                "bid-product-day",
                f"{named} {'does' if len(missing) == 1 else 'do'} not exist on {day.isoformat()}: "
                f"that day has {count} quarter-hours",
                where,
                expected=f"products that exist on {day.isoformat()} (energy products up to {count:03d})",
                found=named,
                address=ctx.address(market_name),
            )
    return codes


def expand_days(ctx: DocumentContext, raw: dict[str, Any], path: FieldPath) -> list[date] | None:
    """The days ``raw["day"]`` or ``raw["days"]`` (a list, or ``{from, to}``) name, in order; or
    ``None`` after reporting why not."""
    if "day" in raw:
        day = _day(ctx, raw["day"], (*path, "day"))
        return None if day is None else [day]
    given, days_path = raw["days"], (*path, "days")
    if isinstance(given, list):
        days = [_day(ctx, text, (*days_path, index)) for index, text in enumerate(given)]
        return None if None in days else [day for day in days if day is not None]
    first, last = _day(ctx, given["from"], (*days_path, "from")), _day(ctx, given["to"], (*days_path, "to"))
    if first is None or last is None:
        return None
    if last < first:
        ctx.error(
            "day-range-empty",
            f"the range of days is empty: to ({last}) is before from ({first})",
            (*days_path, "to"),
            expected=f"a day on or after {first}",
            found=str(last),
        )
        return None
    if (last - first).days >= MAX_TEMPLATE_DAYS:
        ctx.error(
            "day-range-too-long",
            f"the range of days from {first} to {last} covers more than {MAX_TEMPLATE_DAYS} days",
            (*days_path, "to"),
            expected=f"at most {MAX_TEMPLATE_DAYS} days",
            found=f"{(last - first).days + 1} days",
        )
        return None
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _day(ctx: DocumentContext, text: str, path: FieldPath) -> date | None:
    try:
        return parse_day(text)
    except ValueProblem as problem:
        ctx.error(problem.code, problem.message, path, expected=problem.expected, found=problem.found)
        return None


def _products(
    ctx: DocumentContext, market_name: str, raw: dict[str, Any], path: FieldPath
) -> Products | None:
    if "product" in raw:
        named = _named(ctx, raw["product"], (*path, "product"))
        return None if named is None else _fixed(named)
    given, products_path = raw["products"], (*path, "products")
    if given == "all" and market_name == "fcr":
        return lambda day: products_of_day(Market.FCR, day)
    if isinstance(given, dict):
        market, direction = SELECTOR_MARKETS[given["market"]], Direction(given["direction"])
        return lambda day: [p for p in products_of_day(market, day) if p.direction is direction]
    texts = given if isinstance(given, list) else [given]
    found: list[Product] = []
    for index, text in enumerate(texts):
        where = (*products_path, index) if isinstance(given, list) else products_path
        named = _named(ctx, text, where)
        if named is None:
            return None
        found.extend(named)
    return _fixed(found)


def _fixed(products: list[Product]) -> Products:
    return lambda day: products


def _named(ctx: DocumentContext, text: str, path: FieldPath) -> list[Product] | None:
    """The products one name or energy range ``POS_033..POS_048`` stands for."""
    first_text, dots, last_text = text.partition(RANGE)
    try:
        first = parse_product(first_text)
        last = parse_product(last_text) if dots else first
    except ProductError as exc:
        ctx.error("bid-product-unknown", str(exc), path, expected="a product of the market", found=text)
        return None
    if not dots:
        return [first]
    if (
        first.index is None
        or last.index is None
        or first.direction is not last.direction
        or last.index < first.index
    ):
        ctx.error(
            "bid-product-range",
            f"{text} is not a range of energy products: it needs one direction and the first product first",
            path,
            expected="a range like POS_033..POS_048 (aFRR energy products, one direction, both ends included)",
            found=text,
        )
        return None
    return [parse_product(f"{first.direction}_{index:03d}") for index in range(first.index, last.index + 1)]
