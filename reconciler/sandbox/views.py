"""JSON shapes of the platform's objects (API.md §4, D4), built from sandbox state."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from reconciler.market import PERIOD, day_start, delivery_day, isoformat_z
from reconciler.rules.capacity import (
    AncillaryAvailability,
    CapacityBid,
    CapacityMarket,
    PowerLimits,
    ancillary_block_capacity,
)
from reconciler.rules.cone import Deliverable, cone, cone_periods, deliverable_at
from reconciler.rules.lifecycle import QuarterCycles, end_of_life, quarter_cycles
from reconciler.rules.soe import energy_as_decimal, state_of_charge
from reconciler.rules.vocabulary import Category
from reconciler.sandbox.assets import WHOLESALE, AssetState, floor_period
from reconciler.sandbox.wire import invalid, parse_time, plain_number, to_decimal

DEFAULT_LOOKBACK = timedelta(hours=24)  # block GET default window: 24 h back ...
DEFAULT_LOOKAHEAD = timedelta(hours=48)  # ... to 48 h ahead, clipped to the lifetime (API.md B2)


def window(query: Mapping[str, str], now: datetime, *, required: bool = False) -> tuple[datetime, datetime]:
    """``[start, end]`` from the query, greedy and inclusive at both ends (API.md §1)."""
    start_text, end_text = query.get("start"), query.get("end")
    if required and (not start_text or not end_text):
        raise invalid("the query parameters 'start' and 'end' are required (RFC 3339)")
    start = parse_time(start_text, "start") if start_text else now - DEFAULT_LOOKBACK
    end = parse_time(end_text, "end") if end_text else now + DEFAULT_LOOKAHEAD
    if end < start:
        raise invalid(f"end {end_text} is before start {start_text}")
    return start, end


def default_asset_window(now: datetime) -> tuple[datetime, datetime]:
    """V1 without start/end: assets operating between the previous local day and one year ahead."""
    yesterday = delivery_day(now) - timedelta(days=1)
    return day_start(yesterday), now + timedelta(days=365)


def periods_in(asset: AssetState, start: datetime, end: datetime) -> Iterator[datetime]:
    """The asset's periods whose start lies in ``[start, end]`` (greedy inclusive)."""
    first = floor_period(start)
    if first < start:
        first += PERIOD
    return asset.periods(first, end + timedelta(microseconds=1))


def virtual_asset(asset: AssetState, now: datetime) -> dict[str, Any]:
    """The VirtualAsset object, with the end-of-life fields (D10) current."""
    spec = asset.spec
    last_period = spec.end - PERIOD
    end_energy = asset.projected_energy(spec.end)
    eol = end_of_life(
        end_energy,
        asset.available_energy_capacity(last_period),
        spec.energy_capacity,
        spec.final_soc_tolerance,
    )
    current = min(max(floor_period(now), spec.start), last_period)
    return {
        "annualCycleLimit": spec.annual_cycle_limit,
        "availableEnergyCapacity": asset.available_energy_capacity(current),
        "blockIDs": [identifier for identifier, _ in asset.blocks()],
        "blockMetadata": [
            {"end": spec.end, "id": identifier, "market": market, "start": spec.start}
            for identifier, market in asset.blocks()
        ],
        "chargeEfficiency": spec.charge_efficiency,
        "createdAt": asset.created_at,
        "dailyCycleLimit": spec.daily_cycle_limit,
        "deliveryZone": spec.delivery_zone,
        "dischargeEfficiency": spec.discharge_efficiency,
        "dispatchGateClosureSeconds": spec.dispatch_gate_closure_seconds,
        "eicCode": spec.eic_code,
        "end": spec.end,
        "endStateOfChargePercentage": eol.end_state_of_charge,
        "energyCapacity": spec.energy_capacity,
        "feedback": eol.feedback,
        "finalSoCTolerance": spec.final_soc_tolerance,
        "id": spec.id,
        "imbalanceCharge": eol.imbalance_charge,
        "imbalanceDischarge": eol.imbalance_discharge,
        "portfolioID": spec.portfolio_id,
        "protectedDurationSeconds": spec.protected_duration_seconds,
        "rampRate": spec.ramp_rate,
        "ratedChargePower": spec.rated_charge_power,
        "ratedDischargePower": spec.rated_discharge_power,
        "start": spec.start,
        "totalAllowedCycles": spec.total_allowed_cycles,
        "unitsEnergy": "kWh",
        "unitsPower": "kW",
    }


def _capacity_numbers(
    asset: AssetState, market: str, period: datetime, bids: list[CapacityBid]
) -> dict[str, Any]:
    """A block's power capacities in ``period`` (D15): the wholesale block's after the capacity the
    bids commit, an ancillary block's what its market's bids commit."""
    if market == WHOLESALE:
        wholesale = asset.wholesale(period, bids)
        rated, available = wholesale.rated, wholesale.available
    else:
        rated = available = ancillary_block_capacity(CapacityMarket(market), asset.commitments(period, bids))
    return {
        "chargePowerCapacity": plain_number(available.charge),
        "dischargePowerCapacity": plain_number(available.discharge),
        "ratedChargePowerCapacity": plain_number(rated.charge),
        "ratedDischargePowerCapacity": plain_number(rated.discharge),
    }


