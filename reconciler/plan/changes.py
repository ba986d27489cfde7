"""The pure diff: desired state vs live state at ``now`` -> the minimal writes.

Per wholesale block one change of only its changed editable periods; per bid product one change
(deleting only under ``prune: true``). Changes are domain values; their requests are derived in
:mod:`reconciler.plan.requests`. Differences that can't be written (frozen or soft-locked
periods) and live bids nobody declared come back as diagnostics, never as writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.core.diagnostics import Diagnostic, Severity, located
from reconciler.manifest import BidSection, DesiredBid, Manifest
from reconciler.market import (
    DEADLINE_MARGIN,
    DEFAULT_MARKET_TIMES,
    Market,
    MarketTimes,
    PeriodState,
    ProductDateCode,
    bid_deadline,
    bid_opening,
    editable_until,
    period_state,
)
from reconciler.plan.causes import PLATFORM_CAUSES, DriftEntry, drift_entry, same_bid, schedule_differences
from reconciler.plan.fmt import local
from reconciler.plan.model import Action, BidChange, ScheduleChange, bid_address
from reconciler.platform.live import LiveAsset
from reconciler.platform.models import Bid, ProductBids
from reconciler.rules.bids import accepted_capacity, check_bid_timing
from reconciler.rules.units import exact_number, json_number


@dataclass(frozen=True)
class ScheduleDiff:
    """Where desired and live differ on one wholesale block, split by what can be written."""

    writes: Mapping[datetime, Decimal]  # editable periods -> desired kW
    locked: Mapping[datetime, tuple[Decimal, Decimal, PeriodState]]  # period -> (desired, live, state)
    drift: tuple[DriftEntry, ...]  # differences the platform caused: never written
    final: Mapping[datetime, Decimal]  # the live schedule with the writes applied


def diff_schedule(manifest: Manifest, asset: LiveAsset, now: datetime) -> ScheduleDiff:
    live = asset.wholesale.schedule
    gate = asset.va.dispatch_gate_closure_seconds
    writes: dict[datetime, Decimal] = {}
    locked: dict[datetime, tuple[Decimal, Decimal, PeriodState]] = {}
    drift: list[DriftEntry] = []
    editable = False  # differences come in time order, and a later period is never more locked
    for period, wanted, current, why in schedule_differences(manifest, asset, now):
        if why[0] in PLATFORM_CAUSES:
            drift.append(drift_entry(manifest, asset, now, period, wanted, current, why))
            continue
        state = PeriodState.EDITABLE if editable else period_state(period, now, gate)
        if state is PeriodState.EDITABLE:
            editable = True
            writes[period] = wanted
        else:
            locked[period] = (wanted, current, state)
    final = dict(live)
    final.update(writes)
    return ScheduleDiff(writes=writes, locked=locked, drift=tuple(drift), final=final)


def schedule_change(manifest: Manifest, asset: LiveAsset, diff: ScheduleDiff) -> ScheduleChange | None:
    if not diff.writes:
        return None
    va = asset.va
    live = asset.wholesale.schedule
    zero = Decimal(0)
    first = min(diff.writes)
    return ScheduleChange(
        asset=manifest.name,
        virtual_asset=va.id,
        block=va.wholesale_block_id or "",
        before={t: live.get(t, zero) for t in diff.writes},
        after=dict(diff.writes),
        deadline=editable_until(first, va.dispatch_gate_closure_seconds),  # the earliest period's
    )


# --- bids --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidDiff:
    changes: tuple[BidChange, ...]
    diagnostics: tuple[Diagnostic, ...]  # bids that can't be written now are errors, not changes


def _exact(bid: DesiredBid | Bid) -> Bid:
    """A bid with exact numbers (an int when whole), declared or live alike."""
    if isinstance(bid, DesiredBid):
        offered, capacity_price, energy_price = bid.offered_kw, bid.capacity_price, bid.energy_price
    else:
        offered, capacity_price, energy_price = bid.offered_capacity, bid.capacity_price, bid.energy_price

    def exact(value: Decimal | None) -> Decimal | None:
        return None if value is None else Decimal(exact_number(value))

    return Bid(Decimal(exact_number(offered)), exact(capacity_price), exact(energy_price))


def diff_bids(
    manifest: Manifest, asset: LiveAsset, now: datetime, times: MarketTimes = DEFAULT_MARKET_TIMES
) -> BidDiff:
    """``times``: the target's D14 times (a sandbox fixture may override the defaults)."""
    changes: list[BidChange] = []
    diagnostics: list[Diagnostic] = []
    sections: list[tuple[BidSection | None, set[Market]]] = [
        (manifest.fcr, {Market.FCR}),
        (manifest.afrr, {Market.AFRR_CAPACITY, Market.AFRR_ENERGY}),
    ]
    for section, markets in sections:
        desired = {bid.code: bid for bid in section.bids} if section else {}
        live = {code: p for code, p in asset.bids.items() if code.market in markets and p.bids}
        for code in sorted(set(desired) | set(live)):
            want = desired.get(code)
            have = live.get(code)
            if want is None:
                if now > bid_deadline(code, times):
                    continue  # a closed product the manifest no longer lists is history: leave it
                if section is not None and section.prune and have is not None:
                    change = _bid_change(manifest, asset, code, have, None, times)
                elif have is not None:
                    diagnostics.append(_unmanaged(manifest, code, have, section))
                    continue
                else:
                    continue
            elif have is not None and len(have.bids) == 1 and same_bid(want, have.bids[0]):
                continue
            else:
                change = _bid_change(manifest, asset, code, have, want, times)
            problem = _deadline_problem(manifest, change, now, times)
            if problem is not None:
                diagnostics.append(problem)
            if problem is None or not problem.is_error:
                changes.append(change)
    return BidDiff(tuple(changes), tuple(diagnostics))


