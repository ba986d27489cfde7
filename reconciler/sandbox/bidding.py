"""FCR and aFRR bids in the sandbox: validation (D13–D16), storage (D12) and results (D17).

A write is validated against a tentative copy of the asset's bids and committed only when every
product in it passes, so a refused request changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from reconciler.market import (
    Direction,
    Market,
    ProductDateCode,
    ProductError,
    bid_deadline,
    bid_opening,
    isoformat_z,
    parse_product_date_code,
    product_date_code,
    result_publication,
)
from reconciler.rules.bids import accepted_capacity, check_bid_prices, check_offered_capacity
from reconciler.rules.capacity import (
    capacity_market,
    check_wholesale_fit,
    commitments_at,
    remaining_ancillary,
)
from reconciler.sandbox.assets import AssetState, Bid, Result
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import invalid, number_field, require_list, require_object, string_field

FAMILIES = {"fcr": (Market.FCR,), "afrr": (Market.AFRR_CAPACITY, Market.AFRR_ENERGY)}
AFRR_MARKET_PARAM = {"capacity": Market.AFRR_CAPACITY, "energy": Market.AFRR_ENERGY}


@dataclass(frozen=True)
class BidWrite:
    """One product's new bids (empty = delete), parsed from a request."""

    code: ProductDateCode
    bid: Bid | None


def parse_code(text: str, family: str) -> ProductDateCode:
    try:
        code = parse_product_date_code(text)
    except ProductError as exc:
        raise invalid(str(exc)) from None
    if code.market not in FAMILIES[family]:
        raise invalid(f"{text} is a {code.market} product, not a {family.upper()} product")
    return code


def parse_bids(code: ProductDateCode, items: Any, where: str) -> BidWrite:
    """A product's bid list: at most one bid per product (API.md §5.2), D13 checked."""
    entries = require_list(items, where)
    if len(entries) > 1:
        raise invalid(f"only one bid per product is allowed; {where} has {len(entries)}")
    if not entries:
        return BidWrite(code, None)
    entry = require_object(entries[0], f"{where}[0]")
    offered = number_field(entry, "offeredCapacity", f"{where}[0]")
    assert offered is not None
    wants_capacity_price = code.market is not Market.AFRR_ENERGY
    capacity_price = number_field(entry, "capacityPrice", f"{where}[0]", required=wants_capacity_price)
    energy_price = number_field(entry, "energyPrice", f"{where}[0]", required=code.market is not Market.FCR)
    violations = check_bid_prices(code.market, capacity_price, energy_price)
    step = check_offered_capacity(offered)
    if step:
        violations.insert(0, step)
    if violations:
        raise invalid(f"{code}: {violations[0].message}")
    return BidWrite(code, Bid(code, Decimal(accepted_capacity(offered)), capacity_price, energy_price))


def parse_post(body: Any, family: str) -> list[BidWrite]:
    """POST body: a list of ``{product, deliveryDay, bids}``; each product at most once."""
    items = require_list(body, "the request body")
    writes: list[BidWrite] = []
    for index, raw in enumerate(items):
        item = require_object(raw, f"item {index}")
        product, day_text = (
            string_field(item, "product", f"item {index}"),
            string_field(item, "deliveryDay", f"item {index}"),
        )
        try:
            code = product_date_code(date.fromisoformat(day_text), product)
        except ValueError as exc:
            raise invalid(f"item {index}: {exc}") from None
        parse_code(str(code), family)
        if any(w.code == code for w in writes):
            raise invalid(f"{code} appears more than once in the request")
        if "bids" not in item:
            raise invalid(f"malformed request: item {index} is missing the required field 'bids'")
        writes.append(parse_bids(code, item["bids"], f"item {index}.bids"))
    return writes


def _check_timing(state: SandboxState, code: ProductDateCode) -> None:
    """D14: bids change only between opening and deadline, and never once results are out."""
    times = state.market_times
    opening, deadline, published = (
        bid_opening(code, times),
        bid_deadline(code, times),
        result_publication(code, times),
    )
    if state.now < opening:
        raise invalid(f"bidding for {code} opens at {isoformat_z(opening)}")
    if state.now >= published:
        raise invalid(
            f"results for {code} were published at {isoformat_z(published)}; its bids can no longer change"
        )
    if state.now > deadline:
        raise invalid(f"the bid deadline for {code} was {isoformat_z(deadline)}")


def _check_lifetime(asset: AssetState, code: ProductDateCode) -> None:
    start, end = code.window()
    if start < asset.spec.start or end > asset.spec.end:
        raise invalid(
            f"{code} ({isoformat_z(start)}/{isoformat_z(end)}) is outside the virtual asset's lifetime "
            f"{isoformat_z(asset.spec.start)}/{isoformat_z(asset.spec.end)}"
        )


