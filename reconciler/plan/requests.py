"""The one place a change becomes an HTTP request.

Used to show the requests in the plan's JSON (what reviewers read), by apply to send them (and
to read their answers: :func:`written_block`, :func:`written_bids`), and by apply's check of a
saved plan, which re-derives every request and refuses a file whose
recorded requests differ. Which requests depends on the target's ancillary API (D18):

- ``legacy``: one request per change, a schedule update (D1) or one product's bids (D12);
- ``unified``: a schedule update per schedule change, and one ``POST …/ancillary/bids`` per
  asset, market group (FCR; aFRR capacity and energy together) and capacity phase (D16): an
  asset's bid changes that free wholesale capacity go in one POST per market group before its
  schedule is written, those that take capacity in one POST per market group after it. So an
  asset's FCR products travel in one request, or in two when some must go before the schedule
  and some after.

Requests come in the order of the changes they carry (each at its first change's place): given
changes in :func:`~reconciler.plan.model.write_order`, capacity order holds and, within a phase,
the request holding the earliest deadline goes first. A grouped request must be sent by its
earliest change's deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.plan.model import BidChange, Change, ScheduleChange
from reconciler.platform.ancillary import AncillaryApi
from reconciler.platform.models import Block, ProductBids
from reconciler.platform.wire.assets import parse_block
from reconciler.platform.wire.bids import parse_product_bids
from reconciler.platform.wire.unified import MarketGroup, market_group
from reconciler.platform.wire.writes import (
    Request,
    ancillary_bids_request,
    bids_request,
    schedule_request,
)

Requests = list[tuple[Request, tuple[Change, ...]]]


def _single(change: Change, organisation: str) -> Request:
    if isinstance(change, ScheduleChange):
        return schedule_request(organisation, change.virtual_asset, change.block, change.after)
    return bids_request(organisation, change.virtual_asset, change.product, change.after)


def _group_key(change: Change) -> tuple[str, MarketGroup, int] | None:
    """Which POST of D18 a change rides in (None: a request of its own)."""
    if not isinstance(change, BidChange):
        return None
    return change.virtual_asset, market_group(change.product.market), change.phase


def requests_for(changes: Sequence[Change], organisation: str, api: AncillaryApi) -> Requests:
    """The requests that make ``changes`` through ``api``, each with the changes it carries."""
    if api is AncillaryApi.LEGACY:
        return [(_single(change, organisation), (change,)) for change in changes]
    groups: dict[tuple[str, MarketGroup, int] | int, list[Change]] = {}
    for index, change in enumerate(changes):
        groups.setdefault(_group_key(change) or index, []).append(change)
    requests: Requests = []
    for carried in groups.values():
        first = carried[0]
        if isinstance(first, ScheduleChange):
            request = _single(first, organisation)
        else:
            items = [(c.product, c.after) for c in carried if isinstance(c, BidChange)]
            request = ancillary_bids_request(organisation, first.virtual_asset, items)
        requests.append((request, tuple(carried)))
    return requests


__all__ = ["Request", "Requests", "requests_for"]


def written_block(answer: Any) -> Block:
    """The block a schedule write answers with (over its default window, not every period)."""
    return parse_block(answer)


def written_bids(answer: Any) -> list[ProductBids]:
    """The products' bids a bid write answers with (either API)."""
    return parse_product_bids(answer)
