"""``make_plan``: a pure function of the manifests, the live state and ``now``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reconciler.core.diagnostics import Diagnostic, Severity, located
from reconciler.manifest import Manifest
from reconciler.market import DEFAULT_MARKET_TIMES, MarketTimes, ProductDateCode, parse_product_date_code
from reconciler.plan.causes import Cause, DriftEntry, bid_drift
from reconciler.plan.changes import committed_now, diff_bids, diff_schedule, schedule_change
from reconciler.plan.checks import (
    check_ancillary_capacity,
    check_lifetime,
    check_locked,
    check_wholesale_capacity,
    wholesale_capacity_after,
)
from reconciler.plan.model import Change, ChangeKind, Plan, Prediction, TargetInfo, write_order
from reconciler.plan.predict import bid_predictions, project
from reconciler.platform.live import LiveAsset, LiveState


@dataclass
class AssetPlan:
    changes: list[Change] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)
    drift: list[DriftEntry] = field(default_factory=list)
    soc: list[tuple[datetime, float]] = field(default_factory=list)
    soc_bounds: tuple[float, float] = (0.0, 100.0)


def make_plan(
    manifests: Sequence[Manifest],
    live: LiveState,
    now: datetime,
    target: TargetInfo,
    extra: Iterable[Diagnostic] = (),
    market_times: MarketTimes = DEFAULT_MARKET_TIMES,
) -> Plan:
    parts: list[AssetPlan] = []
    diagnostics = list(extra)
    fingerprints: dict[str, str] = {}
    soc: dict[str, list[tuple[datetime, float]]] = {}
    soc_bounds: dict[str, tuple[float, float]] = {}
    for manifest in manifests:
        asset = live.assets.get(manifest.virtual_asset)
        if manifest.virtual_asset in live.failed:
            diagnostics.append(_read_failed(manifest, live.failed[manifest.virtual_asset]))
            continue
        if asset is None:
            diagnostics.append(_unknown_asset(manifest, target.organisation))
            continue
        fingerprints.update(asset.fingerprints)
        part = plan_asset(manifest, asset, now, target.organisation, market_times)
        parts.append(part)
        if part.changes:
            soc[manifest.name] = part.soc
            soc_bounds[manifest.name] = part.soc_bounds
    return Plan(
        target=target,
        now=now,
        changes=tuple(write_order([c for p in parts for c in p.changes])),
        diagnostics=tuple(diagnostics + [d for p in parts for d in p.diagnostics]),
        predictions=tuple(
            sorted((x for p in parts for x in p.predictions), key=lambda x: (x.address, x.time, x.reason))
        ),
        fingerprints=fingerprints,
        drift=tuple(d for p in parts for d in p.drift),
        soc=soc,
        soc_bounds=soc_bounds,
    )


def plan_asset(
    manifest: Manifest,
    asset: LiveAsset,
    now: datetime,
    organisation: str,
    market_times: MarketTimes = DEFAULT_MARKET_TIMES,
) -> AssetPlan:
    part = AssetPlan()
    part.diagnostics += check_lifetime(manifest, asset)
    schedule = diff_schedule(manifest, asset, now)
    part.diagnostics += check_locked(manifest, asset, schedule)
    bids = diff_bids(manifest, asset, organisation, now, market_times)
    part.diagnostics += bids.diagnostics
    part.changes += bids.changes
    if (change := schedule_change(manifest, asset, organisation, schedule)) is not None:
        part.changes.append(change)

    before = committed_now(asset)
    changed_codes = [_code(c) for c in bids.changes]
    refused = check_ancillary_capacity(manifest, asset, bids.final, changed_codes)
    part.diagnostics += refused.values()
    # a bid that does not fit will be refused: it moves no capacity out of the wholesale block
    committed = {code: kw for code, kw in bids.final.items() if code not in refused}
    committed.update({code: before[code] for code in refused if code in before})
    capacity = wholesale_capacity_after(asset, before, committed)
    affected = set(schedule.writes) | {t for code in changed_codes for t in code.periods() if t in capacity}
    part.diagnostics += check_wholesale_capacity(
        manifest, asset, schedule.final, capacity, {t for t in affected if t >= now}
    )

    projection = project(manifest, asset, schedule.final, now)
    part.predictions += projection.predictions + bid_predictions(manifest, changed_codes, before, committed)
    part.diagnostics += projection.diagnostics
    part.soc = projection.soc
    part.soc_bounds = projection.bounds
    part.drift += list(schedule.drift) + [
        d for d in bid_drift(manifest, asset, now) if d.cause is Cause.AUCTION_RESULT
    ]
    return part


def _unknown_asset(manifest: Manifest, organisation: str) -> Diagnostic:
    return located(
        Severity.ERROR,
        "unknown-virtual-asset",
        f"virtual asset {manifest.virtual_asset} does not exist in organisation {organisation} "
        "(or this account may not dispatch it)",
        manifest.source,
        manifest.name,
        expected="a virtual asset of the target's organisation",
        found=manifest.virtual_asset,
    )


def _read_failed(manifest: Manifest, failure: str) -> Diagnostic:
    """A read of this asset failed through every retry: it is not planned, the others are."""
    return located(
        Severity.ERROR,
        "read-failed",
        f"{manifest.name} (virtual asset {manifest.virtual_asset}) is not planned: its live state "
        f"could not be read: {failure}",
        manifest.source,
        manifest.name,
    )


def _code(change: Change) -> ProductDateCode:
    assert change.kind is not ChangeKind.SCHEDULE
    return parse_product_date_code(change.address.rsplit("/", 1)[1])
