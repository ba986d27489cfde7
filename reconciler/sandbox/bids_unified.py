"""The unified ancillary API of D18 (API.md §5.5): ``POST/GET …/ancillary/bids`` and
``GET …/ancillary/results`` for all three markets. Validation and storage are :mod:`.bidding`'s,
shared with the per-market routes of D12."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reconciler.market import Direction, Market, ProductDateCode
from reconciler.sandbox.assets import AssetState, Result, StoredBid
from reconciler.sandbox.bidding import BidWrite, parse_bids, product_item, published_results, stored_bids
from reconciler.sandbox.wire import invalid, require_list, string_field

MARKETS = tuple(m.value for m in Market)
DIRECTIONS = tuple(d.value for d in Direction)


def market_group(market: Market) -> str:
    """D18: FCR and aFRR items must go in separate requests."""
    return "FCR" if market is Market.FCR else "aFRR"


def parse_post(body: Any) -> list[BidWrite]:
    """A list of ``{market, product, deliveryDay, bids}``: create or replace per product and day,
    ``bids: []`` deletes; every item of one market group (FCR, or aFRR capacity and energy)."""
    writes: list[BidWrite] = []
    for index, raw in enumerate(require_list(body, "the request body")):
        where = f"item {index}"
        item, code = product_item(raw, where)
        market = string_field(item, "market", where)
        if market not in MARKETS:
            raise invalid(
                f"{where}: market must be one of {', '.join(MARKETS)} (case-sensitive), found {market!r}"
            )
        if code.market != market:
            raise invalid(f"{where}: {code.product.name} is a {code.market} product, not {market}")
        writes.append(parse_bids(code, item["bids"], f"{where}.bids"))
    groups = {market_group(w.code.market) for w in writes}
    if len(groups) > 1:
        raise invalid("FCR and aFRR bids must go in separate requests")
    return writes


def _bid_json(bid: StoredBid) -> dict[str, Any]:
    return {
        "bidID": bid.bid_id,
        "capacityPrice": bid.capacity_price,
        "energyPrice": bid.energy_price,
        "offeredCapacity": bid.offered,
    }


def product_body(code: ProductDateCode, bid: StoredBid | None) -> dict[str, Any]:
    return {
        "bids": [] if bid is None else [_bid_json(bid)],
        "deliveryDay": code.day.isoformat(),
        "market": str(code.market),
        "product": code.product.name,
    }


def written(asset: AssetState, writes: list[BidWrite]) -> list[dict[str, Any]]:
    """The POST's answer: each product of the request as it now stands, in request order."""
    return [product_body(w.code, asset.bids.get(str(w.code))) for w in writes]


def _choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> frozenset[str] | None:
    text = query.get(name)
    if not text:
        return None
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in allowed]
    if unknown:
        raise invalid(
            f"{name}: unknown {', '.join(repr(u) for u in unknown)}; expected a comma list of "
            f"{', '.join(allowed)} (case-sensitive)"
        )
    return frozenset(chosen)


class Selection:
    """``start``/``end`` (inclusive), ``markets`` and ``productDirections`` of a unified GET."""

    def __init__(self, query: Mapping[str, str], start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.markets = _choice(query, "markets", MARKETS)
        self.directions = _choice(query, "productDirections", DIRECTIONS)

    def takes(self, code: ProductDateCode) -> bool:
        """A product whose delivery window ``[first, last)`` overlaps ``[start, end]``."""
        first, last = code.window()
        return (
            first <= self.end
            and last > self.start
            and (self.markets is None or str(code.market) in self.markets)
            and (self.directions is None or str(code.product.direction) in self.directions)
        )


def list_bids(asset: AssetState, selection: Selection) -> list[dict[str, Any]]:
    return [product_body(b.code, b) for b in stored_bids(asset) if selection.takes(b.code)]


def _result_json(result: Result) -> dict[str, Any]:
    bid = result.bid
    return {
        "accepted": result.accepted,
        "acceptedCapacity": result.accepted_capacity,
        "bidID": bid.bid_id,
        "capacityPrice": bid.capacity_price,
        "energyPrice": bid.energy_price,
        "offeredCapacity": bid.offered,
        "settlementPrice": result.settlement_price,
    }


def list_results(asset: AssetState, selection: Selection) -> list[dict[str, Any]]:
    """Published results only: a product not yet published has no entry (D18)."""
    return [
        {
            "deliveryDay": r.bid.code.day.isoformat(),
            "market": str(r.bid.code.market),
            "product": r.bid.code.product.name,
            "results": [_result_json(r)],
        }
        for r in published_results(asset)
        if selection.takes(r.bid.code)
    ]