def block(asset: AssetState, identifier: str, start: datetime, end: datetime) -> dict[str, Any]:
    """A Block with ``schedule`` and ``powerCapacity`` for the periods in ``[start, end]``."""
    market = asset.block_market(identifier)
    assert market is not None
    periods = list(periods_in(asset, start, end))
    bids = asset.capacity_bids()
    eventful = asset.eventful_periods(bids)
    uneventful: dict[str, Any] | None = None  # the capacities of a period nothing covers, once
    capacity: list[dict[str, Any]] = []
    schedule: list[dict[str, Any]] = []
    number = plain_number  # the series as the encoder writes them without calling back: a year is long
    for period in periods:
        time = isoformat_z(period)
        if market == WHOLESALE:
            schedule.append({"power": number(asset.power(period)), "time": time})
        else:
            schedule.append({"power": 0, "time": time})
        if period in eventful or uneventful is None:
            limits = _capacity_numbers(asset, market, period, bids)
            if period not in eventful:
                uneventful = limits
        else:
            limits = uneventful
        capacity.append({**limits, "time": time})
    return {
        "end": asset.spec.end,
        "id": identifier,
        "powerCapacity": capacity,
        "ratedChargePower": asset.spec.rated_charge_power,
        "ratedDischargePower": asset.spec.rated_discharge_power,
        "schedule": schedule,
        "start": asset.spec.start,
        "unitsPower": "kW",
    }


def adjustments(asset: AssetState, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "adjustments": [
            {
                "acceptedSchedule": item.accepted,
                "adjustedSchedule": item.adjusted,
                "reason": item.reason,
                "timestamp": item.time,
            }
            for item in sorted(asset.adjustments, key=lambda a: a.time)
            if start <= item.time <= end
        ]
    }


def energy_capacity(asset: AssetState, start: datetime, end: datetime) -> dict[str, Any]:
    """Rated and available energy capacity per period. The docs do not show the field names;
    these mirror the VirtualAsset's ``energyCapacity``/``availableEnergyCapacity``."""
    return {
        "energyCapacity": [
            {
                "availableEnergyCapacity": asset.available_energy_capacity(period),
                "energyCapacity": asset.spec.energy_capacity,
                "time": period,
            }
            for period in periods_in(asset, start, end)
        ],
        "unitsEnergy": "kWh",
    }


def state_of_energy_latest(asset: AssetState) -> dict[str, Any]:
    return {"soe": energy_as_decimal(asset.soe), "time": asset.soe_time}


def _capacity_at_instant(asset: AssetState, moment: datetime) -> Decimal:
    return asset.available_energy_capacity(min(moment, asset.spec.end - PERIOD))


def state_of_charge_projected(asset: AssetState, start: datetime, end: datetime) -> dict[str, Any]:
    """SoC at each boundary instant in ``[start, end]`` (deprecated V8): recorded up to the latest
    state of energy, projected along the active schedule after it; with the SoC bounds."""
    energies = asset.energies_between(max(start, asset.spec.start), min(end, asset.spec.end))
    bounds = {"lower": asset.spec.soc_lower, "upper": asset.spec.soc_upper}
    return {
        "stateOfChargePercentageTimeseries": [
            {
                "boundaries": bounds,
                "soc": to_decimal(state_of_charge(energy, _capacity_at_instant(asset, moment))),
                "time": moment,
            }
            for moment, energy in sorted(energies.items())
        ]
    }


# --- GET …/operational (D4) ------------------------------------------------------------
# Envelope: {"data": {category: [{"time", "value"}]}, "metaData": {category: {"unit"}}}. The aFRR
# availability names are this project's (D4); the others are the documented category names.


class OperationalContext:
    """What the per-period readers share within one request: the clock, the live capacity bids
    and, computed once when asked for, the near cone of flexibility (D19)."""

    def __init__(self, asset: AssetState, now: datetime) -> None:
        self.asset, self.now = asset, now
        self.bids = asset.capacity_bids()
        self._near: dict[datetime, Deliverable] | None = None
        self._deliverable: dict[datetime, Deliverable] = {}  # the maximum and the minimum ask alike
        # per period, asked by five categories of one request (FCR, aFRR POS and NEG, the totals)
        self._ancillary: dict[datetime, AncillaryAvailability] = {}

    def wholesale_available(self, period: datetime) -> PowerLimits:
        return self.asset.wholesale(period, self.bids).available

    def ancillary_availability(self, period: datetime) -> AncillaryAvailability:
        found = self._ancillary.get(period)
        if found is None:
            found = self._ancillary[period] = self.asset.ancillary_availability(period)
        return found

    def deliverable(self, period: datetime) -> Deliverable:
        found = self._deliverable.get(period)
        if found is not None:
            return found
        if self._near is None:
            asset = self.asset
            asset.advance_soe(self.now)
            inputs = asset.period_inputs(asset.soe_time, cone_periods(self.now)[-1] + PERIOD)
            available = [self.wholesale_available(p.time) for p in inputs]
            self._near = cone(asset.soe, inputs, available, asset.efficiencies, asset.bounds, self.now)
        found = self._deliverable[period] = deliverable_at(
            period, self._near, self.wholesale_available(period)
        )
        return found

    def cycles(self, period: datetime) -> QuarterCycles:
        asset = self.asset
        return quarter_cycles(
            asset.power(period),
            asset.spec.energy_capacity,
            asset.available_energy_capacity(period),
            asset.efficiencies,
        )


