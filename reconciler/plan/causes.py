"""Why live state differs from the manifests: one cause per difference.

DECISIONS.md D2, D9, D16, D17:

- ``revalidation``: a ``STATE_OF_ENERGY_BOUNDARIES`` adjustment explains it (D7);
- ``unavailability``: an ``AVAILABILITY`` adjustment explains it, or the period's available
  capacity is below rated and live equals the clipped value (D9);
- ``auction_result``: the bid was rejected, or accepted below what was offered (D17);
- ``out_of_band``: nothing on the platform explains it: someone wrote it outside reconciler.

The planner never writes a period whose difference the platform caused (the first two): it
lists it as drift instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from reconciler.manifest import DesiredBid, Manifest
from reconciler.market import (
    Market,
    PeriodState,
    ProductDateCode,
    bid_deadline,
    day_bounds,
    isoformat_z,
    parse_instant,
    parse_product_date_code,
    period_state,
    periods_between,
)
from reconciler.platform.live import LiveAsset
from reconciler.platform.models import Bid, ProductResults
from reconciler.rules.bids import accepted_capacity
from reconciler.rules.units import json_number
from reconciler.rules.vocabulary import Adjustment, AdjustmentReason


class Cause(StrEnum):
    REVALIDATION = "revalidation"
    UNAVAILABILITY = "unavailability"
    AUCTION_RESULT = "auction_result"
    OUT_OF_BAND = "out_of_band"


PLATFORM_CAUSES = frozenset({Cause.REVALIDATION, Cause.UNAVAILABILITY})


def state_name(state: PeriodState) -> str:
    """A period state as drift's JSON names it: ``editable``, ``soft_locked``, ``frozen``."""
    return str(state).replace("-", "_")


@dataclass(frozen=True)
class DriftEntry:
    """One difference: a schedule period (``time`` its UTC start) or one bid product.

    ``state`` is the period's (a bid product: editable until its bid deadline, then frozen);
    ``writable`` is true only when ``apply`` would still write the manifest's value there: an
    editable period (or open product) whose difference nothing on the platform explains.
    """

    address: str
    asset: str
    time: datetime
    desired: int | float
    live: int | float
    cause: Cause
    reason: str  # the platform's adjustment reason or result, or "" for out_of_band
    detail: str
    state: PeriodState
    writable: bool
    product: ProductDateCode | None = None  # the bid product; None for a schedule period

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "time": isoformat_z(self.time),
            "desired": self.desired,
            "live": self.live,
            "cause": str(self.cause),
            "reason": self.reason,
            "detail": self.detail,
            "period_state": state_name(self.state),
            "writable": self.writable,
            "product": str(self.product) if self.product else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriftEntry:
        return cls(
            address=data["address"],
            asset=data.get("asset", data["address"].split("/", 1)[0]),
            time=parse_instant(data["time"]),
            desired=data["desired"],
            live=data["live"],
            cause=Cause(data["cause"]),
            reason=data["reason"],
            detail=data["detail"],
            state=PeriodState(data["period_state"].replace("_", "-")),
            writable=bool(data["writable"]),
            product=parse_product_date_code(data["product"]) if data.get("product") else None,
        )


def explain_period(
    period: datetime,
    desired: Decimal,
    live: Decimal,
    asset: LiveAsset,
    adjustments: Mapping[datetime, Adjustment],
) -> tuple[Cause, str, str]:
    """The cause of one period's difference, with the platform's reason and a sentence."""
    adjustment = adjustments.get(period)
    if adjustment is not None and adjustment.accepted == desired:
        if adjustment.reason == AdjustmentReason.STATE_OF_ENERGY_BOUNDARIES:
            return (
                Cause.REVALIDATION,
                adjustment.reason,
                "re-validation cut it to keep the state of charge within its bounds",
            )
        if adjustment.reason == AdjustmentReason.AVAILABILITY:
            return (
                Cause.UNAVAILABILITY,
                adjustment.reason,
                "clipped to the power left during an unavailability",
            )
    capacity = asset.wholesale.power_capacity.get(period)
    if capacity is not None and live != desired:
        limit = capacity.available.charge if desired < 0 else capacity.available.discharge
        rated = capacity.rated.charge if desired < 0 else capacity.rated.discharge
        if limit < rated and abs(desired) > limit and abs(live) == limit:
            return (
                Cause.UNAVAILABILITY,
                "AVAILABLE_BELOW_RATED",
                f"only {json_number(limit)} kW are available",
            )
    return _OUT_OF_BAND


