"""The write requests, built from domain values: one schedule update (D1), one product's bids (D12),
the bids of several products of one market group (D18).

A plan's changes carry what to write (periods and kW, bids of a product); the request on the wire
(method, path, body) is derived here and nowhere else, so the plan file shows reviewers exactly
what apply will send, and apply can re-derive and compare it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.market import ProductDateCode
from reconciler.platform.jsonio import fingerprint
from reconciler.platform.models import Bid
from reconciler.platform.wire.bids import bids_body, product_bids_path
from reconciler.platform.wire.paths import segment, va_path
from reconciler.platform.wire.schedule import SCHEDULE_UPDATE_METHOD, schedule_update_body
from reconciler.platform.wire.unified import BIDS_PATH, POST_METHOD, POST_REPLACES, post_body
from reconciler.rules.units import exact_number

BIDS_UPDATE_METHOD = "PUT"  # D12: one PUT per productDateCode creates, replaces or (with []) deletes


@dataclass(frozen=True)
class Request:
    """One HTTP request exactly as apply sends it (``path`` relative to the API base URL)."""

    method: str
    path: str
    body: Any
    retryable: bool = field(default=True, compare=False)  # sending it twice leaves the same state

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body}

    def same_as(self, other: Request) -> bool:
        """The same request: method and path as text, bodies as JSON values (``2000`` equals
        ``2000.0``, key order does not matter). Python's ``==`` is that equality on plain JSON
        values, at a fraction of the fingerprints' cost (a year of periods is 35 040 points a
        side); only a bool breaks it (``True == 1``), so other bodies are fingerprinted."""
        if (self.method, self.path) != (other.method, other.path):
            return False
        if _plain(self.body) and _plain(other.body):
            return bool(self.body == other.body)
        return fingerprint(self.body) == fingerprint(other.body)


_PLAIN_LEAVES = frozenset({str, int, Decimal, type(None)})


def _plain(value: Any) -> bool:
    """Only dicts, lists, strings, ints, Decimals and None: no bool, no float, nothing else."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind not in _PLAIN_LEAVES:
            return False
    return True


def schedule_request(
    organisation: str, va_id: str, block_id: str, points: Mapping[datetime, Decimal]
) -> Request:
    """D1: the changed periods of one wholesale block, powers as exact numbers."""
    exact = {kw: Decimal(exact_number(kw)) for kw in set(points.values())}  # each distinct power once
    return Request(
        SCHEDULE_UPDATE_METHOD,
        va_path(organisation, va_id, "blocks", segment(block_id)),
        schedule_update_body({moment: exact[kw] for moment, kw in points.items()}),
    )


def _exact_bids(bids: Sequence[Bid]) -> list[Bid]:
    def exact(value: Decimal | None) -> Decimal | None:
        return None if value is None else Decimal(exact_number(value))

    return [
        Bid(Decimal(exact_number(b.offered_capacity)), exact(b.capacity_price), exact(b.energy_price))
        for b in bids
    ]


def bids_request(organisation: str, va_id: str, code: ProductDateCode, bids: Sequence[Bid]) -> Request:
    """D12: the bids of one product (``[]`` deletes them), numbers exact."""
    body = bids_body(code.market, _exact_bids(bids))
    return Request(BIDS_UPDATE_METHOD, va_path(organisation, va_id, product_bids_path(code)), body)


def ancillary_bids_request(
    organisation: str, va_id: str, items: Sequence[tuple[ProductDateCode, Sequence[Bid]]]
) -> Request:
    """D18: the bids of several products of one market group in one POST, numbers exact."""
    body = post_body([(code, _exact_bids(bids)) for code, bids in items])
    return Request(POST_METHOD, va_path(organisation, va_id, BIDS_PATH), body, retryable=POST_REPLACES)
