"""The per-market bid routes of D12 (``…/ancillary/fcr/…`` and ``…/ancillary/afrr/…``): their
bodies and query parameters. Validation and storage are :mod:`.bidding`'s, shared with D18."""

from __future__ import annotations

from datetime import date
from typing import Any

from reconciler.market import Market, ProductDateCode
from reconciler.sandbox.assets import AssetState, Result, StoredBid
from reconciler.sandbox.bidding import (
    BidWrite,
    parse_bids,
    parse_product,
    product_item,
    published_results,
    stored_bids,
)
from reconciler.sandbox.wire import check_day, invalid, require_list

FAMILIES = {"fcr": (Market.FCR,), "afrr": (Market.AFRR_CAPACITY, Market.AFRR_ENERGY)}
AFRR_MARKET_PARAM = {"capacity": Market.AFRR_CAPACITY, "energy": Market.AFRR_ENERGY}


def parse_code(text: str, family: str) -> ProductDateCode:
    """A productDateCode of a path; its day is checked (D23) before any calendar work."""
    day_text, sep, product = text.partition("_")
    if not sep:
        raise invalid(f"{text[:64]!r} is not a productDateCode (expected YYYY-MM-DD_PRODUCT)")
    code = parse_product(product, day_text, f"productDateCode {text[:64]}")
    if code.market not in FAMILIES[family]:
        raise invalid(f"{text} is a {code.market} product, not a {family.upper()} product")
    return code


def parse_post(body: Any, family: str) -> list[BidWrite]:
    """POST body: a list of ``{product, deliveryDay, bids}``; each product at most once."""
    writes: list[BidWrite] = []
    for index, raw in enumerate(require_list(body, "the request body")):
        item, code = product_item(raw, f"item {index}")
        parse_code(str(code), family)
        writes.append(parse_bids(code, item["bids"], f"item {index}.bids"))
    return writes


def product_body(code: ProductDateCode, bid: StoredBid | None) -> dict[str, Any]:
    bids = [] if bid is None else [_bid_json(bid)]
    return {
        "bids": bids,
        "deliveryDay": code.day.isoformat(),
        "product": code.product.name,
        "productDateCode": str(code),
    }


def _bid_json(bid: StoredBid) -> dict[str, Any]:
    body: dict[str, Any] = {"capacityPrice": bid.capacity_price, "offeredCapacity": bid.offered}
    if bid.code.market is not Market.FCR:
        body["energyPrice"] = bid.energy_price
    return body


def _markets(family: str, market_param: str | None) -> tuple[Market, ...]:
    if family == "fcr" or market_param is None:
        return FAMILIES[family]
    if market_param not in AFRR_MARKET_PARAM:
        raise invalid(f"market must be 'capacity' or 'energy', found {market_param!r}")
    return (AFRR_MARKET_PARAM[market_param],)


def delivery_day_param(value: str | None) -> date:
    if not value:
        raise invalid("the query parameter 'deliveryDay' is required (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise invalid(f"deliveryDay {value!r} is not a date (expected YYYY-MM-DD)") from None
    return check_day(day, "deliveryDay")


def list_bids(asset: AssetState, family: str, day: date, market_param: str | None) -> list[dict[str, Any]]:
    markets = _markets(family, market_param)
    return [
        product_body(b.code, b) for b in stored_bids(asset) if b.code.day == day and b.code.market in markets
    ]


def result_json(result: Result) -> dict[str, Any]:
    bid = result.bid
    return {
        "accepted": result.accepted,
        "acceptedCapacity": result.accepted_capacity,
        "capacityPrice": bid.capacity_price,
        "energyPrice": bid.energy_price,
        "offeredCapacity": bid.offered,
        "settlementPrice": result.settlement_price,
    }


def results_body(code: ProductDateCode, results: list[Result]) -> dict[str, Any]:
    return {
        "deliveryDay": code.day.isoformat(),
        "product": code.product.name,
        "productDateCode": str(code),
        "results": [result_json(result) for result in results],
    }


def list_results(
    asset: AssetState, family: str, day: date, market_param: str | None, accepted: bool | None
) -> list[dict[str, Any]]:
    """Published results of a delivery day, one object per product (none before publication)."""
    markets = _markets(family, market_param)
    return [
        results_body(r.bid.code, [r])
        for r in published_results(asset)
        if r.bid.code.day == day and r.bid.code.market in markets and accepted in (None, r.accepted)
    ]


def parse_accepted(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(f"accepted must be true or false, found {value!r}")
