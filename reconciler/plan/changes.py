"""The pure diff: desired state vs live state at ``now`` -> the minimal writes.

Per wholesale block one PUT carrying only the changed editable periods; per bid product one PUT
(``[]`` only under ``prune: true``). Differences that can't be written (frozen or soft-locked
periods) and live bids nobody declared come back as diagnostics, never as writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

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
    parse_product_date_code,
    period_state,
)
from reconciler.plan.causes import PLATFORM_CAUSES, DriftEntry, drift_entry, same_bid, schedule_differences
from reconciler.plan.fmt import local
from reconciler.plan.model import Action, Change, ChangeKind, Request
from reconciler.platform.live import LiveAsset
from reconciler.platform.models import Bid, ProductBids
from reconciler.platform.wire.bids import bids_body, product_bids_path
from reconciler.platform.wire.paths import segment, va_path
from reconciler.platform.wire.schedule import SCHEDULE_UPDATE_METHOD, schedule_update_body
from reconciler.rules.bids import accepted_capacity, check_bid_timing
from reconciler.rules.units import exact_number, json_number

T = TypeVar("T")


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
            drift.append(drift_entry(manifest, period, wanted, current, why))
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


def schedule_change(
    manifest: Manifest, asset: LiveAsset, organisation: str, diff: ScheduleDiff
) -> Change | None:
    if not diff.writes:
        return None
    va = asset.va
    points = sorted(diff.writes.items())
    zero = Decimal(0)
    live = asset.wholesale.schedule
    before = [live.get(t, zero) for t, _ in points]
    # A schedule repeats a few powers over many periods: convert each distinct one once (equal
    # Decimals, like 1000 and 1.0E+3, convert alike in json_number and exact_number).
    exact = {kw: Decimal(exact_number(kw)) for kw in set(diff.writes.values())}
    number = {kw: json_number(kw) for kw in {*exact, *before}}
    body = schedule_update_body({t: exact[kw] for t, kw in points})
    block_id = va.wholesale_block_id or ""
    stamps = [item["time"] for item in body["schedule"]]  # the periods of ``points``, in order
    return Change(
        address=f"{manifest.name}/wholesale",
        kind=ChangeKind.SCHEDULE,
        action=Action.UPDATE,
        asset=manifest.name,
        virtual_asset=va.id,
        before={stamp: number[kw] for stamp, kw in zip(stamps, before, strict=True)},
        after={stamp: number[kw] for stamp, (_, kw) in zip(stamps, points, strict=True)},
        request=Request(
            SCHEDULE_UPDATE_METHOD, va_path(organisation, va.id, "blocks", segment(block_id)), body
        ),
        deadline=editable_until(points[0][0], va.dispatch_gate_closure_seconds),  # the earliest period's
        phase=1,
    )


# --- bids --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidDiff:
    changes: tuple[Change, ...]
    diagnostics: tuple[Diagnostic, ...]
    final: Mapping[ProductDateCode, int]  # committed kW per capacity product after the plan


def _wire_bid(bid: DesiredBid | Bid) -> Bid:
    """A bid as the D12 wire adapter sends it, numbers exact (an int when whole)."""
    if isinstance(bid, DesiredBid):
        offered, capacity_price, energy_price = bid.offered_kw, bid.capacity_price, bid.energy_price
    else:
        offered, capacity_price, energy_price = bid.offered_capacity, bid.capacity_price, bid.energy_price

    def exact(value: Decimal | None) -> Decimal | None:
        return None if value is None else Decimal(exact_number(value))

    return Bid(Decimal(exact_number(offered)), exact(capacity_price), exact(energy_price))


def diff_bids(
    manifest: Manifest,
    asset: LiveAsset,
    organisation: str,
    now: datetime,
    times: MarketTimes = DEFAULT_MARKET_TIMES,
) -> BidDiff:
    """``times``: the target's D14 times (a sandbox fixture may override the defaults)."""
    changes: list[Change] = []
    diagnostics: list[Diagnostic] = []
    sections: list[tuple[str, BidSection | None, ChangeKind, set[Market]]] = [
        ("fcr", manifest.fcr, ChangeKind.FCR_BID, {Market.FCR}),
        ("afrr", manifest.afrr, ChangeKind.AFRR_BID, {Market.AFRR_CAPACITY, Market.AFRR_ENERGY}),
    ]
    for key, section, kind, markets in sections:
        desired = {bid.code: bid for bid in section.bids} if section else {}
        live = {code: p for code, p in asset.bids.items() if code.market in markets and p.bids}
        for code in sorted(set(desired) | set(live)):
            want = desired.get(code)
            have = live.get(code)
            address = f"{manifest.name}/{key}/{code}"
            if want is None:
                if now > bid_deadline(code, times):
                    continue  # a closed product the manifest no longer lists is history: leave it
                if section is not None and section.prune and have is not None:
                    changes.append(
                        _bid_change(manifest, asset, organisation, kind, address, code, have, None, times)
                    )
                elif have is not None:
                    diagnostics.append(_unmanaged(manifest, address, code, have, section))
                continue
            if have is not None and len(have.bids) == 1 and same_bid(want, have.bids[0]):
                continue
            changes.append(_bid_change(manifest, asset, organisation, kind, address, code, have, want, times))

    diagnostics += [d for change in changes if (d := _deadline_problem(manifest, change, now, times))]
    final = _committed_after(asset, changes)
    return BidDiff(tuple(changes), tuple(diagnostics), final)


