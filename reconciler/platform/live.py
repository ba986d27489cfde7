"""Live state as the planner and drift see it: what the platform says now, per virtual asset.

Plain data (read by :mod:`reconciler.platform.reading`); the diff, checks and predictions are pure
functions of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from reconciler.market import ProductDateCode, delivery_day
from reconciler.platform.models import (
    Adjustment,
    Block,
    EnergyCapacityPoint,
    ProductBids,
    ProductResults,
    SocPoint,
    StateOfEnergy,
    VirtualAsset,
)


@dataclass(frozen=True)
class LiveAsset:
    """One virtual asset as the platform sees it now."""

    va: VirtualAsset
    wholesale: Block
    soe: StateOfEnergy
    soc: tuple[SocPoint, ...]
    energy_capacity: tuple[EnergyCapacityPoint, ...]
    operational: Mapping[str, Mapping[datetime, Decimal]]
    adjustments: tuple[Adjustment, ...]
    bids: Mapping[ProductDateCode, ProductBids]
    results: Mapping[ProductDateCode, ProductResults]
    fingerprints: Mapping[str, str] = field(default_factory=dict)

    @property
    def days(self) -> list[date]:
        return delivery_days(self.va.start, self.va.end)


@dataclass(frozen=True)
class LiveState:
    assets: Mapping[str, LiveAsset]  # by virtual asset ID
    missing: Mapping[str, str]  # virtual asset ID -> the platform's message


def delivery_days(start: datetime, end: datetime) -> list[date]:
    """Local delivery days that overlap ``[start, end)``."""
    first, last = delivery_day(start), delivery_day(end - timedelta(microseconds=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
