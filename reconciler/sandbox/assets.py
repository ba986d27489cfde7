"""One virtual asset inside the sandbox: its blocks, active schedule, bids, results and energy.

Capacities are derived, never stored: every period's wholesale and ancillary capacity is computed
from the asset's rated power, its unavailabilities and the capacity its live bids commit (D15,
D16), with the functions of :mod:`reconciler.rules.capacity` that the planner uses too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from reconciler.market import PERIOD, ProductDateCode, periods_between
from reconciler.rules.capacity import (
    AncillaryAvailability,
    CapacityBid,
    CapacityMarket,
    Commitments,
    PowerLimits,
    WholesaleCapacity,
    capacity_market,
    commitments_at,
    wholesale_capacity,
)
from reconciler.rules.schedule import PeriodInput
from reconciler.rules.soe import Efficiencies, SocBounds, advance_energy, project_energy, quantize_energy
from reconciler.rules.vocabulary import Adjustment
from reconciler.sandbox.fixture import AssetSpec

# Block IDs are stable across runs (tests and saved plans can name them): uuid5 of asset + market.
BLOCK_NAMESPACE = uuid.UUID("6f1d2c3b-5a49-4e8f-9b7d-0c1e2f3a4b5c")
WHOLESALE = "WHOLESALE"
ZERO = Decimal(0)


def block_id(asset_id: str, market: str) -> str:
    return str(uuid.uuid5(BLOCK_NAMESPACE, f"{asset_id}/{market}"))


def new_bid_id(asset_id: str, serial: int) -> str:
    """A bidID (D18): stable across runs for the same sequence of writes."""
    return str(uuid.uuid5(BLOCK_NAMESPACE, f"{asset_id}/bid/{serial}"))


def floor_period(moment: datetime) -> datetime:
    """Start of the quarter-hour that contains ``moment`` (UTC)."""
    return moment - timedelta(
        minutes=moment.minute % 15, seconds=moment.second, microseconds=moment.microsecond
    )


@dataclass(frozen=True)
class StoredBid:
    """The one live bid of a product (offered capacity already truncated to whole kW, D13);
    ``bid_id`` is given when the bid is stored (D18)."""

    code: ProductDateCode
    offered: Decimal
    capacity_price: Decimal | None
    energy_price: Decimal | None
    bid_id: str = ""


@dataclass(frozen=True)
class Result:
    """A published auction result of one bid (D17)."""

    bid: StoredBid
    accepted_capacity: Decimal
    settlement_price: Decimal | None

    @property
    def accepted(self) -> bool:
        return self.accepted_capacity > 0


@dataclass(frozen=True)
class Unavailability:
    """Available capacities during ``[start, end)``; None leaves that quantity at its rated value."""

    start: datetime
    end: datetime
    charge: Decimal | None
    discharge: Decimal | None
    energy: Decimal | None


@dataclass
class AssetState:
    spec: AssetSpec
    organisation: str
    created_at: datetime
    soe_time: datetime
    soe: Fraction
    schedule: dict[datetime, Decimal] = field(default_factory=dict)  # active values; absent = 0
    adjustments: list[Adjustment] = field(default_factory=list)
    unavailabilities: list[Unavailability] = field(default_factory=list)
    bids: dict[str, StoredBid] = field(default_factory=dict)  # by productDateCode
    results: dict[str, Result] = field(default_factory=dict)
    ancillary_blocks: list[CapacityMarket] = field(default_factory=list)  # in creation order
    soe_history: dict[datetime, Fraction] = field(default_factory=dict)
    bids_stored: int = 0  # how many bids this asset has stored: numbers the next bidID

    @classmethod
    def seed(cls, spec: AssetSpec, organisation: str, now: datetime) -> AssetState:
        start = min(max(floor_period(now), spec.start), spec.end)
        soe = quantize_energy(spec.initial_state_of_energy)
        state = cls(spec, organisation, min(spec.start, now), start, soe, schedule=dict(spec.schedule))
        state.soe_history[start] = soe
        return state

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def efficiencies(self) -> Efficiencies:
        return Efficiencies.of(self.spec.charge_efficiency, self.spec.discharge_efficiency)

    @property
    def bounds(self) -> SocBounds:
        return SocBounds.of(self.spec.soc_lower, self.spec.soc_upper)

    # --- blocks -------------------------------------------------------------------------
    @property
    def wholesale_block(self) -> str:
        return block_id(self.id, WHOLESALE)

    def blocks(self) -> list[tuple[str, str]]:
        """``(block ID, market)`` of every block, wholesale first."""
        return [(self.wholesale_block, WHOLESALE)] + [
            (block_id(self.id, m), str(m)) for m in self.ancillary_blocks
        ]

    def block_market(self, identifier: str) -> str | None:
        return dict(self.blocks()).get(identifier)

    # --- time ---------------------------------------------------------------------------
    def periods(self, start: datetime | None = None, end: datetime | None = None) -> Iterator[datetime]:
        """Period starts within the asset's life, optionally limited to ``[start, end)``."""
        first = self.spec.start if start is None else max(self.spec.start, start)
        last = self.spec.end if end is None else min(self.spec.end, end)
        if first >= last:
            return iter(())
        return periods_between(first, last)

    def power(self, period: datetime) -> Decimal:
        return self.schedule.get(period, ZERO)

    # --- capacity -----------------------------------------------------------------------
    def _unavailable(self, period: datetime) -> list[Unavailability]:
        return [u for u in self.unavailabilities if u.start <= period < u.end]

    def available_power(self, period: datetime) -> PowerLimits:
        charge, discharge = self.spec.rated_charge_power, self.spec.rated_discharge_power
        for outage in self._unavailable(period):
            charge = min(charge, outage.charge) if outage.charge is not None else charge
            discharge = min(discharge, outage.discharge) if outage.discharge is not None else discharge
        return PowerLimits(charge, discharge)

    def rated_power(self) -> PowerLimits:
        return PowerLimits(self.spec.rated_charge_power, self.spec.rated_discharge_power)

    def available_energy_capacity(self, period: datetime) -> Decimal:
        capacity = self.spec.energy_capacity
        for outage in self._unavailable(period):
            if outage.energy is not None:
                capacity = min(capacity, outage.energy)
        return capacity

    def ancillary_availability(self, period: datetime) -> AncillaryAvailability:
        """The fixture's marketable capacities, limited by the power an unavailability leaves."""
        spec = self.spec
        constants = AncillaryAvailability(
            fcr=spec.fcr_capacity_available,
            afrr_pos=spec.afrr_capacity_pos_available,
            afrr_neg=spec.afrr_capacity_neg_available,
            max_total_charge=spec.max_total_charge_available,
            max_total_discharge=spec.max_total_discharge_available,
        )
        return constants.limited_by(self.available_power(period))

    def eventful_periods(self, bids: list[CapacityBid]) -> set[datetime]:
        """The periods an unavailability or one of ``bids`` covers: every other period has the
        rated capacities and no commitment, so any two of them read the same."""
        covered = {period for bid in bids for period in bid.periods}
        for outage in self.unavailabilities:
            first = floor_period(outage.start)
            if first < outage.start:
                first += PERIOD
            covered.update(self.periods(first, outage.end))
        return covered

    def capacity_bids(
        self, bids: Mapping[str, StoredBid] | None = None, exclude: str | None = None
    ) -> list[CapacityBid]:
        """Live capacity bids as they weigh on capacity: offered until results, accepted after (D16)."""
        result = []
        for code, bid in (self.bids if bids is None else bids).items():
            market = capacity_market(bid.code)
            if market is None or code == exclude:
                continue
            published = self.results.get(code)
            committed = published.accepted_capacity if published else bid.offered
            result.append(CapacityBid(market, frozenset(bid.code.periods()), committed))
        return result

    def commitments(self, period: datetime, bids: list[CapacityBid] | None = None) -> Commitments:
        return commitments_at(period, self.capacity_bids() if bids is None else bids)

    def wholesale(self, period: datetime, bids: list[CapacityBid] | None = None) -> WholesaleCapacity:
        return wholesale_capacity(
            self.rated_power(), self.available_power(period), self.commitments(period, bids)
        )

    # --- energy -------------------------------------------------------------------------
    def advance_soe(self, moment: datetime) -> None:
        """Move the stored energy along the active schedule to the latest boundary ≤ ``moment``."""
        target = min(max(floor_period(moment), self.spec.start), self.spec.end)
        while self.soe_time < target:
            self.soe = advance_energy(self.soe, self.power(self.soe_time), self.efficiencies)
            self.soe_time += PERIOD
            self.soe_history[self.soe_time] = self.soe

    def projected_energies(
        self, until: datetime, schedule: Mapping[datetime, Decimal] | None = None
    ) -> dict[datetime, Fraction]:
        """Stored energy at every boundary from the latest state of energy to ``until``, along the
        active (or a tentative) schedule, without corrections (D6)."""
        active = self.schedule if schedule is None else schedule
        periods = list(self.periods(self.soe_time, until))
        energies = project_energy(self.soe, [active.get(p, ZERO) for p in periods], self.efficiencies)
        return dict(zip([self.soe_time, *(p + PERIOD for p in periods)], energies, strict=True))

    def period_inputs(
        self, start: datetime, end: datetime, schedule: Mapping[datetime, Decimal] | None = None
    ) -> list[PeriodInput]:
        """The periods in ``[start, end)`` as the re-validation rules take them: active (or a
        tentative) power and available energy capacity."""
        active = self.schedule if schedule is None else schedule
        return [
            PeriodInput(p, active.get(p, ZERO), self.available_energy_capacity(p))
            for p in self.periods(start, end)
        ]

    def projected_energy(
        self, moment: datetime, schedule: Mapping[datetime, Decimal] | None = None
    ) -> Fraction:
        """Stored energy at a boundary ``moment`` ≥ the latest state of energy."""
        energies = self.projected_energies(moment, schedule)
        return energies[max(energies)]

    def energies_between(self, start: datetime, end: datetime) -> dict[datetime, Fraction]:
        """Stored energy at the boundaries in ``[start, end]``: recorded up to the latest state of
        energy, projected after it; boundaries before the sandbox's first record are absent."""
        recorded = {t: e for t, e in self.soe_history.items() if start <= t <= end}
        projected = {t: e for t, e in self.projected_energies(end).items() if start <= t <= end}
        return recorded | projected
