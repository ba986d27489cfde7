"""D21: revenue of an accepted bid, with arithmetic written from DECISIONS.md."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconciler.market import product_date_code
from reconciler.rules.revenue import PAID_ON_ACTIVATIONS, auction_revenue, real_hours


def test_fcr_pays_the_settlement_price_per_mw_and_hour() -> None:
    code = product_date_code(date(2026, 11, 24), "NEGPOS_20_24")
    # 120 EUR/MW/h × 2 MW × 4 h; the bid's own capacity price (100) does not pay: pay-as-clear
    revenue = auction_revenue(code, 2000, settlement_price=Decimal(120), capacity_price=Decimal(100))
    assert revenue.eur == Decimal(960)


def test_afrr_capacity_pays_the_bid_price() -> None:
    code = product_date_code(date(2026, 11, 24), "POS_16_20")
    revenue = auction_revenue(code, 1000, settlement_price=None, capacity_price=Decimal("12.5"))
    assert revenue.eur == Decimal("50.0")  # 12.5 EUR/MW/h × 1 MW × 4 h, pay-as-bid


def test_a_four_hour_product_lasts_five_or_three_hours_when_clocks_change() -> None:
    autumn = product_date_code(date(2026, 10, 25), "NEGPOS_00_04")
    spring = product_date_code(date(2026, 3, 29), "NEGPOS_00_04")
    assert real_hours(autumn) == 5 and real_hours(spring) == 3
    assert auction_revenue(autumn, 2000, Decimal(120), None).eur == Decimal(1200)  # 120 × 2 × 5
    assert auction_revenue(spring, 2000, Decimal(120), None).eur == Decimal(720)  # 120 × 2 × 3
    later = product_date_code(date(2026, 10, 25), "NEG_04_08")
    assert auction_revenue(later, 1000, None, Decimal(10)).eur == Decimal(40)  # 10 × 1 × 4


def test_afrr_energy_is_paid_on_activations_so_unknown() -> None:
    code = product_date_code(date(2026, 11, 24), "POS_033")
    revenue = auction_revenue(code, 1000, settlement_price=Decimal(100), capacity_price=None)
    assert revenue.eur is None and revenue.basis == PAID_ON_ACTIVATIONS


def test_rejected_earns_nothing_and_a_missing_price_is_unknown_not_zero() -> None:
    code = product_date_code(date(2026, 11, 24), "NEGPOS_16_20")
    assert auction_revenue(code, 0, Decimal(120), None).eur == 0
    assert auction_revenue(code, 2000, None, Decimal(130)).eur is None
