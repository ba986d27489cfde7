"""An auction result as the desk reads it: offered and accepted kW, the price that pays, and the
revenue (D17, D21). Pure; shared by ``watch`` (its ``auction_result`` events) and ``status``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reconciler.market import ProductDateCode
from reconciler.platform.models import ProductResults
from reconciler.rules.bids import accepted_capacity
from reconciler.rules.revenue import REVENUE_PRICE, PriceBasis, Revenue, auction_revenue

ENERGY_PRICE = "energyPrice"
# What each paying price is quoted in (D21; the manifest's prices carry the same units).
PRICE_UNIT = {PriceBasis.SETTLEMENT: "EUR/MW/h", PriceBasis.CAPACITY: "EUR/MW/h", ENERGY_PRICE: "EUR/MWh"}


@dataclass(frozen=True)
class ResultSummary:
    code: ProductDateCode
    offered_kw: int
    accepted_kw: int
    price: Decimal | None  # the price D21 pays on; for aFRR energy the bid's energyPrice
    price_field: str  # settlementPrice, capacityPrice or energyPrice
    revenue: Revenue

    @property
    def price_unit(self) -> str:
        return PRICE_UNIT[self.price_field]

    @property
    def outcome(self) -> str:
        """``accepted``, ``partially_accepted`` or ``rejected``."""
        if self.accepted_kw == 0:
            return "rejected"
        return "accepted" if self.accepted_kw >= self.offered_kw else "partially_accepted"


def summarise_result(published: ProductResults) -> ResultSummary:
    results = published.results
    offered = sum(accepted_capacity(r.offered_capacity) for r in results)
    accepted = sum(accepted_capacity(r.accepted_capacity) for r in results if r.accepted)
    settlement = next((r.settlement_price for r in results if r.settlement_price is not None), None)
    capacity = next((r.capacity_price for r in results if r.capacity_price is not None), None)
    energy = next((r.energy_price for r in results if r.energy_price is not None), None)
    basis = REVENUE_PRICE[published.code.market]
    if basis == PriceBasis.SETTLEMENT:
        price, field = settlement, PriceBasis.SETTLEMENT
    elif basis == PriceBasis.CAPACITY:
        price, field = capacity, PriceBasis.CAPACITY
    else:
        price, field = energy, ENERGY_PRICE
    revenue = auction_revenue(published.code, accepted, settlement, capacity)
    return ResultSummary(published.code, offered, accepted, price, field, revenue)
