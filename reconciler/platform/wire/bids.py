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

from collections.abc import Callable, Sequence
from datetime import date
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
