"""When live state can change for the managed assets: the moments ``watch`` wakes at.

For every managed period its re-validation (start − 7 min, D7), its gate closure, and the moment
its pending write comes within ``DEADLINE_MARGIN`` of that gate; for every managed bid its
deadline, that deadline less ``DEADLINE_MARGIN``, and its result publication (D14). Pure: the
loop asks for the first moment after the last cycle and reads again once the target's clock has
passed it (plus :data:`WAKE_LAG` on a real platform).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from reconciler.manifest import Manifest
from reconciler.market import (
    DEADLINE_MARGIN,
    bid_deadline,
    gate_closure,
    result_publication,
    revalidation_moment,
)
from reconciler.plan.causes import schedule_scope
from reconciler.platform.live import LiveState

WAKE_LAG = timedelta(seconds=5)
"""How long after a moment watch reads a real platform: it needs a moment to re-validate or
publish (its processing time is not documented; an assumption, README). An emulator runs its
events as its clock passes them, so it is read at once."""


def moments(manifests: Sequence[Manifest], live: LiveState, after: datetime) -> Iterator[datetime]:
    """Every moment later than ``after`` that can change what watch reports (unsorted)."""
    for manifest in manifests:
        asset = live.assets.get(manifest.virtual_asset)
        if asset is None:
            continue
        gate_seconds = asset.va.dispatch_gate_closure_seconds
        # periods whose re-validation is still ahead, plus the ones between re-validation and gate
        for period in schedule_scope(manifest, asset, after - timedelta(hours=1)):
            gate = gate_closure(period, gate_seconds)
            yield from (revalidation_moment(period), gate, gate - DEADLINE_MARGIN)
        for bid in manifest.bids:
            deadline = bid_deadline(bid.code)
            yield from (deadline, deadline - DEADLINE_MARGIN, result_publication(bid.code))


def next_wake(manifests: Sequence[Manifest], live: LiveState, after: datetime) -> datetime | None:
    """The first moment strictly after ``after``, or None when nothing is ahead."""
    return min((m for m in moments(manifests, live, after) if m > after), default=None)
