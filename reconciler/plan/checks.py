"""Validation against live data (issue: plan and apply §3): lifetime, locked periods, capacity.

Pure functions of the manifest, the live asset, the planned bid commitments and ``now``. Errors
name the numbers that would fit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from reconciler.core.diagnostics import Diagnostic, Severity, located
from reconciler.manifest import Manifest, SourceRef
from reconciler.market import (
    PERIOD,
    Market,
    PeriodState,
    ProductDateCode,
    day_bounds,
    gate_closure,
    revalidation_moment,
)
from reconciler.plan.changes import ScheduleDiff
from reconciler.plan.fmt import fmt_power, local, time_runs
from reconciler.platform.live import LiveAsset
from reconciler.rules.bids import accepted_capacity, check_bid_lifetime
from reconciler.rules.capacity import (
    FCR_CAP_SHARE,
    AncillaryAvailability,
    CapacityBid,
    PowerLimits,
    RoomLimit,
    WindowQuarter,
    asset_power_before,
    bid_room,
    capacity_market,
    check_bid_room,
    commitments_at,
    power_over_limit,
    wholesale_capacity,
)
from reconciler.rules.units import json_number
from reconciler.rules.vocabulary import Category


def check_lifetime(manifest: Manifest, asset: LiveAsset) -> list[Diagnostic]:
    """Every declared period and bid window must lie inside the asset's lifetime."""
    va = asset.va
    found: list[Diagnostic] = []
    lifetime = f"[{local(va.start)}, {local(va.end)})"
    if manifest.wholesale:
        outside = [t for t in manifest.wholesale.points if not va.start <= t < va.end]
        for start, end in time_runs(outside):
            found.append(
                located(
                    Severity.ERROR,
                    "outside-lifetime",
                    f"periods {local(start)}–{local(end)} are outside the virtual asset's lifetime {lifetime}",
                    manifest.wholesale.sources.get(start),
                    f"{manifest.name}/wholesale",
                    expected=f"periods within {lifetime}",
                    found=f"{local(start)}–{local(end)}",
                )
            )
        found += _days_outside_lifetime(manifest, asset)
    for section in (manifest.fcr, manifest.afrr):
        for bid in section.bids if section else ():
            start, end = bid.code.window()
            if check_bid_lifetime(bid.code, va.start, va.end) is not None:
                found.append(
                    located(
                        Severity.ERROR,
                        "outside-lifetime",
                        f"{bid.code} runs {local(start)}–{local(end)}, outside the lifetime {lifetime}",
                        bid.source,
                        f"{manifest.name}/{'fcr' if bid.market is Market.FCR else 'afrr'}/{bid.code}",
                    )
                )
    return found


def _days_outside_lifetime(manifest: Manifest, asset: LiveAsset) -> list[Diagnostic]:
    """``days:`` that the asset does not live on: ``mode: exact`` manages nothing there (a day
    pinned while the selector moves on, e.g. ``day: tomorrow``), which must not pass in silence."""
    schedule, va = manifest.wholesale, asset.va
    if schedule is None or not schedule.exact_days:
        return []
    outside = []
    for day in sorted(schedule.days):
        start, end = day_bounds(day, manifest.timezone)
        if not (start < va.end and va.start < end):
            outside.append(day)
    if not outside:
        return []
    listed = ", ".join(day.isoformat() for day in outside)
    lifetime = f"[{local(va.start)}, {local(va.end)})"
    return [
        located(
            Severity.WARNING,
            "days-outside-lifetime",
            f"days: {listed} {'is' if len(outside) == 1 else 'are'} outside the virtual asset's lifetime "
            f"{lifetime}: mode: exact manages nothing there",
            schedule.days_source,
            f"{manifest.name}/wholesale",
            expected=f"days within {lifetime}",
            found=listed,
        )
    ]


def check_locked(manifest: Manifest, asset: LiveAsset, diff: ScheduleDiff) -> list[Diagnostic]:
    """Differences in periods that can't be written any more: reported, never planned."""
    found: list[Diagnostic] = []
    by_state: dict[PeriodState, list[datetime]] = defaultdict(list)
    for period, (_, _, state) in diff.locked.items():
        by_state[state].append(period)
    gate = asset.va.dispatch_gate_closure_seconds
    for state, periods in sorted(by_state.items()):
        for start, end in time_runs(periods):
            desired, live, _ = diff.locked[start]
            if state is PeriodState.FROZEN:
                why = f"frozen since its gate closure at {local(gate_closure(start, gate))}"
            else:
                why = f"soft-locked since its re-validation at {local(revalidation_moment(start))}"
            found.append(
                located(
                    Severity.WARNING,
                    f"{state}-period-differs",
                    f"{local(start)}–{local(end, with_date=False)}: desired {fmt_power(desired)}, live "
                    f"{fmt_power(live)}, but the period is {why}; no write planned",
                    _source(manifest, start),
                    f"{manifest.name}/wholesale",
                )
            )
    return found


def _source(manifest: Manifest, period: datetime) -> SourceRef:
    if manifest.wholesale and period in manifest.wholesale.sources:
        return manifest.wholesale.sources[period]
    return manifest.source


def capacity_bids(
    committed: Mapping[ProductDateCode, int], leave_out: ProductDateCode | None = None
) -> list[CapacityBid]:
    """Committed capacity products as the capacity rules see them (aFRR energy moves none)."""
    return [
        CapacityBid(market, frozenset(code.periods()), Decimal(kw))
        for code, kw in committed.items()
        if kw and code != leave_out and (market := capacity_market(code)) is not None
    ]


