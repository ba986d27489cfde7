"""Operational data envelope (DECISIONS.md D4): ``GET …/operational?categories=a,b&start=&end=``.

Answer ``{"data": {"a": [{"time", "value"}, …]}, "metaData": {"a": {"unit": "kW"}}}``, ranges
inclusive at both ends. Category names: :class:`reconciler.rules.vocabulary.Category`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reconciler.platform.models import Series
from reconciler.platform.wire.fields import as_object, number_series, range_params, required


def operational_params(categories: Sequence[str], start: datetime, end: datetime) -> dict[str, str]:
    if not categories:
        raise ValueError("at least one operational category is needed")
    return {"categories": ",".join(categories), **range_params(start, end)}


def parse_operational(raw: Any, categories: Sequence[str]) -> dict[str, Series]:
    """Each asked-for category as ``{period start: value}``, fingerprinted (when asked) as the platform sent it;
    a category the platform left out is empty."""
    doc = as_object(raw, "operational answer")
    data = as_object(required(doc, "data", "operational answer"), "operational data")
    series = {}
    for category in categories:
        points = data.get(category, [])
        values, plain = number_series(
            points, f"operational category {category!r}", "value", f"{category} point"
        )
        series[category] = Series(values, points, plain=plain)
    return series
