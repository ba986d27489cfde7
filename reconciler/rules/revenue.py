"""Revenue of an auction result (DECISIONS.md D21), a pure function of the result's numbers.

- FCR is pay-as-clear: ``settlementPrice`` (EUR/MW/h) × accepted MW × the product's real hours;
- aFRR capacity is pay-as-bid: ``capacityPrice`` (EUR/MW/h) × accepted MW × real hours;
- aFRR energy is paid on activations at a price fixed after delivery: not computable from results.

Real hours are the product window's length in UTC: a 4-hour product lasts 3 or 5 hours on the
days clocks change (D13).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reconciler.market import Market, ProductDateCode
from reconciler.rules.units import KW_PER_MW

SECONDS_PER_HOUR = 3600
PAID_ON_ACTIVATIONS = "paid on activations"


class PriceBasis:
    """Which price of a result D21 pays on, per market (``None``: not computable)."""

    SETTLEMENT = "settlementPrice"
    CAPACITY = "capacityPrice"


REVENUE_PRICE: dict[Market, str | None] = {
    Market.FCR: PriceBasis.SETTLEMENT,
    Market.AFRR_CAPACITY: PriceBasis.CAPACITY,
    Market.AFRR_ENERGY: None,
}
"""D21: the price a product's revenue is computed from, per market."""


@dataclass(frozen=True)
class Revenue:
    """``eur`` is None when results cannot tell (aFRR energy; a missing price); ``basis`` says why."""

    eur: Decimal | None
    basis: str


def real_hours(code: ProductDateCode) -> Decimal:
    """Hours the product really lasts (3, 4 or 5 for a 4-hour product; 0.25 for aFRR energy)."""
    start, end = code.window()
    return Decimal(int((end - start).total_seconds())) / SECONDS_PER_HOUR


def auction_revenue(
    code: ProductDateCode,
    accepted_kw: int | Decimal,
    settlement_price: Decimal | None,
    capacity_price: Decimal | None,
) -> Revenue:
    """D21 for the accepted capacity of one product (sum the accepted bids' kW first)."""
    basis = REVENUE_PRICE[code.market]
    if basis is None:
        return Revenue(None, PAID_ON_ACTIVATIONS)
    price = settlement_price if basis == PriceBasis.SETTLEMENT else capacity_price
    if price is None:
        return Revenue(None, f"no {basis} in the result")
    hours = real_hours(code)
    mw = Decimal(accepted_kw) / KW_PER_MW
    return Revenue(price * mw * hours, f"{basis} × accepted MW × {hours.normalize():f} h")
