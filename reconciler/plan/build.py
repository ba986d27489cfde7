"""``make_plan``: a pure function of the manifests, the live state and ``now``.

Errors stay with the object they are about. An error about an asset (not found, another
organisation, a manifest with errors, a failed read) holds back that asset; one about its
schedule or one bid product holds back that object and what depends on it in capacity order
(D16), which is found by planning the asset's writes in the order apply makes them, as the
platform will check them. The other objects are planned. An error about no object (none reaches
here: the run stops before) holds back everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from reconciler.core.diagnostics import Diagnostic, Severity, located
from reconciler.manifest import Manifest, ScheduleMode
from reconciler.market import DEFAULT_MARKET_TIMES, MarketTimes, ProductDateCode
from reconciler.plan.causes import Cause, DriftEntry, bid_drift
from reconciler.plan.changes import (
    committed_after,
    committed_now,
    diff_bids,
    diff_schedule,
    schedule_change,
)
from reconciler.plan.checks import (
    check_ancillary_capacity,
    check_lifetime,
    check_locked,
    check_wholesale_capacity,
    wholesale_capacity_after,
)
from reconciler.plan.cone import cut_at_revalidation, rejected_outside_cone
from reconciler.plan.fmt import local
from reconciler.plan.model import (
    BidChange,
    Change,
    Phase,
    Plan,
    Prediction,
    ScheduleChange,
    TargetInfo,
    write_order,
)
from reconciler.plan.predict import bid_predictions, project
from reconciler.plan.resolve import Resolution
from reconciler.plan.selection import EVERYTHING, Selection
from reconciler.platform.live import LiveAsset, LiveState
from reconciler.rules.capacity import check_wholesale_fit
from reconciler.rules.units import json_number


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
    selection: Selection = EVERYTHING,
    market_times: MarketTimes = DEFAULT_MARKET_TIMES,
) -> Plan:
    builder = PlanBuilder(manifests, now, target, selection, market_times)
    for va_id, asset in live.assets.items():
        builder.add(va_id, asset)
    return builder.finish(live, extra)


class PlanBuilder:
    """:func:`make_plan` in two steps, so that each asset is planned as soon as its live state is
    read and then let go (:func:`reconciler.platform.reading.read_live` with ``on_asset``): what
    the plan needs of an asset is kept, its live state is not. The plan is the same whatever
    order the assets come in."""

    def __init__(
        self,
        manifests: Sequence[Manifest],
        now: datetime,
        target: TargetInfo,
        selection: Selection = EVERYTHING,
        market_times: MarketTimes = DEFAULT_MARKET_TIMES,
    ) -> None:
        self.manifests = list(manifests)
        self.now, self.target, self.selection, self.market_times = now, target, selection, market_times
        self._planned: dict[int, tuple[AssetPlan, Mapping[str, str]]] = {}  # by manifest index
        self._indices: dict[str, list[int]] = {}  # the manifests each virtual asset is planned for
        for index, manifest in enumerate(self.manifests):
            if (
                selection.touches_asset(manifest.name)
                and organisation_mismatch(manifest, target.organisation) is None
            ):
                self._indices.setdefault(manifest.virtual_asset, []).append(index)

    def add(self, va_id: str, asset: LiveAsset) -> None:
        """Plan every manifest of ``va_id`` against its live state."""
        for index in self._indices.get(va_id, ()):
            part = plan_asset(self.manifests[index], asset, self.now, self.selection, self.market_times)
            self._planned[index] = (part, asset.fingerprints)

    def finish(self, live: LiveState, extra: Iterable[Diagnostic] = ()) -> Plan:
        """The plan: the parts in manifest order, and an error for each manifest not planned
        (``live`` says which assets are missing or could not be read)."""
        parts: list[AssetPlan] = []
        diagnostics = list(extra)
        fingerprints: dict[str, str] = {}
        soc: dict[str, list[tuple[datetime, float]]] = {}
        soc_bounds: dict[str, tuple[float, float]] = {}
        resolutions: list[Resolution] = []
        exact_scope: dict[str, tuple[date, ...]] = {}
        for index, manifest in enumerate(self.manifests):
            if not self.selection.touches_asset(manifest.name):
                continue
            resolutions += _resolution(manifest)
            if manifest.wholesale is not None and manifest.wholesale.mode is ScheduleMode.EXACT:
                exact_scope[manifest.name] = manifest.wholesale.exact_days
            mismatch = organisation_mismatch(manifest, self.target.organisation)
            if mismatch is not None:
                diagnostics.append(mismatch)
                continue
            if manifest.virtual_asset in live.failed:
                diagnostics.append(_read_failed(manifest, live.failed[manifest.virtual_asset]))
                continue
            if index not in self._planned:
                diagnostics.append(_unknown_asset(manifest, self.target.organisation))
                continue
            part, prints = self._planned[index]
            fingerprints.update(prints)
            parts.append(part)
            if part.changes:
                soc[manifest.name] = part.soc
                soc_bounds[manifest.name] = part.soc_bounds
        diagnostics += [d for p in parts for d in p.diagnostics]
        changes = [c for p in parts for c in p.changes]
        if any(d.is_error and d.address is None for d in diagnostics):
            changes = []  # an error about the whole run: nothing is planned
        return Plan(
            target=self.target,
            now=self.now,
            changes=tuple(write_order(changes)),
            diagnostics=tuple(diagnostics),
            predictions=tuple(
                sorted((x for p in parts for x in p.predictions), key=lambda x: (x.address, x.time, x.reason))
            ),
            fingerprints=fingerprints,
            drift=tuple(d for p in parts for d in p.drift),
            soc=soc,
            soc_bounds=soc_bounds,
            selection=self.selection.patterns,
            resolutions=tuple(resolutions),
            exact_scope=exact_scope,
        )


def _resolution(manifest: Manifest) -> list[Resolution]:
    selector, resolved = manifest.selector, manifest.resolved
    if selector is None or resolved is None:
        return []
    return [
        Resolution(
            manifest.name,
            selector.portfolio,
            selector.day.text,
            manifest.timezone.key,
            resolved.day,
            resolved.virtual_asset,
        )
    ]


def plan_asset(
    manifest: Manifest,
    asset: LiveAsset,
    now: datetime,
    selection: Selection = EVERYTHING,
    market_times: MarketTimes = DEFAULT_MARKET_TIMES,
) -> AssetPlan:
    """``market_times``: the target's D14 times (a sandbox fixture may override the defaults)."""
    part = AssetPlan()
    found: list[Diagnostic] = check_lifetime(manifest, asset)
    diff = diff_schedule(manifest, asset, now)
    rejected = rejected_outside_cone(manifest, asset, diff, now)  # D19: soft-locked, outside the cone
    found += rejected.values()
    others = {period: v for period, v in diff.locked.items() if period not in rejected}
    found += check_locked(manifest, asset, replace(diff, locked=others))
    bids = diff_bids(manifest, asset, now, market_times)
    found += bids.diagnostics
    proposed = schedule_change(manifest, asset, diff)

    def planned(change: Change | None) -> bool:
        held = {d.address for d in found if d.is_error}
        return change is not None and selection.selects(change.address) and change.address not in held

    schedule = proposed if planned(proposed) else None
    candidates = [c for c in bids.changes if planned(c)]
    before = committed_now(asset)
    refused = check_ancillary_capacity(
        manifest, asset, committed_after(asset, candidates), [c.product for c in candidates]
    )
    found += refused.values()
    candidates = [c for c in candidates if c.product not in refused]

    # In the order apply writes (D16): bids that free capacity, the schedule, bids that take it.
    frees = [c for c in candidates if c.phase == Phase.FREES]
    takes = sorted((c for c in candidates if c.phase == Phase.TAKES), key=lambda c: (c.deadline, c.address))
    if schedule is not None:
        writes = {t for t in schedule.after if t >= now}
        capacity = wholesale_capacity_after(asset, before, committed_after(asset, frees), writes)
        misfits = check_wholesale_capacity(manifest, asset, _final(asset, schedule), capacity, writes)
        found += misfits
        schedule = None if misfits else schedule
    final = _final(asset, schedule)
    written: list[BidChange] = list(frees)
    for change in takes:
        conflict = _wholesale_conflict(manifest, asset, final, before, [*written, change], now)
        if conflict is not None:
            found.append(conflict)
        else:
            written.append(change)

    part.changes = [*written, *([schedule] if schedule is not None else [])]
    part.diagnostics = [d for d in found if d.address is None or selection.selects(d.address)]
    committed = committed_after(asset, written)
    projection = project(manifest, asset, final, now)
    predictions, outside = cut_at_revalidation(
        manifest, asset, schedule.after if schedule is not None else {}, projection.predictions, now
    )
    part.predictions += predictions + bid_predictions(
        manifest, [c.product for c in written], before, committed
    )
    part.diagnostics += projection.diagnostics + [d for d in outside if selection.selects(d.address or "")]
    part.soc = projection.soc
    part.soc_bounds = projection.bounds
    drift = list(diff.drift) + [d for d in bid_drift(manifest, asset, now) if d.cause is Cause.AUCTION_RESULT]
    part.drift = [d for d in drift if selection.selects(d.address)]
    return part


