"""Bid endpoints (DECISIONS.md D12).

FCR under ``…/ancillary/fcr/``, aFRR under ``…/ancillary/afrr/`` with ``market=capacity|energy``
on GETs. The client creates, replaces and deletes with one ``PUT …/bids/{productDateCode}``
whose body is the list of ``{offeredCapacity, capacityPrice[, energyPrice]}`` (``[]`` deletes):
idempotent, so safe to retry. Answers are lists of
``{productDateCode, product, deliveryDay, bids: […]}``; results are lists of
``{product, deliveryDay, results: [{accepted, offeredCapacity, acceptedCapacity, capacityPrice,
energyPrice, settlementPrice}]}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

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

_SEGMENT = {Market.FCR: "fcr", Market.AFRR_CAPACITY: "afrr", Market.AFRR_ENERGY: "afrr"}
_AFRR_MARKET_PARAM = {Market.AFRR_CAPACITY: "capacity", Market.AFRR_ENERGY: "energy"}


def bids_path(market: Market) -> str:
    """Path below the virtual asset for the bids of a market."""
    return f"ancillary/{_SEGMENT[market]}/bids"


def product_bids_path(code: ProductDateCode) -> str:
    return f"{bids_path(code.market)}/{code}"


def results_path(market: Market) -> str:
    return f"ancillary/{_SEGMENT[market]}/results"


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
        return product_date_code(date.fromisoformat(day_text), product)
    except (ValueError, ProductError) as exc:
        raise UnexpectedResponseError(f"unexpected response from the platform: {what}: {exc}") from None


def parse_product_bids(raw: Any) -> list[ProductBids]:
    items = []
    for item in as_list(raw, "bids answer"):
        doc = as_object(item, "product bids")
        what = f"bids of {doc.get('productDateCode', doc.get('product'))!r}"
        bids = tuple(
            Bid(
                offered_capacity=number(bid, "offeredCapacity", what),
                capacity_price=optional_number(bid, "capacityPrice", what),
                energy_price=optional_number(bid, "energyPrice", what),
            )
            for bid in (as_object(b, what) for b in as_list(required(doc, "bids", what), what))
        )
        items.append(ProductBids(code=_code(doc, what), bids=bids, fingerprint=fingerprint(doc)))
    return sorted(items, key=lambda product_bids: product_bids.code)


def parse_product_results(raw: Any) -> list[ProductResults]:
    items = []
    for item in as_list(raw, "results answer"):
        doc = as_object(item, "product results")
        what = f"results of {doc.get('product')!r}"
        results = tuple(
            BidResult(
                accepted=boolean(result, "accepted", what),
                offered_capacity=number(result, "offeredCapacity", what),
                accepted_capacity=number(result, "acceptedCapacity", what),
                capacity_price=optional_number(result, "capacityPrice", what),
                energy_price=optional_number(result, "energyPrice", what),
                settlement_price=optional_number(result, "settlementPrice", what),
            )
            for result in (as_object(r, what) for r in as_list(required(doc, "results", what), what))
        )
        items.append(ProductResults(code=_code(doc, what), results=results))
    return sorted(items, key=lambda product_results: product_results.code)