_OUT_OF_BAND = (
    Cause.OUT_OF_BAND,
    "",
    "nothing on the platform explains it: it was changed outside reconciler, or never applied",
)


def adjustments_by_period(asset: LiveAsset) -> dict[datetime, Adjustment]:
    """The latest adjustment of each period (a period can be clipped, then re-validated)."""
    return {a.time: a for a in asset.adjustments}


def schedule_scope(manifest: Manifest, asset: LiveAsset, now: datetime) -> dict[datetime, Decimal]:
    """The periods this manifest manages and their desired kW.

    ``partial``: only the listed periods. ``exact``: also every period not started yet of the
    local days it manages whole (:attr:`~reconciler.manifest.DesiredSchedule.exact_days`: the
    days its schedule sets a period on, and those ``days:`` lists), within the asset's lifetime;
    unlisted ones are desired at 0 kW. Periods of other days are left alone.
    """
    schedule = manifest.wholesale
    if schedule is None:
        return {}
    desired = dict(schedule.points)
    zero = Decimal(0)
    for day in schedule.exact_days:
        start, end = day_bounds(day, manifest.timezone)
        first, stop = max(start, asset.va.start), min(end, asset.va.end)
        for period in periods_between(first, stop) if first < stop else ():
            if period >= now and period not in desired:
                desired[period] = zero
    return desired


def schedule_differences(
    manifest: Manifest, asset: LiveAsset, now: datetime
) -> list[tuple[datetime, Decimal, Decimal, tuple[Cause, str, str]]]:
    """Every managed period whose live kW differs from the desired kW, with its explanation:
    ``(period, desired, live, (cause, reason, detail))`` in time order."""
    adjustments = adjustments_by_period(asset)
    schedule = asset.wholesale.schedule
    # explain_period finds a platform cause only where an adjustment was made or the capacity
    # is below rated: elsewhere the answer is out_of_band, without asking.
    derated = {
        period
        for period, c in asset.wholesale.power_capacity.items()
        if c.charge < c.rated_charge or c.discharge < c.rated_discharge
    }
    zero = Decimal(0)
    found = []
    for period, desired in sorted(schedule_scope(manifest, asset, now).items()):
        live = schedule.get(period, zero)
        if live != desired:  # Decimal equality is numeric: 2000 == 2000.0
            why = (
                explain_period(period, desired, live, asset, adjustments)
                if period in adjustments or period in derated
                else _OUT_OF_BAND
            )
            found.append((period, desired, live, why))
    return found


def drift_entry(
    manifest: Manifest,
    asset: LiveAsset,
    now: datetime,
    period: datetime,
    desired: Decimal,
    live: Decimal,
    why: tuple[Cause, str, str],
) -> DriftEntry:
    cause, reason, detail = why
    address = f"{manifest.name}/wholesale"
    state = period_state(period, now, asset.va.dispatch_gate_closure_seconds)
    writable = state is PeriodState.EDITABLE and cause is Cause.OUT_OF_BAND
    return DriftEntry(
        address,
        manifest.name,
        period,
        json_number(desired),
        json_number(live),
        cause,
        reason,
        detail,
        state,
        writable,
    )


def schedule_drift(manifest: Manifest, asset: LiveAsset, now: datetime) -> list[DriftEntry]:
    return [
        drift_entry(manifest, asset, now, *difference)
        for difference in schedule_differences(manifest, asset, now)
    ]


def bid_state(code: ProductDateCode, now: datetime) -> PeriodState:
    """A bid product can be written until its bid deadline (D14), then it is frozen."""
    return PeriodState.EDITABLE if now <= bid_deadline(code) else PeriodState.FROZEN


