"""Bid endpoints (DECISIONS.md D12).

FCR under ``…/ancillary/fcr/``, aFRR under ``…/ancillary/afrr/`` with ``market=capacity|energy``
on GETs. The client creates, replaces and deletes with one ``PUT …/bids/{productDateCode}``
whose body is the list of ``{offeredCapacity, capacityPrice[, energyPrice]}`` (``[]`` deletes):
idempotent, so safe to retry. Answers are lists of
``{productDateCode, product, deliveryDay, bids: […]}``; results are lists of
``{product, deliveryDay, results: [{accepted, offeredCapacity, acceptedCapacity, capacityPrice,
energyPrice, settlementPrice}]}``. A GET without ``market`` answers both aFRR markets (API.md R3,
R4): one read per route (:class:`BidRoute`) and day. The unified answers of D18
(:mod:`.unified`) carry ``market`` and ``bidID`` but no ``productDateCode``; both shapes parse here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from reconciler.market import Market, ProductDateCode, ProductError, product_date_code
from reconciler.platform.errors import UnexpectedResponseError
from reconciler.platform.jsonio import fingerprint
from reconciler.platform.models import Bid, BidResult, ProductBids, ProductResults
from reconciler.platform.wire.fields import (
    Document,
    as_list,
    as_object,
    boolean,
    number,
    optional_number,
    required,
    text,
)

T = TypeVar("T")

_SEGMENT = {Market.FCR: "fcr", Market.AFRR_CAPACITY: "afrr", Market.AFRR_ENERGY: "afrr"}
_AFRR_MARKET_PARAM = {Market.AFRR_CAPACITY: "capacity", Market.AFRR_ENERGY: "energy"}


class BidRoute(StrEnum):
    """The per-market route families of D12: FCR, and both aFRR markets under one route."""

    FCR = "fcr"
    AFRR = "afrr"

    @property
    def markets(self) -> tuple[Market, ...]:
        return (Market.FCR,) if self is BidRoute.FCR else (Market.AFRR_CAPACITY, Market.AFRR_ENERGY)

    @property
    def bids_path(self) -> str:
        return f"ancillary/{self.value}/bids"

    @property
    def results_path(self) -> str:
        return f"ancillary/{self.value}/results"


def route_of(market: Market) -> BidRoute:
    return BidRoute(_SEGMENT[market])


def route_day_params(day: date) -> dict[str, str]:
    """One delivery day, every market of the route (no ``market`` parameter)."""
    return {"deliveryDay": day.isoformat()}


def bids_path(market: Market) -> str:
    """Path below the virtual asset for the bids of a market."""
    return route_of(market).bids_path


def product_bids_path(code: ProductDateCode) -> str:
    return f"{bids_path(code.market)}/{code}"


def results_path(market: Market) -> str:
    return route_of(market).results_path


def day_params(market: Market, day: date, *, accepted: bool | None = None) -> dict[str, str]:
    params = {"deliveryDay": day.isoformat()}
    if market in _AFRR_MARKET_PARAM:
        params["market"] = _AFRR_MARKET_PARAM[market]
    if accepted is not None:
        params["accepted"] = "true" if accepted else "false"
    return params


def bids_body(market: Market, bids: Sequence[Bid]) -> list[dict[str, Any]]:
    """The PUT body; FCR bids never carry ``energyPrice``, absent prices are left out."""
    body = []
    for bid in bids:
        entry: dict[str, Any] = {"offeredCapacity": bid.offered_capacity}
        if bid.capacity_price is not None:
            entry["capacityPrice"] = bid.capacity_price
        if market is not Market.FCR and bid.energy_price is not None:
            entry["energyPrice"] = bid.energy_price
        body.append(entry)
    return body


def _code(doc: Document, what: str) -> ProductDateCode:
    product = text(doc, "product", what)
    day_text = text(doc, "deliveryDay", what)
    try:
        code = product_date_code(date.fromisoformat(day_text), product)
    except (ValueError, ProductError) as exc:
        raise UnexpectedResponseError(f"unexpected response from the platform: {what}: {exc}") from None
    market = doc.get("market")  # the unified answers (D18) name it; it must be the product's
    if market is not None and market != code.market.value:
        raise UnexpectedResponseError(
            f"unexpected response from the platform: {what}: market {market!r}, but {product} is a "
            f"{code.market.value} product"
        )
    return code


def _per_product(
    raw: Any, answer: str, list_field: str, parse: Callable[[Document, str], T]
) -> list[tuple[Document, ProductDateCode, tuple[T, ...]]]:
    """``[{product, deliveryDay, <list_field>: [...]}]`` as (object, code, parsed entries), by code."""
    products = []
    for item in as_list(raw, answer):
        doc = as_object(item, f"{answer} entry")
        what = f"{list_field} of {doc.get('productDateCode', doc.get('product'))!r}"
        entries = tuple(
            parse(as_object(e, what), what) for e in as_list(required(doc, list_field, what), what)
        )
        products.append((doc, _code(doc, what), entries))
    return sorted(products, key=lambda product: product[1])


def _bid(doc: Document, what: str) -> Bid:
    return Bid(
        offered_capacity=number(doc, "offeredCapacity", what),
        capacity_price=optional_number(doc, "capacityPrice", what),
        energy_price=optional_number(doc, "energyPrice", what),
    )


def _result(doc: Document, what: str) -> BidResult:
    return BidResult(
        accepted=boolean(doc, "accepted", what),
        offered_capacity=number(doc, "offeredCapacity", what),
        accepted_capacity=number(doc, "acceptedCapacity", what),
        capacity_price=optional_number(doc, "capacityPrice", what),
        energy_price=optional_number(doc, "energyPrice", what),
        settlement_price=optional_number(doc, "settlementPrice", what),
    )


def parse_product_bids(raw: Any) -> list[ProductBids]:
    return [
        ProductBids(code=code, bids=bids, fingerprint=fingerprint(doc))
        for doc, code, bids in _per_product(raw, "bids answer", "bids", _bid)
    ]


def parse_product_results(raw: Any) -> list[ProductResults]:
    return [
        ProductResults(code=code, results=results)
        for _, code, results in _per_product(raw, "results answer", "results", _result)
    ]


def bids_from_results(results: Sequence[ProductResults]) -> list[ProductBids]:
    """The bids behind published results: each result carries its bid's offered capacity and prices
    (API.md F5, R4: "from the bid"), so once a day's every product is closed and published its
    results say what was bid. Fingerprinted like a bids answer of the same bids."""
    bids = []
    for product in results:
        entries = tuple(Bid(r.offered_capacity, r.capacity_price, r.energy_price) for r in product.results)
        doc = {
            "bids": [_bid_doc(product.code.market, bid) for bid in entries],
            "deliveryDay": product.code.day.isoformat(),
            "product": product.code.product.name,
            "productDateCode": str(product.code),
        }
        bids.append(ProductBids(code=product.code, bids=entries, fingerprint=fingerprint(doc)))
    return bids


def _bid_doc(market: Market, bid: Bid) -> dict[str, Any]:
    doc: dict[str, Any] = {"capacityPrice": bid.capacity_price, "offeredCapacity": bid.offered_capacity}
    if market is not Market.FCR:
        doc["energyPrice"] = bid.energy_price
    return doc
