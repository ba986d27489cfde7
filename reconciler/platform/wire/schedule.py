"""Schedule updates (DECISIONS.md D1).

``PUT …/blocks/{block}`` with ``{"schedule": [{"time", "power"}, …]}`` holding only the periods
that change; the platform upserts per point and rejects the whole request (400) if one point
breaks a strict rule. PUT, not the tutorials' POST, because PUT may be retried safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.platform.wire.fields import time_param

SCHEDULE_UPDATE_METHOD = "PUT"


def schedule_update_body(points: Mapping[datetime, Decimal]) -> dict[str, Any]:
    """The request body, points in time order; powers stay exact Decimals (kW, + discharge)."""
    return {"schedule": [{"time": time_param(moment), "power": points[moment]} for moment in sorted(points)]}
