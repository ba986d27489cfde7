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
from functools import lru_cache

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
    fcr = afrr_pos = afrr_neg = ZERO
    for bid in bids:
        if period in bid.periods:
            if bid.market is CapacityMarket.FCR:
                fcr += bid.committed
            elif bid.market is CapacityMarket.AFRR_POS:
                afrr_pos += bid.committed
            else:
                afrr_neg += bid.committed
    return Commitments(fcr, afrr_pos, afrr_neg)


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


FCR_CAP_SHARE = Decimal("0.8")
"""D20 (ASBL): FCR may offer at most 80 % of the wholesale block's rated power."""


def fcr_cap(rated: PowerLimits) -> Decimal:
    """D20: 80 % of the wholesale block's rated power (``ratedChargePower``/``ratedDischargePower``,
    the asset's). FCR reserves both directions, so the smaller one counts (an assumption: the docs
    name one rated power)."""
    return FCR_CAP_SHARE * min(rated.charge, rated.discharge)


class RoomLimit(StrEnum):
    """What sets the most a bid may offer."""

    REMAINING = "remaining"  # D15: the market's availability and the ancillary total, less other bids
    FCR_CAP = "fcr-cap"  # D20
    AFRR_ENERGY = "afrr-energy"  # aFRR energy: its direction's aFRR availability in its quarter


@dataclass(frozen=True)
class BidRoom:
    """The most a bid of one product may offer, kW, what sets it and the quarter where it is least
    (``None`` for the FCR cap, which holds for the whole window)."""

    kw: Decimal
    limit: RoomLimit
    period: datetime | None


@dataclass(frozen=True)
class WindowQuarter:
    """One quarter of a product window as the bid rules see it: the marketable capacity and what the
    other live (or planned) bids commit there."""

    time: datetime
    availability: AncillaryAvailability
    others: Commitments


def bid_room(code: ProductDateCode, quarters: Sequence[WindowQuarter], rated: PowerLimits) -> BidRoom:
    """D15 and D20 for one product: the least room over its quarters, and for FCR the cap too.

    aFRR capacity and FCR: :func:`remaining_ancillary` per quarter (``others`` must leave out the
    product's own bid: a new bid replaces it). aFRR energy moves no capacity (D16) but may not offer
    more than its direction's aFRR availability. A quarter list that is empty leaves no room.
    """
    market = capacity_market(code)
    if market is None:
        pos = code.product.direction is Direction.POS
        rows = [(q.availability.afrr_pos if pos else q.availability.afrr_neg, q.time) for q in quarters]
        limit = RoomLimit.AFRR_ENERGY
    else:
        rows = [(remaining_ancillary(market, q.availability, q.others), q.time) for q in quarters]
        limit = RoomLimit.REMAINING
    if not rows:
        return BidRoom(ZERO, limit, None)
    kw, period = min(rows, key=lambda row: (row[0], row[1]))
    if market is CapacityMarket.FCR and fcr_cap(rated) < kw:
        return BidRoom(fcr_cap(rated), RoomLimit.FCR_CAP, None)
    return BidRoom(kw, limit, period)


def _kw(value: Decimal) -> str:
    return format(value.normalize(), "f")


def check_bid_room(code: ProductDateCode, offered: Decimal, room: BidRoom) -> RuleViolation | None:
    """A bid offering more than its room is refused (400); the message names what limits it."""
    if offered <= room.kw:
        return None
    at = isoformat_z(room.period) if room.period is not None else ""
    if room.limit is RoomLimit.FCR_CAP:
        what = f"the FCR cap of {_kw(room.kw)} kW ({_kw(FCR_CAP_SHARE * 100)} % of the wholesale block's rated power)"
    elif room.limit is RoomLimit.AFRR_ENERGY:
        what = f"the aFRR capacity available at {at} ({room.kw} kW)"
    else:
        what = f"the remaining {capacity_market(code)} capacity of {room.kw} kW at {at}"
    return RuleViolation(
        code=f"bid-{room.limit}",
        message=f"offeredCapacity {offered} kW for {code} exceeds {what}",
        expected=f"at most {room.kw} kW",
        found=f"{offered} kW",
    )


@dataclass(frozen=True)
class WholesaleCapacity:
    """The wholesale block's ``powerCapacity`` of one period (D16)."""

    rated: PowerLimits
    available: PowerLimits


def asset_power_before(wholesale_available: PowerLimits, committed: Commitments) -> PowerLimits:
    """The inverse of :func:`wholesale_capacity` for a reader that sees only the wholesale block:
    the asset's available power = what the wholesale block has + what the bids took from it (D16)."""
    return PowerLimits(
        wholesale_available.charge + committed.charge, wholesale_available.discharge + committed.discharge
    )


@lru_cache(maxsize=2**10)  # a year of periods asks with a few distinct inputs, 35 040 times
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


def power_over_limit(power: Decimal, left: PowerLimits) -> tuple[str, Decimal] | None:
    """D8/D16: ``(direction, limit)`` when a signed wholesale power does not fit the capacity left
    (|power| above the discharge limit when discharging, above the charge limit when charging)."""
    if power > left.discharge:
        return "discharge", left.discharge
    if -power > left.charge:
        return "charge", left.charge
    return None


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
        over = power_over_limit(power, left)
        if over is not None:
            direction, limit = over
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
