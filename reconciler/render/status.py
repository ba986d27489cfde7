"""``reconciler status``: the desk's view of each managed asset, built from one reading.

:func:`build_status` is pure (manifests, live state, drift found, ``now``); the renderers turn its
result into text, markdown or the JSON of ``schemas/status.schema.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from reconciler.manifest import DesiredBid, Manifest
from reconciler.market import (
    PERIOD_HOURS,
    Market,
    bid_deadline,
    delivery_day,
    isoformat_z,
    quarter_hours,
    result_publication,
)
from reconciler.plan.causes import Cause, DriftEntry
from reconciler.plan.predict import project
from reconciler.plan.results import ResultSummary, summarise_result
from reconciler.platform.live import LiveAsset, LiveState
from reconciler.rules.bids import accepted_capacity
from reconciler.rules.units import json_number

FORMAT_VERSION = "1"
HOURS_PER_PERIOD = Decimal(PERIOD_HOURS.numerator) / Decimal(PERIOD_HOURS.denominator)


@dataclass(frozen=True)
class BidStatus:
    address: str
    bid: DesiredBid
    live_kw: int | None  # offered on the platform now (None: no live bid)
    deadline: datetime
    publication: datetime
    result: ResultSummary | None  # None until published


@dataclass(frozen=True)
class DayEnergy:
    """Energy of the active schedule over one local delivery day, kWh at the grid connection."""

    day: date
    charged_kwh: Decimal
    discharged_kwh: Decimal


@dataclass(frozen=True)
class AssetStatus:
    name: str
    virtual_asset: str
    bids: tuple[BidStatus, ...]
    today: DayEnergy
    tomorrow: DayEnergy
    end: datetime  # the asset's end of life
    end_soc_percent: float | None  # projected along the active schedule, with re-validation cuts
    drift: dict[str, int]  # cause -> open differences
    selector: str | None = None  # how spec.virtualAsset selected it: "portfolio …, day tomorrow = 2026-11-24"


def build_status(
    manifests: Sequence[Manifest], live: LiveState, drift: Sequence[DriftEntry], now: datetime
) -> list[AssetStatus]:
    found = []
    for manifest in manifests:
        asset = live.assets.get(manifest.virtual_asset)
        if asset is None:
            continue
        causes = {str(c): 0 for c in Cause}
        for entry in drift:
            if entry.asset == manifest.name:
                causes[str(entry.cause)] += 1
        today = delivery_day(now)
        projection = project(manifest, asset, asset.wholesale.schedule, now).soc
        found.append(
            AssetStatus(
                name=manifest.name,
                virtual_asset=manifest.virtual_asset,
                bids=tuple(_bid_status(manifest, asset, bid) for bid in manifest.bids),
                today=day_energy(asset, today),
                tomorrow=day_energy(asset, today + timedelta(days=1)),
                end=asset.va.end,
                end_soc_percent=projection[-1][1] if projection else None,
                drift=causes,
                selector=selected_by(manifest),
            )
        )
    return found


def selected_by(manifest: Manifest) -> str | None:
    """``portfolio P, day tomorrow = 2026-11-24`` for an asset a selector named, else None."""
    selector, resolved = manifest.selector, manifest.resolved
    if selector is None or resolved is None:
        return None
    day = resolved.day.isoformat()
    said = day if selector.day.text == day else f"{selector.day.text} = {day}"
    return f"portfolio {selector.portfolio}, day {said}"


def _bid_status(manifest: Manifest, asset: LiveAsset, bid: DesiredBid) -> BidStatus:
    code = bid.code
    section = "fcr" if code.market is Market.FCR else "afrr"
    live = asset.bids.get(code)
    live_kw = sum(accepted_capacity(b.offered_capacity) for b in live.bids) if live and live.bids else None
    published = asset.results.get(code)
    result = summarise_result(published) if published is not None and published.results else None
    return BidStatus(
        f"{manifest.name}/{section}/{code}",
        bid,
        live_kw,
        bid_deadline(code),
        result_publication(code),
        result,
    )


def day_energy(asset: LiveAsset, day: date) -> DayEnergy:
    """Charged and discharged energy of the active schedule over a local day (Δt = 1/4 h)."""
    charged = discharged = Decimal(0)
    schedule = asset.wholesale.schedule
    for period in quarter_hours(day):
        power = schedule.get(period, Decimal(0))
        if power < 0:
            charged -= power * HOURS_PER_PERIOD
        elif power > 0:
            discharged += power * HOURS_PER_PERIOD
    return DayEnergy(day, charged, discharged)


# -- JSON ---------------------------------------------------------------------------------------


def _number(value: Decimal | None) -> int | float | None:
    return json_number(value) if value is not None else None


def result_json(result: ResultSummary | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "outcome": result.outcome,
        "offered_kw": result.offered_kw,
        "accepted_kw": result.accepted_kw,
        "price": _number(result.price),
        "price_field": result.price_field,
        "revenue_eur": _number(result.revenue.eur),
        "revenue_basis": result.revenue.basis,
    }


def bid_json(status: BidStatus, now: datetime) -> dict[str, Any]:
    bid = status.bid
    left = (status.deadline - now).total_seconds()
    return {
        "address": status.address,
        "market": str(bid.code.market),
        "product_date_code": str(bid.code),
        "offered_kw": accepted_capacity(bid.offered_kw),
        "live_offered_kw": status.live_kw,
        "capacity_price": _number(bid.capacity_price),
        "energy_price": _number(bid.energy_price),
        "deadline": isoformat_z(status.deadline),
        "seconds_to_deadline": int(left) if left >= 0 else None,
        "closed": left < 0,
        "result_publication": isoformat_z(status.publication),
        "result": result_json(status.result),
    }


def _day_json(energy: DayEnergy) -> dict[str, Any]:
    return {
        "day": energy.day.isoformat(),
        "charged_mwh": json_number(energy.charged_kwh / 1000),
        "discharged_mwh": json_number(energy.discharged_kwh / 1000),
    }


def status_json(assets: Sequence[AssetStatus], target: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "target": target,
        "now": isoformat_z(now),
        "assets": [
            {
                "asset": a.name,
                "virtual_asset": a.virtual_asset,
                "selected_by": a.selector,
                "bids": [bid_json(b, now) for b in a.bids],
                "schedule_energy": {"today": _day_json(a.today), "tomorrow": _day_json(a.tomorrow)},
                "end_of_life": {
                    "time": isoformat_z(a.end),
                    "projected_soc_percent": round(a.end_soc_percent, 2)
                    if a.end_soc_percent is not None
                    else None,
                },
                "open_drift": a.drift,
            }
            for a in assets
        ],
    }