def _final(asset: LiveAsset, schedule: ScheduleChange | None) -> dict[datetime, Decimal]:
    """The wholesale schedule once the plan's schedule change (if any) is written."""
    final = dict(asset.wholesale.schedule)
    if schedule is not None:
        final.update(schedule.after)
    return final


def _wholesale_conflict(
    manifest: Manifest,
    asset: LiveAsset,
    final: dict[datetime, Decimal],
    before: Mapping[ProductDateCode, int],
    written: list[BidChange],
    now: datetime,
) -> Diagnostic | None:
    """D16: the platform refuses a bid that leaves the wholesale schedule no room in its window
    (:func:`reconciler.rules.capacity.check_wholesale_fit`), counting the bids written before it."""
    change = written[-1]
    window = [t for t in change.product.periods() if t >= now]
    capacity = wholesale_capacity_after(asset, before, committed_after(asset, written), window)
    rows = [(t, final.get(t, Decimal(0)), capacity[t]) for t in window if t in capacity]
    violation = check_wholesale_fit(rows)
    if violation is None:
        return None
    period, power, left = next(row for row in rows if check_wholesale_fit([row]))
    side, limit = ("discharge", left.discharge) if power > 0 else ("charge", left.charge)
    source = next((b.source for b in manifest.bids if b.code == change.product), manifest.source)
    return located(
        Severity.ERROR,
        violation.code,
        f"{change.product} would leave {json_number(limit)} kW of wholesale {side} capacity at "
        f"{local(period)}, where {json_number(abs(power))} kW are scheduled; the platform refuses the "
        "bid (lower the schedule there first, or offer less)",
        source,
        change.address,
        expected=f"a {side} schedule within {json_number(limit)} kW at {local(period, with_date=False)}",
        found=f"{json_number(abs(power))} kW",
    )


def organisation_mismatch(manifest: Manifest, organisation: str) -> Diagnostic | None:
    if manifest.organisation is None or manifest.organisation == organisation:
        return None
    return located(
        Severity.ERROR,
        "organisation-mismatch",
        f"{manifest.name} declares organisation {manifest.organisation!r} but the target is "
        f"organisation {organisation!r}; it is not planned",
        manifest.ref("spec.organisation"),
        manifest.name,
        expected=organisation,
        found=manifest.organisation,
    )


def _unknown_asset(manifest: Manifest, organisation: str) -> Diagnostic:
    return located(
        Severity.ERROR,
        "unknown-virtual-asset",
        f"virtual asset {manifest.virtual_asset} does not exist in organisation {organisation} "
        "(or this account may not dispatch it)",
        manifest.ref("spec.virtualAsset"),
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
