"""Static bid rules (DECISIONS.md D13, API.md §5.2): capacity steps and price ranges.

Pure functions shared by the manifest validator, the planner and the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reconciler.market.products import Market
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
