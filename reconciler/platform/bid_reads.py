"""Reading an asset's bids and results of one delivery day, route by route (D12, D14).

Bids until the first result of the day is published; then bids and results; once every product
is closed and published, the results alone say what was bid (:func:`bids_from_results`).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from reconciler.market import MarketTimes, result_publications
from reconciler.platform.client import PlatformClient
from reconciler.platform.models import ProductBids, ProductResults
from reconciler.platform.wire.bids import BidRoute, bids_from_results


@dataclasses.dataclass(frozen=True)
class RouteDay:
    """What was read of one route on one day: its bids (read, or derived from results) and results."""

    bids: list[ProductBids]
    results: list[ProductResults]
    bids_read: bool


RESULTS_SETTLED = timedelta(hours=1)
"""How long after the last publication time of D14 the results of a route-day are taken to be
complete (the docs do not guarantee the times): from then on its results alone say what was bid."""


def route_day(
    client: PlatformClient, va_id: str, route: BidRoute, day: date, now: datetime, times: MarketTimes
) -> RouteDay:
    """Bids until the first result is published (D14); then bids and results; once every product
    is closed and published, the results alone, unless some are still missing (a late publication)."""
    first = min(result_publications(market, day, times)[0] for market in route.markets)
    last = max(result_publications(market, day, times)[1] for market in route.markets)
    if now < first:
        return bids_only(client, va_id, route, day)
    results = client.get_day_results(va_id, route, day)
    if now >= last + RESULTS_SETTLED and results and all(product.results for product in results):
        return RouteDay(bids_from_results(results), results, bids_read=False)
    return RouteDay(client.get_day_bids(va_id, route, day), results, bids_read=True)


def bids_only(client: PlatformClient, va_id: str, route: BidRoute, day: date) -> RouteDay:
    return RouteDay(client.get_day_bids(va_id, route, day), [], bids_read=True)
