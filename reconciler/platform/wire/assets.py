"""Documented shapes: virtual asset (V1/V2), block (B1/B2/B3) and latest state of energy (V11).

These follow API.md §4 field for field; no DECISIONS.md assumption is involved, except that a
block's ``schedule`` holds the *active* values (D2), which changes nothing in the parsing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache, partial
from itertools import chain
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from reconciler.platform.jsonio import fingerprint
from reconciler.platform.models import Block, BlockMeta, PowerCapacity, StateOfEnergy, VirtualAsset
from reconciler.platform.wire.fields import (
    Document,
    as_list,
    as_object,
    fast_number,
    instant,
    number,
    number_series,
    optional_number,
    optional_text,
    point_series,
    shared_moments,
    text,
    whole_number,
)


def parse_virtual_asset(raw: Any) -> VirtualAsset:
    doc = as_object(raw, "virtual asset")
    what = f"virtual asset {doc.get('id')!r}"
    blocks = tuple(
        BlockMeta(
            id=text(meta, "id", f"{what} blockMetadata"),
            market=text(meta, "market", f"{what} blockMetadata"),
            start=instant(meta, "start", f"{what} blockMetadata"),
            end=instant(meta, "end", f"{what} blockMetadata"),
        )
        for meta in (
            as_object(item, f"{what} blockMetadata entry")
            for item in as_list(doc.get("blockMetadata", []), f"{what} blockMetadata")
        )
    )
    return VirtualAsset(
        id=text(doc, "id", what),
        start=instant(doc, "start", what),
        end=instant(doc, "end", what),
        energy_capacity=number(doc, "energyCapacity", what),
        available_energy_capacity=number(doc, "availableEnergyCapacity", what),
        rated_charge_power=number(doc, "ratedChargePower", what),
        rated_discharge_power=number(doc, "ratedDischargePower", what),
        charge_efficiency=number(doc, "chargeEfficiency", what),
        discharge_efficiency=number(doc, "dischargeEfficiency", what),
        dispatch_gate_closure_seconds=whole_number(doc, "dispatchGateClosureSeconds", what),
        daily_cycle_limit=optional_number(doc, "dailyCycleLimit", what),
        annual_cycle_limit=optional_number(doc, "annualCycleLimit", what),
        end_soc_percentage=optional_number(doc, "endStateOfChargePercentage", what),
        imbalance_charge=optional_number(doc, "imbalanceCharge", what),
        imbalance_discharge=optional_number(doc, "imbalanceDischarge", what),
        final_soc_tolerance=optional_number(doc, "finalSoCTolerance", what),
        feedback=optional_text(doc, "feedback", what),
        blocks=blocks,
        fingerprint=fingerprint(doc),
        portfolio_id=optional_text(doc, "portfolioID", what),
    )


def parse_block(raw: Any) -> Block:
    doc = as_object(raw, "block")
    what = f"block {doc.get('id')!r}"
    schedule, plain = number_series(doc.get("schedule", []), f"{what} schedule", "power")
    points = doc.get("powerCapacity", [])
    capacity = point_series(points, f"{what} powerCapacity", partial(_power_capacity, what), _fast_capacity)
    return Block(
        id=text(doc, "id", what),
        start=instant(doc, "start", what),
        end=instant(doc, "end", what),
        schedule=MappingProxyType(schedule),
        power_capacity=MappingProxyType(capacity),
        fingerprint=fingerprint(doc, plain=plain and _plain_block(doc, points)),
    )


_SERIES_KEYS = frozenset({"schedule", "powerCapacity"})
_PLAIN_TYPES = frozenset({str, int, bool, type(None)})


def _plain_block(doc: Document, points: list[Any]) -> bool:
    """Whether a block read whole (every capacity point has its time) holds no ``Decimal``: plain
    top-level fields, and capacity points of exactly a time and four whole numbers (the schedule's
    points are checked as they are read)."""
    return (
        all(type(value) in _PLAIN_TYPES for key, value in doc.items() if key not in _SERIES_KEYS)
        and set(map(len, points)) <= _FIVE_KEYS
        and set(map(type, chain.from_iterable(map(_CAPACITY_NUMBERS, points)))) <= _WHOLE
    )


_FIVE_KEYS, _WHOLE = frozenset({5}), frozenset({int})


def _power_capacity(what: str, point: Document) -> tuple[datetime, PowerCapacity]:
    where = f"{what} powerCapacity point"
    moment = instant(point, "time", where)
    return moment, PowerCapacity(
        time=moment,
        charge=number(point, "chargePowerCapacity", where),
        discharge=number(point, "dischargePowerCapacity", where),
        rated_charge=number(point, "ratedChargePowerCapacity", where),
        rated_discharge=number(point, "ratedDischargePowerCapacity", where),
    )


_CAPACITY_NUMBERS = itemgetter(
    "chargePowerCapacity", "dischargePowerCapacity", "ratedChargePowerCapacity", "ratedDischargePowerCapacity"
)


def _fast_capacity(items: list[Any]) -> dict[datetime, PowerCapacity]:
    """Every point of a ``powerCapacity`` list in the documented shape (see :func:`point_series`)."""
    numbers = list(map(_CAPACITY_NUMBERS, items))
    moments, ascending = shared_moments(list(map(itemgetter("time"), items)))
    kinds = set(map(type, chain.from_iterable(numbers)))
    if kinds == {int}:  # whole kW, as a fleet's blocks mostly are: one object per period and values
        points = dict(zip(moments, map(_whole_capacity, moments, numbers), strict=True))
    elif kinds <= {int, Decimal}:
        points = {
            moment: PowerCapacity(moment, *map(fast_number, values))
            for moment, values in zip(moments, numbers, strict=True)
        }
    else:
        raise TypeError("not a number")
    return points if ascending else dict(sorted(points.items()))


@lru_cache(maxsize=2**14)
def _whole_capacity(moment: datetime, values: tuple[int, int, int, int]) -> PowerCapacity:
    """One shared (immutable) period of power capacity per time and whole-kW values."""
    return PowerCapacity(moment, *map(fast_number, values))


def parse_state_of_energy(raw: Any) -> StateOfEnergy:
    doc = as_object(raw, "state of energy")
    return StateOfEnergy(
        soe_kwh=number(doc, "soe", "state of energy"), time=instant(doc, "time", "state of energy")
    )
