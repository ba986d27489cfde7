"""The unified ancillary API (DECISIONS.md D18, API.md §5.5); the per-market routes of D12 are
:mod:`.bids`, and which of them a target speaks is :mod:`reconciler.platform.ancillary`.

- ``GET …/ancillary/bids`` and ``GET …/ancillary/results`` take ``start`` and ``end`` (required,
  RFC 3339, inclusive) and optionally ``markets`` (a comma list, case-sensitive) and answer every
  product whose delivery window overlaps the range: ``[{market, product, deliveryDay, bids:
  [{bidID, offeredCapacity, capacityPrice, energyPrice}]}]`` and ``[{market, product,
  deliveryDay, results: [...]}]`` (a product not yet published has no entry). The answers are
  parsed by :mod:`.bids` (one product shape for both flavours).
- ``POST …/ancillary/bids`` takes ``[{market, product, deliveryDay, bids}]``, creates or replaces
  per product and day, ``bids: []`` deletes; FCR and aFRR items never share a request
  (:func:`market_group`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from reconciler.market import PERIOD, Market, ProductDateCode, day_bounds
from reconciler.platform.models import Bid
from reconciler.platform.wire.bids import bids_body
from reconciler.platform.wire.fields import range_params

BIDS_PATH = "ancillary/bids"
RESULTS_PATH = "ancillary/results"
POST_METHOD = "POST"
POST_REPLACES = True
"""D18: the POST creates or replaces per product and day, so sending it again leaves the same bids
(only their ``bidID`` s are new): the client retries it like a PUT."""


class MarketGroup(StrEnum):
    """The markets one ``POST …/ancillary/bids`` may carry together (D18)."""

    FCR = "fcr"
    AFRR = "afrr"


def market_group(market: Market) -> MarketGroup:
    """D18: FCR items and aFRR items (capacity and energy together) go in separate requests."""
    return MarketGroup.FCR if market is Market.FCR else MarketGroup.AFRR


def days_range(days: Collection[date]) -> tuple[datetime, datetime]:
    """The inclusive ``[start, end]`` that covers every product of ``days`` and no product of
    another day: from the first day's 00:00 to the last quarter-hour of the last day (local)."""
    start, _ = day_bounds(min(days))
    _, end = day_bounds(max(days))
    return start, end - PERIOD


def query_params(start: datetime, end: datetime, markets: Collection[Market] | None = None) -> dict[str, str]:
    """``start``/``end`` and, unless every market is wanted, ``markets`` (in the enum's order)."""
    params = range_params(start, end)
    if markets is not None and set(markets) != set(Market):
        params["markets"] = ",".join(m.value for m in Market if m in markets)
    return params


def post_body(items: Sequence[tuple[ProductDateCode, Sequence[Bid]]]) -> list[dict[str, Any]]:
    """The POST body: one item per product, bids as in the per-market bodies (no energy price on
    FCR, absent prices left out; ``[]`` deletes)."""
    return [
        {
            "market": code.market.value,
            "product": code.product.name,
            "deliveryDay": code.day.isoformat(),
            "bids": bids_body(code.market, bids),
        }
        for code, bids in items
    ]