def _bid_change(
    manifest: Manifest,
    asset: LiveAsset,
    organisation: str,
    kind: ChangeKind,
    address: str,
    code: ProductDateCode,
    have: ProductBids | None,
    want: DesiredBid | None,
    times: MarketTimes = DEFAULT_MARKET_TIMES,
) -> Change:
    market = code.market
    before = bids_body(market, [_wire_bid(b) for b in have.bids]) if have else []
    after = bids_body(market, [_wire_bid(want)]) if want else []
    action = Action.CREATE if not before else Action.DELETE if not after else Action.UPDATE
    live_kw = sum((accepted_capacity(b.offered_capacity) for b in have.bids), 0) if have else 0
    want_kw = accepted_capacity(want.offered_kw) if want else 0
    frees = market is Market.AFRR_ENERGY or want_kw <= live_kw
    return Change(
        address=address,
        kind=kind,
        action=action,
        asset=manifest.name,
        virtual_asset=asset.va.id,
        before=before,
        after=after,
        request=Request("PUT", va_path(organisation, asset.va.id, product_bids_path(code)), after),
        deadline=bid_deadline(code, times),
        phase=0 if frees else 2,
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


def _committed_after(asset: LiveAsset, changes: Sequence[Change]) -> dict[ProductDateCode, int]:
    """Capacity-product kW committed per code once the plan's bid writes are in."""
    committed = committed_now(asset)
    for change in changes:
        if change.kind is ChangeKind.SCHEDULE:
            continue
        code = _code_of(change)
        if code.market is Market.AFRR_ENERGY:
            continue
        committed[code] = sum(accepted_capacity(Decimal(str(b["offeredCapacity"]))) for b in change.after)
    return committed


def _code_of(change: Change) -> ProductDateCode:
    return parse_product_date_code(change.address.rsplit("/", 1)[1])


def _deadline_problem(
    manifest: Manifest, change: Change, now: datetime, times: MarketTimes = DEFAULT_MARKET_TIMES
) -> Diagnostic | None:
    code = _code_of(change)
    source = _bid_source(manifest, code)
    refused = check_bid_timing(code, now, times)  # the sandbox's rule (D14)
    if refused is not None and refused.code != "bid-not-open":
        message = f"bidding for {code} closed at {local(change.deadline)}; this {change.action} can't be made"
        return located(Severity.ERROR, "bid-deadline-passed", message, source, change.address)
    if refused is not None:
        message = f"bidding for {code} opens at {local(bid_opening(code, times))}; this {change.action} can't be made yet"
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
    manifest: Manifest, address: str, code: ProductDateCode, have: ProductBids, section: BidSection | None
) -> Diagnostic:
    offered = ", ".join(f"{json_number(b.offered_capacity)} kW" for b in have.bids)
    message = (
        f"{code} has a live bid ({offered}) that the manifest does not declare; left alone "
        "(declare it, or set prune: true to delete undeclared bids)"
    )
    return located(
        Severity.WARNING, "unmanaged-bid", message, section.source if section else manifest.source, address
    )
