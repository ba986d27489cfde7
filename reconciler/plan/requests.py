"""The one place a change becomes an HTTP request.

Used to show each change's request in the plan's JSON (what reviewers read), by apply to send it,
and by apply's check of a saved plan, which re-derives every request and refuses a file whose
recorded request differs. Today every change is one request (D1, D12); the unified ancillary API
(D18: one ``POST …/ancillary/bids`` per market group and asset) would group an asset's bid
changes here, and callers already take ``(request, changes)`` pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.plan.model import Change, ScheduleChange
from reconciler.platform.wire.writes import Request, bids_request, schedule_request


def request_for(change: Change, organisation: str) -> Request:
    if isinstance(change, ScheduleChange):
        return schedule_request(organisation, change.virtual_asset, change.block, change.after)
    return bids_request(organisation, change.virtual_asset, change.product, change.after)


def requests_for(changes: Sequence[Change], organisation: str) -> list[tuple[Request, tuple[Change, ...]]]:
    """The requests that make ``changes``, in their order, each with the changes it carries."""
    return [(request_for(change, organisation), (change,)) for change in changes]


__all__ = ["Request", "request_for", "requests_for"]