def _bid_change(
    manifest: Manifest,
    asset: LiveAsset,
    code: ProductDateCode,
    have: ProductBids | None,
    want: DesiredBid | None,
    times: MarketTimes = DEFAULT_MARKET_TIMES,
) -> BidChange:
    return BidChange(
        asset=manifest.name,
        virtual_asset=asset.va.id,
        product=code,
        before=tuple(_exact(b) for b in have.bids) if have else (),
        after=(_exact(want),) if want else (),
        deadline=bid_deadline(code, times),
    )


def committed_now(asset: LiveAsset) -> dict[ProductDateCode, int]:
    """Capacity-product kW committed per code: offered until results, accepted after (D16, D17)."""
    committed = {
        code: sum(accepted_capacity(b.offered_capacity) for b in product.bids)
        for code, product in asset.bids.items()
        if code.market is not Market.AFRR_ENERGY
    }
    for code, result in asset.results.items():
        if code.market is not Market.AFRR_ENERGY and result.results:
            committed[code] = sum(
                accepted_capacity(r.accepted_capacity) for r in result.results if r.accepted
            )
    return committed


def committed_after(asset: LiveAsset, changes: Iterable[BidChange]) -> dict[ProductDateCode, int]:
    """Capacity-product kW committed per code once ``changes`` are written."""
    committed = committed_now(asset)
    for change in changes:
        if change.holds_capacity:
            committed[change.product] = sum(accepted_capacity(b.offered_capacity) for b in change.after)
    return committed


def _deadline_problem(
    manifest: Manifest, change: BidChange, now: datetime, times: MarketTimes = DEFAULT_MARKET_TIMES
) -> Diagnostic | None:
    """A bid past its deadline (or its results), or not open yet, can't be written: an error on
    that bid alone, and no change (the sandbox's rule, D14). One close to its deadline is planned
    with a warning."""
    code = change.product
    source = _bid_source(manifest, code)
    verb = {Action.CREATE: "placed", Action.UPDATE: "changed", Action.DELETE: "deleted"}[change.action]
    refused = check_bid_timing(code, now, times)
    if refused is not None and refused.code != "bid-not-open":
        message = f"bidding for {code} closed at {local(change.deadline)}; this bid can't be {verb} any more"
        return located(
            Severity.ERROR,
            "bid-deadline-passed",
            message,
            source,
            change.address,
            expected=f"a write before {local(change.deadline)}",
            found=f"now {local(now)}",
        )
    if refused is not None:
        message = (
            f"bidding for {code} opens at {local(bid_opening(code, times))}; this bid can't be {verb} yet"
        )
        return located(Severity.ERROR, "bid-not-open", message, source, change.address)
    if change.deadline - now <= DEADLINE_MARGIN:
        left = int((change.deadline - now).total_seconds())
        message = (
            f"bidding for {code} closes at {local(change.deadline)}, in {left // 60} min {left % 60:02d} s: "
            f"apply this {change.action} before then"
        )
        return located(Severity.WARNING, "bid-deadline-near", message, source, change.address)
    return None


def _bid_source(manifest: Manifest, code: ProductDateCode) -> Any:
    section = manifest.fcr if code.market is Market.FCR else manifest.afrr
    if section is None:
        return manifest.source
    return next((bid.source for bid in section.bids if bid.code == code), section.source)


def _unmanaged(
    manifest: Manifest, code: ProductDateCode, have: ProductBids, section: BidSection | None
) -> Diagnostic:
    offered = ", ".join(f"{json_number(b.offered_capacity)} kW" for b in have.bids)
    message = (
        f"{code} has a live bid ({offered}) that the manifest does not declare; left alone "
        "(declare it, or set prune: true to delete undeclared bids)"
    )
    return located(
        Severity.WARNING,
        "unmanaged-bid",
        message,
        section.source if section else manifest.source,
        bid_address(manifest.name, code),
    )
