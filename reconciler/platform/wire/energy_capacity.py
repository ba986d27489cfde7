"""Energy capacity time series (V5, ``…/energy-capacity?start=&end=``): the shape is assumed.

API.md §4 says the endpoint returns rated and available energy capacity (kWh) per quarter-hour,
but the field names were not visible. This project assumes (and the sandbox serves)
``{"energyCapacity": [{"time", "energyCapacity", "availableEnergyCapacity"}], "unitsEnergy": "kWh"}``,
the per-point names mirroring the VirtualAsset's ``energyCapacity``/``availableEnergyCapacity``.
"""

from __future__ import annotations

from typing import Any

from reconciler.platform.models import EnergyCapacityPoint
from reconciler.platform.wire.fields import as_list, as_object, instant, number, required

SERIES_FIELD = "energyCapacity"
TIME_FIELD = "time"
RATED_FIELD = "energyCapacity"
AVAILABLE_FIELD = "availableEnergyCapacity"


def parse_energy_capacity(raw: Any) -> list[EnergyCapacityPoint]:
    doc = as_object(raw, "energy capacity answer")
    points = []
    for item in as_list(required(doc, SERIES_FIELD, "energy capacity answer"), SERIES_FIELD):
        entry = as_object(item, "energy capacity point")
        points.append(
            EnergyCapacityPoint(
                time=instant(entry, TIME_FIELD, "energy capacity point"),
                rated=number(entry, RATED_FIELD, "energy capacity point"),
                available=number(entry, AVAILABLE_FIELD, "energy capacity point"),
            )
        )
    return sorted(points, key=lambda point: point.time)
