"""FCR and aFRR bids in the sandbox: validation (D13–D16, D20), storage and results (D17).

One implementation behind both wire flavours: the per-market routes of D12 (:mod:`.bids_legacy`)
and the unified ancillary API of D18 (:mod:`.bids_unified`) parse their bodies into
:class:`BidWrite` s and read through the same store, so a bid placed through one is seen through
the other. A write is validated against a tentative copy of the asset's bids and committed only when
every product in it passes, so a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from reconciler.market import Market, ProductDateCode, ProductError, product_date_code
from reconciler.rules.bids import (
    accepted_capacity,
    check_bid_lifetime,
    check_bid_prices,
    check_bid_timing,
    check_offered_capacity,
)
from reconciler.rules.capacity import (
    WindowQuarter,
    bid_room,
    capacity_market,
    check_bid_room,
    check_wholesale_fit,
)
from reconciler.sandbox.assets import AssetState, Result, StoredBid, new_bid_id
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    check_day,
    invalid,
    number_field,
    require_list,
    require_object,
    string_field,
)


@dataclass(frozen=True)
class BidWrite:
    """One product's new bid (None = delete), parsed from a request."""

    code: ProductDateCode
    bid: StoredBid | None


def parse_product(product: str, day_text: str, where: str) -> ProductDateCode:
    """``product`` on ``deliveryDay``; a product that does not exist that day is a 400."""
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise invalid(f"{where}: deliveryDay {day_text!r} is not a date (expected YYYY-MM-DD)") from None
    check_day(day, f"{where}.deliveryDay")
    try:
        return product_date_code(day, product)
    except ProductError as exc:
        raise invalid(f"{where}: {exc}") from None


def product_item(item: Any, where: str) -> tuple[dict[str, Any], ProductDateCode]:
    """An object ``{product, deliveryDay, bids, …}`` of a POST body and the code it names."""
    data = require_object(item, where)
    code = parse_product(
        string_field(data, "product", where), string_field(data, "deliveryDay", where), where
    )
    if "bids" not in data:
        raise invalid(f"malformed request: {where} is missing the required field 'bids'")
    return data, code


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
    return BidWrite(code, StoredBid(code, Decimal(accepted_capacity(offered)), capacity_price, energy_price))


def no_repeats(writes: Iterable[BidWrite]) -> None:
    seen: set[ProductDateCode] = set()
    for write in writes:
        if write.code in seen:
            raise invalid(f"{write.code} appears more than once in the request")
        seen.add(write.code)


def _check_capacity(asset: AssetState, write: BidWrite, tentative: dict[str, StoredBid]) -> None:
    """D15 and D20 against the other live bids, then D16: the wholesale schedule must still fit."""
    bid, code = write.bid, write.code
    assert bid is not None
    others = asset.capacity_bids(tentative, exclude=str(code))
    quarters = [
        WindowQuarter(p, asset.ancillary_availability(p), asset.commitments(p, others))
        for p in code.periods()
    ]
    too_much = check_bid_room(code, bid.offered, bid_room(code, quarters, asset.rated_power()))
    if too_much:
        raise invalid(too_much.message)
    if capacity_market(code) is None:
        return  # aFRR energy moves no capacity (D16)
    after = asset.capacity_bids({**tentative, str(code): bid})
    schedule = [(p, asset.power(p), asset.wholesale(p, after).available) for p in code.periods()]
    conflict = check_wholesale_fit(schedule)
    if conflict:
        raise invalid(f"{code}: {conflict.message}")


def apply_bids(state: SandboxState, asset: AssetState, writes: list[BidWrite]) -> None:
    """Validate every write against the bids as they would be, then commit all or nothing."""
    no_repeats(writes)
    tentative = dict(asset.bids)
    for write in writes:
        for violation in (
            check_bid_timing(write.code, state.now, state.market_times),
            check_bid_lifetime(write.code, asset.spec.start, asset.spec.end),
        ):
            if violation:
                raise invalid(violation.message)
        if write.bid is None:
            tentative.pop(str(write.code), None)
            continue
        _check_capacity(asset, write, tentative)
        tentative[str(write.code)] = write.bid
    for write in writes:
        if write.bid is not None:
            asset.bids_stored += 1
            tentative[str(write.code)] = replace(write.bid, bid_id=new_bid_id(asset.id, asset.bids_stored))
    asset.bids = tentative
    for write in writes:
        market = capacity_market(write.code)
        if write.bid is not None and market is not None and market not in asset.ancillary_blocks:
            asset.ancillary_blocks.append(market)


def stored_bids(asset: AssetState, wanted: Iterable[ProductDateCode] | None = None) -> list[StoredBid]:
    """The live bids (of ``wanted`` codes only, when given) in delivery order."""
    chosen = (
        asset.bids.values()
        if wanted is None
        else [asset.bids[str(c)] for c in wanted if str(c) in asset.bids]
    )
    return sorted(chosen, key=lambda b: (b.code.window(), b.code.product.name))


def published_results(asset: AssetState) -> list[Result]:
    """Every published result in delivery order (none before its publication time, D14)."""
    return sorted(asset.results.values(), key=lambda r: (r.bid.code.window(), r.bid.code.product.name))


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
