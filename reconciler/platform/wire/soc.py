"""Projected state of charge with its bounds (V8, ``…/state-of-charge/projected``; D6).

``{"stateOfChargePercentageTimeseries": [{"time", "soc", "boundaries": {"lower", "upper"}}]}``,
each point the SoC at that instant, in percent of the available energy capacity. The assumption
(D6): ``boundaries.lower/upper`` are the SoC bounds the platform enforces (``stateOfChargeBounds``
of the sandbox fixture), so this is where the planner learns them.
"""

from __future__ import annotations

from typing import Any

from reconciler.platform.models import SocPoint
from reconciler.platform.wire.fields import as_list, as_object, instant, number, required

SERIES_FIELD = "stateOfChargePercentageTimeseries"


def parse_projected_soc(raw: Any) -> list[SocPoint]:
    doc = as_object(raw, "projected state of charge")
    points = []
    for item in as_list(required(doc, SERIES_FIELD, "projected state of charge"), SERIES_FIELD):
        entry = as_object(item, "state-of-charge point")
        bounds = as_object(required(entry, "boundaries", "state-of-charge point"), "boundaries")
        points.append(
            SocPoint(
                time=instant(entry, "time", "state-of-charge point"),
                soc=number(entry, "soc", "state-of-charge point"),
                lower=number(bounds, "lower", "state-of-charge boundaries"),
                upper=number(bounds, "upper", "state-of-charge boundaries"),
            )
        )
    return sorted(points, key=lambda point: point.time)
