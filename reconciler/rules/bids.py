"""Bid rules (DECISIONS.md D13, D14, API.md §5.2): capacity steps, price ranges, timing, lifetime.

Pure functions shared by the manifest validator, the planner and the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from reconciler.market import (
    DEFAULT_MARKET_TIMES,
    Market,
    MarketTimes,
    ProductDateCode,
    bid_deadline,
    bid_opening,
    isoformat_z,
    result_publication,
)
from reconciler.rules.units import Number, truncate_kw

CAPACITY_STEP_KW = 1000
PRICE_LIMIT_EUR = Decimal(15000)


@dataclass(frozen=True)
class RuleViolation:
    """A broken rule: ``code`` is stable, ``message`` is the platform-style text."""

    code: str
    message: str
    expected: str
    found: str


def accepted_capacity(offered_kw: Number) -> int:
    """What the platform keeps of ``offeredCapacity``: the fraction is cut off (1000.5 → 1000)."""
    return truncate_kw(offered_kw)


def check_offered_capacity(offered_kw: Number) -> RuleViolation | None:
    """After truncation the capacity must be a positive multiple of 1000 kW."""
    kept = accepted_capacity(offered_kw)
    if kept <= 0 or kept % CAPACITY_STEP_KW:
        return RuleViolation(
            code="bid-capacity-step",
            message=f"offeredCapacity {offered_kw} kW is not a positive multiple of {CAPACITY_STEP_KW} kW",
            expected=f"a positive multiple of {CAPACITY_STEP_KW} kW (1 MW)",
            found=f"{offered_kw} kW",
        )
    return None


def check_price(field: str, price: Number) -> RuleViolation | None:
    if not -PRICE_LIMIT_EUR <= price <= PRICE_LIMIT_EUR:
        return RuleViolation(
            code="bid-price-range",
            message=f"{field} {price} is outside [-15000, 15000] EUR",
            expected="a price between -15000 and 15000 EUR",
            found=str(price),
        )
    return None


def check_bid_prices(
    market: Market, capacity_price: Number | None, energy_price: Number | None
) -> list[RuleViolation]:
    """Which prices a bid must carry, and their range.

    FCR: ``capacityPrice`` only. aFRR capacity: ``capacityPrice`` and ``energyPrice`` (the price of
    its implicit energy bids). aFRR energy: ``energyPrice`` and no ``capacityPrice``.
    """
    violations: list[RuleViolation] = []
    wants_capacity = market is not Market.AFRR_ENERGY
    wants_energy = market is not Market.FCR
    for field, value, wanted in (
        ("capacityPrice", capacity_price, wants_capacity),
        ("energyPrice", energy_price, wants_energy),
    ):
        if wanted and value is None:
            violations.append(
                RuleViolation(
                    "bid-price-missing", f"{field} is required for {market} bids", f"a {field}", "none"
                )
            )
        elif not wanted and value is not None:
            violations.append(
                RuleViolation(
                    "bid-price-unexpected", f"{market} bids carry no {field}", f"no {field}", str(value)
                )
            )
        elif value is not None:
            violation = check_price(field, value)
            if violation:
                violations.append(violation)
    return violations


def check_bid_timing(
    code: ProductDateCode, now: datetime, times: MarketTimes = DEFAULT_MARKET_TIMES
) -> RuleViolation | None:
    """D14: a product's bids change only from its opening to its deadline (inclusive), and never
    once its results are out. ``times`` are the target's market times (a sandbox fixture may
    override the defaults)."""
    opening, deadline = bid_opening(code, times), bid_deadline(code, times)
    published = result_publication(code, times)
    if now < opening:
        return RuleViolation(
            "bid-not-open",
            f"bidding for {code} opens at {isoformat_z(opening)}",
            f"a change from {isoformat_z(opening)}",
            isoformat_z(now),
        )
    if now >= published:
        return RuleViolation(
            "bid-results-published",
            f"results for {code} were published at {isoformat_z(published)}; its bids can no longer change",
            f"a change before {isoformat_z(published)}",
            isoformat_z(now),
        )
    if now > deadline:
        return RuleViolation(
            "bid-deadline-passed",
            f"the bid deadline for {code} was {isoformat_z(deadline)}",
            f"a change by {isoformat_z(deadline)}",
            isoformat_z(now),
        )
    return None


def check_bid_lifetime(code: ProductDateCode, start: datetime, end: datetime) -> RuleViolation | None:
    """A product's window must lie inside the virtual asset's lifetime ``[start, end)``."""
    first, last = code.window()
    if first < start or last > end:
        return RuleViolation(
            "bid-outside-lifetime",
            f"{code} ({isoformat_z(first)}/{isoformat_z(last)}) is outside the virtual asset's lifetime "
            f"{isoformat_z(start)}/{isoformat_z(end)}",
            f"a product within {isoformat_z(start)}/{isoformat_z(end)}",
            f"{isoformat_z(first)}/{isoformat_z(last)}",
        )
    return None