def same_bid(desired: DesiredBid, live: Bid) -> bool:
    """A live bid is the declared one: same capacity after the platform's truncation, same prices."""

    def same(a: Decimal | None, b: Decimal | None) -> bool:
        return a == b  # None == None, and Decimal equality is numeric

    return (
        accepted_capacity(desired.offered_kw) == accepted_capacity(live.offered_capacity)
        and same(desired.capacity_price, live.capacity_price)
        and same(desired.energy_price, live.energy_price)
    )


def _bid_address(manifest: Manifest, code: ProductDateCode) -> str:
    return f"{manifest.name}/{'fcr' if code.market is Market.FCR else 'afrr'}/{code}"


def _auction_drift(
    manifest: Manifest, bid: DesiredBid, result: ProductResults, now: datetime
) -> DriftEntry | None:
    offered = accepted_capacity(bid.offered_kw)
    accepted = sum(accepted_capacity(r.accepted_capacity) for r in result.results if r.accepted)
    if accepted >= offered:
        return None
    code = bid.code
    rejected = not any(r.accepted for r in result.results)
    detail = (
        "the auction rejected the bid" if rejected else f"the auction accepted {accepted} of {offered} kW"
    )
    if code.market is not Market.AFRR_ENERGY:  # D16: energy bids hold no wholesale capacity
        detail += "; the capacity not accepted went back to wholesale"
    reason = "REJECTED" if rejected else "PARTIALLY_ACCEPTED"
    start = code.window()[0]
    return DriftEntry(
        _bid_address(manifest, code),
        manifest.name,
        start,
        offered,
        accepted,
        Cause.AUCTION_RESULT,
        reason,
        detail,
        bid_state(code, now),
        False,  # a result is final: no write changes it
        code,
    )


def bid_drift(manifest: Manifest, asset: LiveAsset, now: datetime) -> list[DriftEntry]:
    """Declared bids that differ from live (auction results first), and live bids of products
    still running that the manifest does not declare."""
    entries: list[DriftEntry] = []
    declared = {bid.code for bid in manifest.bids}
    for bid in manifest.bids:
        code = bid.code
        result = asset.results.get(code)
        auction = _auction_drift(manifest, bid, result, now) if result and result.results else None
        if auction is not None:
            entries.append(auction)
            continue
        live = asset.bids.get(code)
        if live is not None and len(live.bids) == 1 and same_bid(bid, live.bids[0]):
            continue
        live_kw = sum(accepted_capacity(b.offered_capacity) for b in live.bids) if live else 0
        what = "capacity or prices differ" if live and live.bids else "no live bid"
        entries.append(
            DriftEntry(
                _bid_address(manifest, code),
                manifest.name,
                code.window()[0],
                accepted_capacity(bid.offered_kw),
                live_kw,
                Cause.OUT_OF_BAND,
                "",
                f"the live bid differs from the manifest ({what}): it was changed outside reconciler, or never applied",
                bid_state(code, now),
                bid_state(code, now) is PeriodState.EDITABLE,
                code,
            )
        )
    for code, live in sorted(asset.bids.items()):
        if code in declared or not live.bids or code.window()[1] <= now:
            continue
        live_kw = sum(accepted_capacity(b.offered_capacity) for b in live.bids)
        entries.append(
            DriftEntry(
                _bid_address(manifest, code),
                manifest.name,
                code.window()[0],
                0,
                live_kw,
                Cause.OUT_OF_BAND,
                "UNMANAGED",
                "a live bid the manifest does not declare: it was placed outside reconciler",
                bid_state(code, now),
                bid_state(code, now) is PeriodState.EDITABLE and _prunes(manifest, code),
                code,
            )
        )
    return entries


def _prunes(manifest: Manifest, code: ProductDateCode) -> bool:
    """Whether apply deletes an undeclared live bid of this product (``prune: true``)."""
    section = manifest.fcr if code.market is Market.FCR else manifest.afrr
    return section is not None and section.prune