Reader = Callable[[OperationalContext, datetime], Decimal | Fraction]
ZERO = Decimal(0)

CATEGORIES: dict[str, tuple[str, Reader]] = {
    Category.ENERGY_CAPACITY_RATED: ("kWh", lambda c, p: c.asset.spec.energy_capacity),
    Category.ENERGY_CAPACITY_AVAILABLE: ("kWh", lambda c, p: c.asset.available_energy_capacity(p)),
    Category.POWER_CHARGE_RATED: ("kW", lambda c, p: c.asset.spec.rated_charge_power),
    Category.POWER_CHARGE_AVAILABLE: ("kW", lambda c, p: c.asset.available_power(p).charge),
    Category.POWER_DISCHARGE_RATED: ("kW", lambda c, p: c.asset.spec.rated_discharge_power),
    Category.POWER_DISCHARGE_AVAILABLE: ("kW", lambda c, p: c.asset.available_power(p).discharge),
    Category.FCR_AVAILABLE: ("kW", lambda c, p: c.ancillary_availability(p).fcr),
    Category.AFRR_POS_AVAILABLE: ("kW", lambda c, p: c.ancillary_availability(p).afrr_pos),
    Category.AFRR_NEG_AVAILABLE: ("kW", lambda c, p: c.ancillary_availability(p).afrr_neg),
    Category.MAX_ANCILLARY_CHARGE: ("kW", lambda c, p: c.ancillary_availability(p).max_total_charge),
    Category.MAX_ANCILLARY_DISCHARGE: (
        "kW",
        lambda c, p: c.ancillary_availability(p).max_total_discharge,
    ),
    Category.CHARGE_EFFICIENCY: ("ratio", lambda c, p: c.asset.spec.charge_efficiency),
    Category.DISCHARGE_EFFICIENCY: ("ratio", lambda c, p: c.asset.spec.discharge_efficiency),
    Category.MAXIMUM_DELIVERABLE_POWER: ("kW", lambda c, p: c.deliverable(p).maximum),
    Category.MINIMUM_DELIVERABLE_POWER: ("kW", lambda c, p: c.deliverable(p).minimum),
    # D22: the wholesale ones from the active schedule; no activations are modelled, so FCR and
    # aFRR discharge nothing and the totals equal the wholesale values.
    Category.CYCLES_WHOLESALE: ("cycles", lambda c, p: c.cycles(p).cycles),
    Category.CYCLES_FCR: ("cycles", lambda c, p: ZERO),
    Category.CYCLES_AFRR: ("cycles", lambda c, p: ZERO),
    Category.CYCLES_TOTAL: ("cycles", lambda c, p: c.cycles(p).cycles),
    Category.AED_WHOLESALE: ("AED", lambda c, p: c.cycles(p).available_energy_discharges),
    Category.AED_FCR: ("AED", lambda c, p: ZERO),
    Category.AED_AFRR: ("AED", lambda c, p: ZERO),
    Category.AED_TOTAL: ("AED", lambda c, p: c.cycles(p).available_energy_discharges),
    Category.SOC_LOWER_BOUND: ("%", lambda c, p: c.asset.spec.soc_lower),
    Category.SOC_UPPER_BOUND: ("%", lambda c, p: c.asset.spec.soc_upper),
}


def parse_categories(value: str | None) -> list[str]:
    if not value:
        raise invalid("the query parameter 'categories' is required (comma-separated)")
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in CATEGORIES]
    if unknown:
        shown = ", ".join(name[:64] for name in unknown[:5])
        raise invalid(f"unknown categories {shown}; known: {', '.join(CATEGORIES)}")
    return list(dict.fromkeys(names))


def operational(
    asset: AssetState, query: Mapping[str, str], start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    names = parse_categories(query.get("categories"))
    periods = list(periods_in(asset, start, end))
    times = [isoformat_z(period) for period in periods]
    context = OperationalContext(asset, now)
    number = plain_number  # the series as the encoder writes them without calling back: a year is long
    return {
        "data": {
            name: [
                {"time": time, "value": number(CATEGORIES[name][1](context, period))}
                for period, time in zip(periods, times, strict=True)
            ]
            for name in names
        },
        "metaData": {name: {"unit": CATEGORIES[name][0]} for name in names},
    }
