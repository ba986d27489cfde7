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
    Block,
    ProductBids,
    ProductResults,
    StateOfEnergy,
    VirtualAsset,
)
from reconciler.rules.vocabulary import Adjustment, Category


@dataclass(frozen=True)
class LiveAsset:
    """One virtual asset as the platform sees it now.

    ``bids`` and ``results`` hold only the delivery days that were read (those the manifest
    mentions, see :class:`reconciler.platform.reading.ReadScope`); ``operational`` the categories
    read (always the available energy capacity and the SoC bounds; with bids, the ancillary
    availability).
    """

    va: VirtualAsset
    wholesale: Block
    soe: StateOfEnergy
    operational: Mapping[str, Mapping[datetime, Decimal]]
    adjustments: tuple[Adjustment, ...]
    bids: Mapping[ProductDateCode, ProductBids]
    results: Mapping[ProductDateCode, ProductResults]
    fingerprints: Mapping[str, str] = field(default_factory=dict)

    @property
    def days(self) -> list[date]:
        return delivery_days(self.va.start, self.va.end)

    @property
    def available_energy(self) -> Mapping[datetime, Decimal]:
        """Available energy capacity per period start, kWh (the SoC denominator, D6)."""
        return self.operational.get(Category.ENERGY_CAPACITY_AVAILABLE, {})

    @property
    def soc_bounds(self) -> tuple[Decimal, Decimal] | None:
        """The SoC bounds (lower, upper) in %, as of the asset's last period; None if not reported."""
        lower = self.operational.get(Category.SOC_LOWER_BOUND, {})
        upper = self.operational.get(Category.SOC_UPPER_BOUND, {})
        if not lower or not upper:
            return None
        return lower[max(lower)], upper[max(upper)]


@dataclass(frozen=True)
class LiveState:
    assets: Mapping[str, LiveAsset]  # by virtual asset ID
    missing: Mapping[str, str]  # virtual asset ID -> the platform's message
    failed: Mapping[str, str] = field(default_factory=dict)  # virtual asset ID -> the read that failed


def delivery_days(start: datetime, end: datetime) -> list[date]:
    """Local delivery days that overlap ``[start, end)``."""
    first, last = delivery_day(start), delivery_day(end - timedelta(microseconds=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
