"""``make_plan``: a pure function of the manifests, the live state and ``now``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from reconciler.diagnostics import Diagnostic, Severity
from reconciler.live import LiveAsset, LiveState
from reconciler.manifest import Manifest
from reconciler.market import ProductDateCode, parse_product_date_code
from reconciler.plan.changes import committed_now, diff_bids, diff_schedule, schedule_change
from reconciler.plan.checks import (
    check_ancillary_capacity,
    check_lifetime,
    check_locked,
    check_wholesale_capacity,
    diag,
    wholesale_capacity_after,
)
from reconciler.plan.model import Change, ChangeKind, Plan, Prediction, TargetInfo, write_order
from reconciler.plan.predict import bid_predictions, project


def make_plan(
    manifests: Sequence[Manifest],
    live: LiveState,
    now: datetime,
    target: TargetInfo,
    extra: Iterable[Diagnostic] = (),
) -> Plan:
    changes: list[Change] = []
    diagnostics: list[Diagnostic] = list(extra)
    predictions: list[Prediction] = []
    fingerprints: dict[str, str] = {}
    soc: dict[str, list[tuple[datetime, float]]] = {}
    for manifest in manifests:
        asset = live.assets.get(manifest.virtual_asset)
        if asset is None:
            diagnostics.append(
                diag(
                    Severity.ERROR,
                    "unknown-virtual-asset",
                    f"virtual asset {manifest.virtual_asset} does not exist in organisation {target.organisation} "
                    "(or this account may not dispatch it)",
                    manifest.name,
                    manifest.source,
                    expected="a virtual asset of the target's organisation",
                    found=manifest.virtual_asset,
                )
            )
            continue
        fingerprints.update(asset.fingerprints)
        asset_changes, asset_diags, asset_predictions, asset_soc = plan_asset(
            manifest, asset, now, target.organisation
        )
        changes += asset_changes
        diagnostics += asset_diags
        predictions += asset_predictions
        if asset_changes:
            soc[manifest.name] = asset_soc
    return Plan(
        target=target,
        now=now,
        changes=tuple(write_order(changes)),
        diagnostics=tuple(diagnostics),
        predictions=tuple(sorted(predictions, key=lambda p: (p.address, p.time, p.reason))),
        fingerprints=fingerprints,
        soc=soc,
    )


def plan_asset(
    manifest: Manifest, asset: LiveAsset, now: datetime, organisation: str
) -> tuple[list[Change], list[Diagnostic], list[Prediction], list[tuple[datetime, float]]]:
    diagnostics = check_lifetime(manifest, asset)
    schedule = diff_schedule(manifest, asset, now)
    diagnostics += check_locked(manifest, asset, schedule)
    bids = diff_bids(manifest, asset, organisation, now)
    diagnostics += bids.diagnostics
    changes: list[Change] = list(bids.changes)
    if (change := schedule_change(manifest, asset, organisation, schedule)) is not None:
        changes.append(change)

    before = committed_now(asset)
    changed_codes = [_code(c) for c in bids.changes]
    diagnostics += check_ancillary_capacity(manifest, asset, bids.final, changed_codes)
    capacity = wholesale_capacity_after(asset, before, bids.final)
    affected = set(schedule.writes) | {t for code in changed_codes for t in code.periods() if t in capacity}
    editable_affected = {t for t in affected if t >= now}
    diagnostics += check_wholesale_capacity(manifest, asset, schedule.final, capacity, editable_affected)

    projection = project(manifest, asset, schedule.final, now)
    predictions = projection.predictions + bid_predictions(manifest, changed_codes, before, bids.final)
    return changes, diagnostics + projection.diagnostics, predictions, projection.soc


def _code(change: Change) -> ProductDateCode:
    assert change.kind is not ChangeKind.SCHEDULE
    return parse_product_date_code(change.address.rsplit("/", 1)[1])