def wholesale_capacity_after(
    asset: LiveAsset,
    committed_now: Mapping[ProductDateCode, int],
    committed_after: Mapping[ProductDateCode, int],
    periods: Iterable[datetime] | None = None,
) -> dict[datetime, PowerLimits]:
    """Available charge and discharge power of the wholesale block once the plan's bids are in (D16):
    the live available capacity, less what the plan's bids take, plus what they return. Over
    ``periods`` only when given (those the block has), else over every period of the block."""
    before, after = capacity_bids(committed_now), capacity_bids(committed_after)
    covered = frozenset().union(*(bid.periods for bid in before + after))
    points = asset.wholesale.power_capacity
    wanted = points.keys() if periods is None else points.keys() & set(periods)
    # no bid before or after: the block keeps what it has
    capacity = {period: points[period].available for period in wanted}
    for period in covered & wanted:
        point = points[period]
        was, will = commitments_at(period, before), commitments_at(period, after)
        # D16 as the sandbox applies it: the asset's power (what the block has + what bids took)
        # less what the bids will take
        rated = asset_power_before(point.rated, was)
        available = asset_power_before(point.available, was)
        capacity[period] = wholesale_capacity(rated, available, will).available
    return capacity


def check_wholesale_capacity(
    manifest: Manifest,
    asset: LiveAsset,
    final_schedule: Mapping[datetime, Decimal],
    capacity: Mapping[datetime, PowerLimits],
    periods: Iterable[datetime],
) -> list[Diagnostic]:
    """Each written or capacity-affected period must fit the wholesale capacity left after bids.

    One error per run of periods with the same power and the same room left.
    """
    too_big: dict[tuple[Decimal, Decimal, str], list[datetime]] = defaultdict(list)
    for period in sorted(periods):
        power = final_schedule.get(period, Decimal(0))
        if period not in capacity or power == 0:
            continue
        over = power_over_limit(power, capacity[period])
        if over is not None:
            side, limit = over
            too_big[(power, limit, side)].append(period)
    found: list[Diagnostic] = []
    for (power, limit, side), times in too_big.items():
        for start, end in time_runs(times):
            when = local(start) if end - start == PERIOD else f"{local(start)}–{local(end, with_date=False)}"
            found.append(
                located(
                    Severity.ERROR,
                    "wholesale-capacity",
                    f"{fmt_power(power)} at {when} does not fit: {json_number(limit)} kW of {side} capacity "
                    f"left at {local(start, with_date=False)} after bids",
                    _source(manifest, start),
                    f"{manifest.name}/wholesale",
                    expected=f"|power| ≤ {json_number(limit)} kW",
                    found=f"{json_number(power)} kW",
                )
            )
    return sorted(found, key=lambda d: (d.line or 0, d.message))


def _availability(asset: LiveAsset, period: datetime) -> AncillaryAvailability:
    op = asset.operational

    def value(category: str) -> Decimal:
        return op.get(category, {}).get(period, Decimal(0))

    return AncillaryAvailability(
        fcr=value(Category.FCR_AVAILABLE),
        afrr_pos=value(Category.AFRR_POS_AVAILABLE),
        afrr_neg=value(Category.AFRR_NEG_AVAILABLE),
        max_total_charge=value(Category.MAX_ANCILLARY_CHARGE),
        max_total_discharge=value(Category.MAX_ANCILLARY_DISCHARGE),
    )


def check_ancillary_capacity(
    manifest: Manifest,
    asset: LiveAsset,
    committed_after: Mapping[ProductDateCode, int],
    changed: Iterable[ProductDateCode],
) -> dict[ProductDateCode, Diagnostic]:
    """D15 and D20 for every changed bid (:func:`reconciler.rules.capacity.bid_room`, the sandbox's
    rule), counting the bids that stay live and the other planned ones: the error of each bid that
    does not fit."""
    found: dict[ProductDateCode, Diagnostic] = {}
    desired = {bid.code: bid for s in (manifest.fcr, manifest.afrr) if s for bid in s.bids}
    rated = PowerLimits(asset.va.rated_charge_power, asset.va.rated_discharge_power)
    for code in changed:
        bid = desired.get(code)
        if bid is None:
            continue  # a deletion never lacks capacity
        kw = accepted_capacity(bid.offered_kw)
        key = "fcr" if code.market is Market.FCR else "afrr"
        others = capacity_bids(committed_after, leave_out=code)
        quarters = [
            WindowQuarter(t, _availability(asset, t), commitments_at(t, others)) for t in code.periods()
        ]
        room = bid_room(code, quarters, rated)
        if check_bid_room(code, Decimal(kw), room) is not None:
            remaining = json_number(room.kw)
            why = (
                f"the FCR cap is {remaining} kW ({json_number(FCR_CAP_SHARE * 100)} % of the wholesale block's rated power)"
                if room.limit is RoomLimit.FCR_CAP
                else f"{remaining} kW remain for {code.market} {code.product.name} on {code.day.isoformat()}"
            )
            found[code] = located(
                Severity.ERROR,
                "ancillary-capacity",
                f"{why}; the manifest offers {kw} kW",
                bid.source,
                f"{manifest.name}/{key}/{code}",
                expected=f"≤ {remaining} kW",
                found=f"{kw} kW",
            )
    return found
