"""Expansion and static checks of ``spec.fcr`` and ``spec.afrr`` bids.

Each bid becomes (productDateCode, offered kW, prices). The platform's rules come from
:mod:`reconciler.rules.bids` (DECISIONS.md D13): capacity truncated to whole kW, then a positive
multiple of 1000 kW; prices within ±15 000 EUR; which prices each market carries. A product may
appear once per delivery day in a section (``bid-duplicate-product`` names both). With ``now``,
a bid whose deadline (D14) has passed or closes within 30 minutes is a warning: offline,
validate cannot know whether the bid is a change; the planner decides.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.core.diagnostics import Severity
from reconciler.core.yamlsource import FieldPath
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.model import BidSection, DesiredBid
from reconciler.manifest.values import ValueProblem, local_text, parse_day, show_number, to_kw
from reconciler.market import (
    DEADLINE_MARGIN,
    MARKET_TZ,
    ProductDateCode,
    ProductError,
    bid_deadline,
    parse_product,
    product_date_code,
)
from reconciler.rules.bids import accepted_capacity, check_bid_prices, check_offered_capacity

_PRICE_FIELDS = ("capacityPrice", "energyPrice")


def expand_bid_section(
    ctx: DocumentContext, market_name: str, section: Any, path: FieldPath
) -> BidSection | None:
    """The bids of ``spec.fcr`` or ``spec.afrr``, or ``None`` when the section is too broken."""
    if not isinstance(section, dict):
        return None
    unit = str(section.get("unit", "kW")) if ctx.clean((*path, "unit")) else "kW"
    prune = section.get("prune", False) is True
    raw_bids = section.get("bids")
    bids: list[DesiredBid] = []
    declared: dict[ProductDateCode, DesiredBid] = {}
    for index, raw in enumerate(raw_bids if isinstance(raw_bids, list) else []):
        bid_path = (*path, "bids", index)
        bid = _expand_bid(ctx, market_name, raw, bid_path, unit)
        if bid is None:
            continue
        earlier = declared.get(bid.code)
        if earlier is not None:
            ctx.error(
                "bid-duplicate-product",
                f"{bid.code} is already bid by {earlier.source.path} at {earlier.source}",
                bid_path,
                expected="one bid per product and delivery day",
                found=f"a second bid for {bid.code}",
                address=ctx.address(market_name, str(bid.code)),
            )
            continue
        declared[bid.code] = bid
        bids.append(bid)
    return BidSection(unit=unit, prune=prune, bids=tuple(bids), source=ctx.ref(path))


def _expand_bid(
    ctx: DocumentContext, market_name: str, raw: Any, path: FieldPath, unit: str
) -> DesiredBid | None:
    if not isinstance(raw, dict) or not ctx.clean((*path, "day")) or not ctx.clean((*path, "product")):
        return None
    code = _product_date_code(ctx, raw["day"], raw["product"], path)
    if code is None:
        return None
    address = ctx.address(market_name, str(code))
    _check_capacity(ctx, raw, path, unit, address)
    capacity_price, energy_price = raw.get("capacityPrice"), raw.get("energyPrice")
    prices_checked = all(ctx.clean((*path, name)) for name in _PRICE_FIELDS)  # else the schema spoke
    for violation in check_bid_prices(code.market, capacity_price, energy_price) if prices_checked else []:
        field = next((name for name in _PRICE_FIELDS if name in violation.message), None)
        where = (*path, field) if field and field in raw else path
        ctx.error(
            violation.code,
            f"{code}: {violation.message}",
            where,
            expected=violation.expected,
            found=violation.found,
            address=address,
        )
    if ctx.now is not None:
        _check_deadline(ctx, code, ctx.now, path, address)
    if not (ctx.clean((*path, "capacity")) and prices_checked):
        return None
    return DesiredBid(
        code=code,
        offered_kw=to_kw(raw["capacity"], unit),
        capacity_price=capacity_price,
        energy_price=energy_price,
        source=ctx.ref(path),
    )


def _product_date_code(
    ctx: DocumentContext, day_text: str, product_name: str, path: FieldPath
) -> ProductDateCode | None:
    try:
        day = parse_day(day_text)
    except ValueProblem as problem:
        ctx.error(
            problem.code, problem.message, (*path, "day"), expected=problem.expected, found=problem.found
        )
        return None
    try:
        product = parse_product(product_name)
    except ProductError as exc:
        ctx.error(
            "bid-product-unknown",
            str(exc),
            (*path, "product"),
            expected="a product of the market",
            found=product_name,
        )
        return None
    try:
        return product_date_code(day, product)
    except ProductError as exc:
        ctx.error(
            "bid-product-day",
            str(exc),
            (*path, "product"),
            expected=f"a product that exists on {day.isoformat()}",
            found=product_name,
        )
        return None


def _check_capacity(
    ctx: DocumentContext, raw: dict[str, Any], path: FieldPath, unit: str, address: str | None
) -> None:
    if not ctx.clean((*path, "capacity")):
        return
    declared: Decimal = raw["capacity"]
    offered_kw = to_kw(declared, unit)
    in_unit = f"{show_number(declared)} {unit}" + (f" = {show_number(offered_kw)} kW" if unit != "kW" else "")
    violation = check_offered_capacity(offered_kw)
    if violation is not None:
        ctx.error(
            violation.code,
            f"capacity {in_unit} is not a positive multiple of 1000 kW after cutting the fraction of a kW",
            (*path, "capacity"),
            expected=violation.expected,
            found=in_unit,
            address=address,
        )
    elif accepted_capacity(offered_kw) != offered_kw:
        kept = accepted_capacity(offered_kw)
        ctx.report(
            Severity.NOTE,
            "bid-capacity-truncated",
            f"capacity {in_unit} will be accepted as {kept} kW (the platform cuts the fraction of a kW)",
            (*path, "capacity"),
            expected="a whole number of kW",
            found=in_unit,
            address=address,
        )


def _check_deadline(
    ctx: DocumentContext, code: ProductDateCode, now: datetime, path: FieldPath, address: str | None
) -> None:
    deadline = bid_deadline(code)
    shown = local_text(deadline, MARKET_TZ)
    if now > deadline:
        message = f"the bidding deadline for {code} passed at {shown}: the platform refuses any change to it"
        code_name = "bid-deadline-passed"
    elif deadline - now <= DEADLINE_MARGIN:
        minutes = int((deadline - now).total_seconds() // 60)
        message = f"the bidding deadline for {code} is {shown}, in {minutes} minutes: a change must be applied before it"
        code_name = "bid-deadline-near"
    else:
        return
    ctx.report(
        Severity.WARNING,
        code_name,
        message,
        path,
        expected=f"at least {DEADLINE_MARGIN.seconds // 60} minutes before the deadline {shown}",
        found=f"now is {local_text(now, MARKET_TZ)}",
        address=address,
    )
