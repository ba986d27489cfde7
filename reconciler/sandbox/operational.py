"""``GET …/operational`` (D4): timeseries of the asset's operational categories.

The envelope is D4's: ``{"data": {category: [{"time", "value"}]}, "metaData": {category: {"unit"}}}``.
The aFRR availability names are this project's (D4); the rest are the documented names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.sandbox.assets import AssetState
from reconciler.sandbox.views import periods_in
from reconciler.sandbox.wire import invalid

Reader = Callable[[AssetState, datetime], Decimal]

CATEGORIES: dict[str, tuple[str, Reader]] = {
    "energyCapacityRated": ("kWh", lambda a, p: a.spec.energy_capacity),
    "energyCapacityAvailable": ("kWh", lambda a, p: a.available_energy_capacity(p)),
    "powerCapacityChargeRated": ("kW", lambda a, p: a.spec.rated_charge_power),
    "powerCapacityChargeAvailable": ("kW", lambda a, p: a.available_power(p).charge),
    "powerCapacityDischargeRated": ("kW", lambda a, p: a.spec.rated_discharge_power),
    "powerCapacityDischargeAvailable": ("kW", lambda a, p: a.available_power(p).discharge),
    "fcrCapacityAvailable": ("kW", lambda a, p: a.ancillary_availability(p).fcr),
    "afrrCapacityPosAvailable": ("kW", lambda a, p: a.ancillary_availability(p).afrr_pos),
    "afrrCapacityNegAvailable": ("kW", lambda a, p: a.ancillary_availability(p).afrr_neg),
    "maxTotalAncillaryCapacityChargeAvailable": (
        "kW",
        lambda a, p: a.ancillary_availability(p).max_total_charge,
    ),
    "maxTotalAncillaryCapacityDischargeAvailable": (
        "kW",
        lambda a, p: a.ancillary_availability(p).max_total_discharge,
    ),
    "chargeEfficiency": ("ratio", lambda a, p: a.spec.charge_efficiency),
    "dischargeEfficiency": ("ratio", lambda a, p: a.spec.discharge_efficiency),
}


def parse_categories(value: str | None) -> list[str]:
    if not value:
        raise invalid("the query parameter 'categories' is required (comma-separated)")
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in CATEGORIES]
    if unknown:
        raise invalid(f"unknown categories {', '.join(unknown)}; known: {', '.join(CATEGORIES)}")
    return list(dict.fromkeys(names))


def operational(
    asset: AssetState, query: Mapping[str, str], start: datetime, end: datetime
) -> dict[str, Any]:
    names = parse_categories(query.get("categories"))
    periods = list(periods_in(asset, start, end))
    return {
        "data": {
            name: [{"time": period, "value": CATEGORIES[name][1](asset, period)} for period in periods]
            for name in names
        },
        "metaData": {name: {"unit": CATEGORIES[name][0]} for name in names},
    }
