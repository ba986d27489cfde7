"""Reading an asset's bids and results for some delivery days, through the target's ancillary API.

What is known of each route (FCR; both aFRR markets) on each day is a :class:`RouteDay`, keyed
``"{route}/{day}"`` (:func:`route_day_key`) whichever API read it: bids until the first result of
the day is published (D14); then bids and results; once every product is closed and published,
the results alone say what was bid (:func:`bids_from_results`).

- ``legacy`` (D12): a read of bids and, once published, one of results per route and day.
- ``unified`` (D18): one read of results for every day with a publication passed, then one read
  of bids for every route and day whose results do not settle it: at most two reads, however
  many days; ``markets`` narrows a read to one route when only that one is wanted.

Each read step returns :class:`RouteDays`, the pairs it covers by key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import TypeVar

from reconciler.market import Market, MarketTimes, result_publications
from reconciler.platform.ancillary import AncillaryApi
from reconciler.platform.client import PlatformClient
from reconciler.platform.models import ProductBids, ProductResults
from reconciler.platform.wire.bids import BidRoute, bids_from_results, route_of

Pair = tuple[BidRoute, date]
P = TypeVar("P", ProductBids, ProductResults)


@dataclasses.dataclass(frozen=True)
class RouteDay:
    """What was read of one route on one day: its bids (read, or derived from results) and results."""

    bids: list[ProductBids]
    results: list[ProductResults]
    bids_read: bool


class RouteDays(dict[str, RouteDay]):
    """What one read step learnt, by :func:`route_day_key`."""


RESULTS_SETTLED = timedelta(hours=1)
"""How long after the last publication time of D14 the results of a route-day are taken to be
complete (the docs do not guarantee the times): from then on its results alone say what was bid."""


def route_day_key(route: BidRoute, day: date) -> str:
    return f"{route}/{day.isoformat()}"


def _publications(pair: Pair, times: MarketTimes) -> tuple[datetime, datetime]:
    """The first and the last result publication of a route on a day (D14)."""
    route, day = pair
    moments = [result_publications(market, day, times) for market in route.markets]
    return min(first for first, _ in moments), max(last for _, last in moments)


def _settled(pair: Pair, results: Sequence[ProductResults], now: datetime, times: MarketTimes) -> bool:
    """Every product closed and published, none missing (a late publication): the results say it all."""
    return (
        now >= _publications(pair, times)[1] + RESULTS_SETTLED
        and bool(results)
        and all(product.results for product in results)
    )


# -- legacy: per route and day ------------------------------------------------------------------


def route_day(
    client: PlatformClient, va_id: str, route: BidRoute, day: date, now: datetime, times: MarketTimes
) -> RouteDay:
    """Bids until the first result is published (D14); then bids and results; once every product
    is closed and published, the results alone, unless some are still missing (a late publication)."""
    if now < _publications((route, day), times)[0]:
        return bids_only(client, va_id, route, day)
    results = client.get_day_results(va_id, route, day)
    if _settled((route, day), results, now, times):
        return RouteDay(bids_from_results(results), results, bids_read=False)
    return RouteDay(client.get_day_bids(va_id, route, day), results, bids_read=True)


def bids_only(client: PlatformClient, va_id: str, route: BidRoute, day: date) -> RouteDay:
    return RouteDay(client.get_day_bids(va_id, route, day), [], bids_read=True)


def _one(pair: Pair, read: Callable[[], RouteDay]) -> RouteDays:
    return RouteDays({route_day_key(*pair): read()})


# -- unified: all routes and days at once ---------------------------------------------------------


def _markets(pairs: Iterable[Pair]) -> list[Market] | None:
    """The ``markets`` of a unified read of ``pairs``: None (every market) when both routes are wanted."""
    routes = {route for route, _ in pairs}
    return None if routes == set(BidRoute) else [m for route in routes for m in route.markets]


def _by_pair(products: Iterable[P]) -> dict[Pair, list[P]]:
    found: dict[Pair, list[P]] = {}
    for product in products:
        found.setdefault((route_of(product.code.market), product.code.day), []).append(product)
    return found


def unified_route_days(
    client: PlatformClient, va_id: str, days: Collection[date], now: datetime, times: MarketTimes
) -> RouteDays:
    """:func:`route_day` for every route and day of ``days`` in at most two reads (D18)."""
    pairs = [(route, day) for day in sorted(days) for route in BidRoute]
    published = [pair for pair in pairs if now >= _publications(pair, times)[0]]
    results: dict[Pair, list[ProductResults]] = {}
    if published:
        read = client.get_ancillary_results(va_id, {day for _, day in published}, _markets(published))
        results = {pair: found for pair, found in _by_pair(read).items() if pair in published}
    settled = {pair for pair in published if _settled(pair, results.get(pair, []), now, times)}
    unsettled = [pair for pair in pairs if pair not in settled]
    bids: dict[Pair, list[ProductBids]] = {}
    if unsettled:
        bids = _by_pair(client.get_ancillary_bids(va_id, {day for _, day in unsettled}, _markets(unsettled)))
    return RouteDays(
        {
            route_day_key(*pair): RouteDay(bids_from_results(results[pair]), results[pair], bids_read=False)
            if pair in settled
            else RouteDay(bids.get(pair, []), results.get(pair, []), bids_read=True)
            for pair in pairs
        }
    )


def unified_bids_only(client: PlatformClient, va_id: str, pairs: Collection[Pair]) -> RouteDays:
    """The bids of every route and day of ``pairs`` in one read (D18)."""
    bids = _by_pair(client.get_ancillary_bids(va_id, {day for _, day in pairs}, _markets(pairs)))
    return RouteDays(
        {route_day_key(*pair): RouteDay(bids.get(pair, []), [], bids_read=True) for pair in sorted(pairs)}
    )


# -- the read steps -------------------------------------------------------------------------------

Steps = list[tuple[str, Callable[[], RouteDays]]]


def bid_reads(
    client: PlatformClient, va_id: str, days: Sequence[date], now: datetime, times: MarketTimes
) -> Steps:
    """The steps that read the bids and results of ``days`` through the client's ancillary API."""
    if not days:
        return []
    if client.ancillary_api is AncillaryApi.UNIFIED:
        return [("ancillary", partial(unified_route_days, client, va_id, days, now, times))]
    return [
        (route_day_key(*pair), partial(_one, pair, partial(route_day, client, va_id, *pair, now, times)))
        for day in days
        for pair in ((route, day) for route in BidRoute)
    ]


def bids_rereads(client: PlatformClient, va_id: str, pairs: Collection[Pair]) -> Steps:
    """The steps that read again the bids of ``pairs`` (a saved plan's fingerprinted bids)."""
    if not pairs:
        return []
    if client.ancillary_api is AncillaryApi.UNIFIED:
        return [("ancillary", partial(unified_bids_only, client, va_id, pairs))]
    return [
        (route_day_key(*pair), partial(_one, pair, partial(bids_only, client, va_id, *pair)))
        for pair in sorted(pairs)
    ]
