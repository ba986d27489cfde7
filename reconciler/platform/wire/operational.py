"""Operational data envelope (DECISIONS.md D4): ``GET …/operational?categories=a,b&start=&end=``.

Answer ``{"data": {"a": [{"time", "value"}, …]}, "metaData": {"a": {"unit": "kW"}}}``, ranges
inclusive at both ends. Category names: :class:`reconciler.rules.vocabulary.Category`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.platform.wire.fields import as_list, as_object, instant, number, range_params, required


def operational_params(categories: Sequence[str], start: datetime, end: datetime) -> dict[str, str]:
    if not categories:
        raise ValueError("at least one operational category is needed")
    return {"categories": ",".join(categories), **range_params(start, end)}


def parse_operational(raw: Any, categories: Sequence[str]) -> dict[str, dict[datetime, Decimal]]:
    """Each asked-for category as ``{period start: value}``; a category the platform left out is empty."""
    doc = as_object(raw, "operational answer")
    data = as_object(required(doc, "data", "operational answer"), "operational data")
    series: dict[str, dict[datetime, Decimal]] = {}
    for category in categories:
        points: dict[datetime, Decimal] = {}
        for item in as_list(data.get(category, []), f"operational category {category!r}"):
            point = as_object(item, f"{category} point")
            points[instant(point, "time", f"{category} point")] = number(point, "value", f"{category} point")
        series[category] = dict(sorted(points.items()))
    return series
