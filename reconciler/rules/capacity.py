"""Ancillary capacity at bid time (D15) and the wholesale capacity left after bids (D16).

Everything is per 15-minute period and in kW. "Committed" capacity of a product is its offered
capacity until results are published and its accepted capacity afterwards (D16, D17).
FCR is symmetric and commits both directions; aFRR POS commits discharge, aFRR NEG charge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from reconciler.market import Direction, Market, ProductDateCode, isoformat_z
from reconciler.rules.bids import RuleViolation

ZERO = Decimal(0)


class CapacityMarket(StrEnum):
    """The block markets that hold power capacity (``blockMetadata[].market``)."""

    FCR = "FCR"
    AFRR_POS = "AFRR_POS"
    AFRR_NEG = "AFRR_NEG"


def capacity_market(code: ProductDateCode) -> CapacityMarket | None:
    """Which capacity block a product fills; None for aFRR energy (it moves no capacity, D16)."""
    if code.market is Market.FCR:
        return CapacityMarket.FCR
    if code.market is Market.AFRR_CAPACITY:
        return CapacityMarket.AFRR_POS if code.product.direction is Direction.POS else CapacityMarket.AFRR_NEG
    return None


@dataclass(frozen=True)
class Commitments:
    """Ancillary capacity committed in one period, kW."""

    fcr: Decimal = ZERO
    afrr_pos: Decimal = ZERO
    afrr_neg: Decimal = ZERO

    def of(self, market: CapacityMarket) -> Decimal:
        return {CapacityMarket.FCR: self.fcr, CapacityMarket.AFRR_POS: self.afrr_pos}.get(
            market, self.afrr_neg
        )

    @property
    def charge(self) -> Decimal:
        """Capacity reserved in the charge direction (FCR + aFRR NEG)."""
        return self.fcr + self.afrr_neg

    @property
    def discharge(self) -> Decimal:
        """Capacity reserved in the discharge direction (FCR + aFRR POS)."""
        return self.fcr + self.afrr_pos

    @property
    def total(self) -> Decimal:
        return self.fcr + self.afrr_pos + self.afrr_neg


@dataclass(frozen=True)
class CapacityBid:
    """A live capacity bid as it weighs on capacity: its market, window periods and committed kW."""

    market: CapacityMarket
    periods: frozenset[datetime]
    committed: Decimal


def commitments_at(period: datetime, bids: Iterable[CapacityBid]) -> Commitments:
    """Sum of the committed capacity of every bid that covers ``period``."""
    totals = dict.fromkeys(CapacityMarket, ZERO)
    for bid in bids:
        if period in bid.periods:
            totals[bid.market] += bid.committed
    return Commitments(
        totals[CapacityMarket.FCR], totals[CapacityMarket.AFRR_POS], totals[CapacityMarket.AFRR_NEG]
    )


@dataclass(frozen=True)
class PowerLimits:
    """Charge and discharge power of one period, kW (both non-negative)."""

    charge: Decimal
    discharge: Decimal


@dataclass(frozen=True)
class AncillaryAvailability:
    """The marketable ancillary capacity of one period (D15, operational categories)."""

    fcr: Decimal
    afrr_pos: Decimal
    afrr_neg: Decimal
    max_total_charge: Decimal
    max_total_discharge: Decimal

    def limited_by(self, available: PowerLimits) -> AncillaryAvailability:
        """During an unavailability no market can offer more than the power that is left:
        FCR needs both directions, aFRR POS and the discharge total the discharge power, aFRR NEG
        and the charge total the charge power."""
        both = min(available.charge, available.discharge)
        return AncillaryAvailability(
            fcr=min(self.fcr, both),
            afrr_pos=min(self.afrr_pos, available.discharge),
            afrr_neg=min(self.afrr_neg, available.charge),
            max_total_charge=min(self.max_total_charge, available.charge),
            max_total_discharge=min(self.max_total_discharge, available.discharge),
        )


def remaining_ancillary(
    market: CapacityMarket, availability: AncillaryAvailability, others: Commitments
) -> Decimal:
    """D15: capacity still open to a bid of ``market`` in one period, given the other live bids.

    The market's own availability, and all ancillary capacity together (FCR + aFRR POS + aFRR NEG)
    within min(``maxTotalAncillaryCapacityDischargeAvailable``, ``…ChargeAvailable``): API.md §9
    example 4, min(5000, 4000) − 3000 = 1000 kW left for FCR. ``others`` must not contain the
    product's own current bid (a new bid replaces it). Never negative.
    """
    own = {
        CapacityMarket.FCR: availability.fcr,
        CapacityMarket.AFRR_POS: availability.afrr_pos,
        CapacityMarket.AFRR_NEG: availability.afrr_neg,
    }[market]
    total_left = min(availability.max_total_charge, availability.max_total_discharge) - others.total
    return max(ZERO, min(own, total_left))


def remaining_for_window(
    market: CapacityMarket, periods: Sequence[tuple[AncillaryAvailability, Commitments]]
) -> Decimal:
    """D15 over a product window: the least remaining capacity of its quarters."""
    return min((remaining_ancillary(market, avail, others) for avail, others in periods), default=ZERO)


@dataclass(frozen=True)
class WholesaleCapacity:
    """The wholesale block's ``powerCapacity`` of one period (D16)."""

    rated: PowerLimits
    available: PowerLimits


def wholesale_capacity(
    rated: PowerLimits, available: PowerLimits, committed: Commitments
) -> WholesaleCapacity:
    """D16: what the wholesale block keeps once the ancillary blocks took their share.

    Rated = the asset's rated power − the capacity committed in that direction; available =
    max(0, the asset's available power (after unavailabilities) − committed).
    """
    return WholesaleCapacity(
        rated=PowerLimits(
            max(ZERO, rated.charge - committed.charge), max(ZERO, rated.discharge - committed.discharge)
        ),
        available=PowerLimits(
            max(ZERO, available.charge - committed.charge),
            max(ZERO, available.discharge - committed.discharge),
        ),
    )


def ancillary_block_capacity(market: CapacityMarket, committed: Commitments) -> PowerLimits:
    """D16: an ancillary block's capacity in one period (FCR both ways, aFRR POS discharge, NEG charge)."""
    amount = committed.of(market)
    if market is CapacityMarket.FCR:
        return PowerLimits(amount, amount)
    if market is CapacityMarket.AFRR_POS:
        return PowerLimits(ZERO, amount)
    return PowerLimits(amount, ZERO)


def check_wholesale_fit(
    schedule: Sequence[tuple[datetime, Decimal, PowerLimits]],
) -> RuleViolation | None:
    """D16 extension: a bid must leave room for the wholesale schedule already accepted.

    ``schedule`` holds, per period of the bid window, the active wholesale power and the wholesale
    available capacity the bid would leave. The first period whose power no longer fits makes the
    bid fail (400). This is why a plan that lowers a schedule and adds a bid must write the
    schedule first.
    """
    for time, power, left in schedule:
        direction, limit = ("discharge", left.discharge) if power > 0 else ("charge", left.charge)
        if abs(power) > limit:
            return RuleViolation(
                code="bid-wholesale-conflict",
                message=(
                    f"the bid would leave {limit} kW of wholesale {direction} capacity at {isoformat_z(time)}, "
                    f"but {abs(power)} kW are scheduled there; reduce the schedule first"
                ),
                expected=f"a wholesale schedule within {limit} kW",
                found=f"{abs(power)} kW scheduled",
            )
    return None
