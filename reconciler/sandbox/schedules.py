"""Schedule updates (D1, D8) and unavailabilities (D9) in the sandbox."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.market import PeriodState, is_quarter_hour, isoformat_z, period_state
from reconciler.rules.schedule import check_schedule_update, check_soft_locked_power
from reconciler.rules.vocabulary import Adjustment, AdjustmentReason
from reconciler.sandbox.assets import WHOLESALE, AssetState, Unavailability, floor_period
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    invalid,
    not_found,
    number_field,
    require_list,
    require_object,
    time_field,
)


def parse_schedule(body: Any) -> list[tuple[datetime, Decimal]]:
    """``{"schedule": [{"time", "power"}, …]}``; anything else is a 400."""
    data = require_object(body, "the request body")
    if "schedule" not in data:
        raise invalid("malformed request: the body is missing the required field 'schedule'")
    points = []
    for index, raw in enumerate(require_list(data["schedule"], "schedule")):
        point = require_object(raw, f"schedule[{index}]")
        power = number_field(point, "power", f"schedule[{index}]")
        assert power is not None
        points.append((time_field(point, "time", f"schedule[{index}]"), power))
    return points


def update_schedule(state: SandboxState, asset: AssetState, block_id: str, body: Any) -> None:
    """D1/D8: upsert the points sent, atomically; the first broken strict rule refuses all (400).

    A period the customer writes loses its earlier adjustments: they explained a value that is no
    longer the active one.
    """
    market = asset.block_market(block_id)
    if market is None:
        raise not_found(f"block {block_id} not found")
    points = parse_schedule(body)
    if market == WHOLESALE:
        bids = asset.capacity_bids()
        available = {}
        for time, _ in points:
            if time in available or time < asset.spec.start or time >= asset.spec.end:
                continue
            available[time] = asset.wholesale(floor_period(time), bids).available
    else:
        available = {}
    violation = check_schedule_update(
        points,
        block_id=block_id,
        block_market=market,
        block_start=asset.spec.start,
        block_end=asset.spec.end,
        now=state.now,
        gate_closure_seconds=asset.spec.dispatch_gate_closure_seconds,
        available=available,
    )
    if violation:
        raise invalid(violation.message)
    tentative = dict(asset.schedule)
    tentative.update(points)
    asset.advance_soe(state.now)
    for time, power in sorted(points):
        if (
            period_state(time, state.now, asset.spec.dispatch_gate_closure_seconds)
            is not PeriodState.SOFT_LOCKED
        ):
            continue
        soft = check_soft_locked_power(
            time,
            power,
            asset.projected_energy(time, tentative),
            asset.available_energy_capacity(time),
            asset.efficiencies,
            asset.bounds,
        )
        if soft:
            raise invalid(soft.message)
    written = {time for time, _ in points}
    asset.schedule = tentative
    asset.adjustments = [a for a in asset.adjustments if a.time not in written]


def parse_unavailability(body: Any) -> tuple[str, Unavailability]:
    data = require_object(body, "the request body")
    asset_id = data.get("virtualAssetID")
    if not isinstance(asset_id, str) or not asset_id:
        raise invalid("malformed request: the body is missing the required text field 'virtualAssetID'")
    start, end = time_field(data, "start", "the body"), time_field(data, "end", "the body")
    if end <= start:
        raise invalid(f"end {isoformat_z(end)} must be after start {isoformat_z(start)}")
    for name, moment in (("start", start), ("end", end)):
        if not is_quarter_hour(moment):
            raise invalid(f"{name} {isoformat_z(moment)} must be a quarter-hour boundary")
    values = {
        key: number_field(data, key, "the body", required=False)
        for key in ("chargePowerCapacity", "dischargePowerCapacity", "energyCapacity")
    }
    for key, value in values.items():
        if value is not None and value < 0:
            raise invalid(f"{key} must not be negative, found {value}")
    if all(value is None for value in values.values()):
        raise invalid("give at least one of chargePowerCapacity, dischargePowerCapacity, energyCapacity")
    return asset_id, Unavailability(
        start, end, values["chargePowerCapacity"], values["dischargePowerCapacity"], values["energyCapacity"]
    )


def add_unavailability(state: SandboxState, body: Any) -> dict[str, Any]:
    """D9: lower the available capacities in ``[start, end)`` and clip at once every active value
    above the new wholesale available power, from the current period on (reason AVAILABILITY)."""
    asset_id, outage = parse_unavailability(body)
    asset = next((a for a in state.all_assets() if a.id == asset_id), None)
    if asset is None:
        raise not_found(f"virtual asset {asset_id} not found")
    asset.unavailabilities.append(outage)
    asset.advance_soe(state.now)
    bids = asset.capacity_bids()
    clipped = []
    for period in asset.periods(max(outage.start, floor_period(state.now)), outage.end):
        power = asset.power(period)
        left = asset.wholesale(period, bids).available
        limit = left.discharge if power > 0 else -left.charge
        if abs(power) > abs(limit):
            asset.schedule[period] = limit
            asset.adjustments.append(Adjustment(period, power, limit, AdjustmentReason.AVAILABILITY))
            clipped.append({"acceptedSchedule": power, "adjustedSchedule": limit, "timestamp": period})
    return {"virtualAssetID": asset_id, "clipped": clipped}
