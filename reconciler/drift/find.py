"""``drift``: every difference between the manifests and live state, each with its cause.

A pure function of the manifests, the live state and ``now``; causes come from
:mod:`reconciler.plan.causes`, the same classification the planner uses to leave platform
corrections alone. Each entry carries its period's state and whether apply could still write it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reconciler.manifest import Manifest
from reconciler.market import isoformat_z
from reconciler.plan.causes import DriftEntry, bid_drift, schedule_drift
from reconciler.plan.model import NotPlanned
from reconciler.plan.resolve import Resolution
from reconciler.plan.selection import EVERYTHING, Selection
from reconciler.platform.live import LiveState

FORMAT_VERSION = "1"


def find_drift(
    manifests: Sequence[Manifest], live: LiveState, now: datetime, selection: Selection = EVERYTHING
) -> list[DriftEntry]:
    entries: list[DriftEntry] = []
    for manifest in manifests:
        asset = live.assets.get(manifest.virtual_asset)
        if asset is None or not selection.touches_asset(manifest.name):
            continue
        entries += schedule_drift(manifest, asset, now) + bid_drift(manifest, asset, now)
    return [e for e in entries if selection.selects(e.address)]


def drift_json(
    entries: Sequence[DriftEntry],
    target: dict[str, object],
    now: datetime,
    selection: Selection = EVERYTHING,
    not_compared: Sequence[NotPlanned] = (),
    resolutions: Sequence[Resolution] = (),
) -> dict[str, object]:
    """The document ``schemas/drift.schema.json`` describes."""
    return {
        "format_version": FORMAT_VERSION,
        "target": target,
        "now": isoformat_z(now),
        "selection": list(selection.patterns),
        "resolved_assets": [r.to_json() for r in resolutions],
        "drift": [e.to_json() for e in entries],
        "not_compared": [n.to_json() for n in not_compared],
    }
