"""Energy capacity time series (V5, ``…/energy-capacity?start=&end=``): field names assumed.

API.md §4 says the endpoint returns rated and available energy capacity (kWh) per quarter-hour
but the field names were not visible. This project assumes a list of
``{"time", "ratedEnergyCapacity", "availableEnergyCapacity"}`` (the sandbox serves the same).
"""

from __future__ import annotations

from typing import Any

from reconciler.platform.models import EnergyCapacityPoint
from reconciler.platform.wire.fields import as_list, as_object, instant, number

TIME_FIELD = "time"
RATED_FIELD = "ratedEnergyCapacity"
AVAILABLE_FIELD = "availableEnergyCapacity"


def parse_energy_capacity(raw: Any) -> list[EnergyCapacityPoint]:
    points = []
    for item in as_list(raw, "energy capacity answer"):
        entry = as_object(item, "energy capacity point")
        points.append(
            EnergyCapacityPoint(
                time=instant(entry, TIME_FIELD, "energy capacity point"),
                rated=number(entry, RATED_FIELD, "energy capacity point"),
                available=number(entry, AVAILABLE_FIELD, "energy capacity point"),
            )
        )
    return sorted(points, key=lambda point: point.time)