def _check_capacity(asset: AssetState, write: BidWrite, tentative: dict[str, Bid]) -> None:
    """D15 against the other live bids, then D16: the wholesale schedule must still fit."""
    bid, code = write.bid, write.code
    assert bid is not None
    market = capacity_market(code)
    if market is None:  # aFRR energy: offered ≤ that direction's aFRR availability, no capacity moves
        for period in code.periods():
            availability = asset.ancillary_availability(period)
            limit = (
                availability.afrr_pos if code.product.direction is Direction.POS else availability.afrr_neg
            )
            if bid.offered > limit:
                raise invalid(
                    f"offeredCapacity {bid.offered} kW for {code} exceeds the aFRR capacity available "
                    f"at {isoformat_z(period)} ({limit} kW)"
                )
        return
    others = asset.capacity_bids(tentative, exclude=str(code))
    for period in code.periods():
        left = remaining_ancillary(
            market, asset.ancillary_availability(period), commitments_at(period, others)
        )
        if bid.offered > left:
            raise invalid(
                f"offeredCapacity {bid.offered} kW for {code} exceeds the remaining {market} capacity "
                f"of {left} kW at {isoformat_z(period)}"
            )
    after = asset.capacity_bids({**tentative, str(code): bid})
    schedule = [(p, asset.power(p), asset.wholesale(p, after).available) for p in code.periods()]
    conflict = check_wholesale_fit(schedule)
    if conflict:
        raise invalid(f"{code}: {conflict.message}")


def apply_bids(state: SandboxState, asset: AssetState, writes: list[BidWrite]) -> None:
    """Validate every write against the bids as they would be, then commit all or nothing."""
    tentative = dict(asset.bids)
    for write in writes:
        _check_timing(state, write.code)
        _check_lifetime(asset, write.code)
        if write.bid is None:
            tentative.pop(str(write.code), None)
            continue
        _check_capacity(asset, write, tentative)
        tentative[str(write.code)] = write.bid
    asset.bids = tentative
    for write in writes:
        market = capacity_market(write.code)
        if write.bid is not None and market is not None and market not in asset.ancillary_blocks:
            asset.ancillary_blocks.append(market)


def product_body(code: ProductDateCode, bid: Bid | None) -> dict[str, Any]:
    bids = [] if bid is None else [_bid_json(bid)]
    return {
        "bids": bids,
        "deliveryDay": code.day.isoformat(),
        "product": code.product.name,
        "productDateCode": str(code),
    }


def _bid_json(bid: Bid) -> dict[str, Any]:
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
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(f"deliveryDay {value!r} is not a date (expected YYYY-MM-DD)") from None


def list_bids(asset: AssetState, family: str, day: date, market_param: str | None) -> list[dict[str, Any]]:
    markets = _markets(family, market_param)
    chosen = [b for b in asset.bids.values() if b.code.day == day and b.code.market in markets]
    return [
        product_body(b.code, b) for b in sorted(chosen, key=lambda b: (b.code.window(), b.code.product.name))
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
    chosen = [
        r
        for r in asset.results.values()
        if r.bid.code.day == day and r.bid.code.market in markets and accepted in (None, r.accepted)
    ]
    ordered = sorted(chosen, key=lambda r: (r.bid.code.window(), r.bid.code.product.name))
    return [results_body(r.bid.code, [r]) for r in ordered]


def _clearing_price(state: SandboxState, code: ProductDateCode) -> Decimal | None:
    price = state.clearing_prices.get(str(code), state.clearing_prices.get(str(code.market)))
    return None if price is None else Decimal(price)


def publish_result(state: SandboxState, asset: AssetState, code_text: str) -> None:
    """D17: clear one bid at its publication time; what is not accepted returns to wholesale.

    A bid priced at or below the clearing price (the productDateCode's, else the market's) is
    accepted in full, capped by ``partialAcceptance``; with no clearing price configured every bid
    clears. FCR pays as clear (``settlementPrice`` = the clearing price, or the bid's price when
    none is configured); aFRR results carry ``settlementPrice`` null.
    """
    bid = asset.bids[code_text]
    clearing = _clearing_price(state, bid.code)
    price = bid.energy_price if bid.code.market is Market.AFRR_ENERGY else bid.capacity_price
    clears = clearing is None or (price is not None and price <= clearing)
    accepted = bid.offered if clears else Decimal(0)
    cap = state.partial_acceptance.get(code_text)
    if cap is not None:
        accepted = min(accepted, Decimal(cap))
    settlement = None
    if bid.code.market is Market.FCR:
        settlement = clearing if clearing is not None else bid.capacity_price
    asset.results[code_text] = Result(bid, accepted, settlement)


def parse_accepted(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(f"accepted must be true or false, found {value!r}")
