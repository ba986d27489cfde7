"""Typed live state as the platform reports it.

Frozen dataclasses; instants are aware UTC datetimes, powers kW and energies kWh as ``Decimal``
exactly as the platform sent them. ``fingerprint`` is the sha256 of the object's JSON normalised
(:func:`reconciler.platform.jsonio.fingerprint`): a plan records it, and apply refuses to write
when the live object no longer has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.market import ProductDateCode
from reconciler.platform.jsonio import fingerprint
from reconciler.rules.capacity import PowerLimits

WHOLESALE_MARKET = "WHOLESALE"


@dataclass(frozen=True, slots=True)
class BlockMeta:
    """One entry of a virtual asset's ``blockMetadata``: which block serves which market."""

    id: str
    market: str  # "WHOLESALE", "FCR", "AFRR_POS", "AFRR_NEG" (D16)
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class VirtualAsset:
    id: str
    start: datetime
    end: datetime
    energy_capacity: Decimal  # kWh, rated
    available_energy_capacity: Decimal  # kWh, usable now
    rated_charge_power: Decimal  # kW
    rated_discharge_power: Decimal  # kW
    charge_efficiency: Decimal
    discharge_efficiency: Decimal
    dispatch_gate_closure_seconds: int
    daily_cycle_limit: Decimal | None
    annual_cycle_limit: Decimal | None
    end_soc_percentage: Decimal | None
    imbalance_charge: Decimal | None  # kWh (D10)
    imbalance_discharge: Decimal | None  # kWh (D10)
    final_soc_tolerance: Decimal | None  # a fraction (D10)
    feedback: str | None
    blocks: tuple[BlockMeta, ...]
    fingerprint: str
    portfolio_id: str | None = None  # the portfolio the platform created it for (V1, V2)

    @property
    def wholesale_block_id(self) -> str | None:
        """The ID of the wholesale block, the only one whose schedule can be written."""
        for block in self.blocks:
            if block.market == WHOLESALE_MARKET:
                return block.id
        return None


@dataclass(frozen=True, slots=True)
class PowerCapacity:
    """One period of a block's ``powerCapacity``: available and rated, kW, both directions. Flat
    (a block holds one per period); the rules see each pair as :class:`PowerLimits`."""

    time: datetime
    charge: Decimal
    discharge: Decimal
    rated_charge: Decimal
    rated_discharge: Decimal

    @property
    def available(self) -> PowerLimits:
        return PowerLimits(self.charge, self.discharge)

    @property
    def rated(self) -> PowerLimits:
        return PowerLimits(self.rated_charge, self.rated_discharge)


@dataclass(frozen=True, slots=True)
class Block:
    """A block over the window that was asked for (greedy inclusive, API.md §1)."""

    id: str
    start: datetime
    end: datetime
    schedule: Mapping[datetime, Decimal]  # period start -> active power, kW (+ discharge)
    power_capacity: Mapping[datetime, PowerCapacity]
    fingerprint: str


class Series(dict[datetime, Decimal]):
    """One operational category as read: ``{period start: value}`` in time order, and the
    fingerprint of the points as the platform sent them (the series' raw JSON, hashed when first
    asked for: a plan fingerprints only some categories; the raw points are let go then)."""

    __slots__ = ("_fingerprint", "_plain", "_raw")

    def __init__(self, points: Mapping[datetime, Decimal], raw: Any, *, plain: bool = False) -> None:
        """``plain``: the raw points are known to hold no ``Decimal`` (see :func:`fingerprint`)."""
        super().__init__(points)
        self._raw: Any = raw
        self._plain = plain
        self._fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self._raw, plain=self._plain)
            self._raw = None
        return self._fingerprint


@dataclass(frozen=True, slots=True)
class StateOfEnergy:
    soe_kwh: Decimal
    time: datetime


@dataclass(frozen=True, slots=True)
class Bid:
    """One bid of a product: capacity in kW, prices in EUR (per market, see rules.bids)."""

    offered_capacity: Decimal
    capacity_price: Decimal | None
    energy_price: Decimal | None


@dataclass(frozen=True, slots=True)
class ProductBids:
    code: ProductDateCode
    bids: tuple[Bid, ...]
    fingerprint: str


@dataclass(frozen=True, slots=True)
class BidResult:
    accepted: bool
    offered_capacity: Decimal
    accepted_capacity: Decimal
    capacity_price: Decimal | None
    energy_price: Decimal | None
    settlement_price: Decimal | None


@dataclass(frozen=True, slots=True)
class ProductResults:
    code: ProductDateCode
    results: tuple[BidResult, ...]
