"""What a plan needs to read, from the manifests alone (issue 12: read only what they manage).

Pure: the reading itself is :func:`reconciler.platform.reading.read_live`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from reconciler.manifest import Manifest
from reconciler.market import DEFAULT_MARKET_TIMES, MarketTimes, bid_deadline, revalidation_moment
from reconciler.platform.reading import ReadScope


def read_scope(manifest: Manifest) -> ReadScope:
    """Bids and results only for the delivery days the manifest's bids mention; with ``prune:
    true`` for every day still open for bidding (an undeclared bid there is deleted). A manifest
    without bid sections reads none. The cone of flexibility (D19) only for a managed schedule."""
    sections = [section for section in (manifest.fcr, manifest.afrr) if section is not None]
    return ReadScope(
        bid_days=frozenset(bid.code.day for bid in manifest.bids),
        open_days=any(section.prune for section in sections),
        schedule=manifest.wholesale is not None,
    )


def read_scopes(manifests: Iterable[Manifest]) -> dict[str, ReadScope]:
    return {manifest.virtual_asset: read_scope(manifest) for manifest in manifests}


def earliest_deadline(
    manifests: Sequence[Manifest], now: datetime, times: MarketTimes = DEFAULT_MARKET_TIMES
) -> datetime | None:
    """The earliest moment after ``now`` by which a write of these manifests must be made: a bid's
    deadline (D14), or a declared period's re-validation (7 minutes before it: the latest it can
    still be editable). Reads need not retry past it: the plan would come too late for that write."""
    moments = [bid_deadline(bid.code, times) for manifest in manifests for bid in manifest.bids]
    for manifest in manifests:
        if manifest.wholesale is not None:  # points come in time order: the first still ahead
            moments += [
                next((m for t in manifest.wholesale.points if (m := revalidation_moment(t)) > now), now)
            ]
    return min((moment for moment in moments if moment > now), default=None)
