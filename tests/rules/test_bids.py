"""Static bid rules (DECISIONS.md D13): capacity steps after truncation, price range, price fields."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from fractions import Fraction

import pytest

from reconciler.market import Market, MarketTimes, parse_product_date_code
from reconciler.rules.bids import (
    accepted_capacity,
    check_bid_lifetime,
    check_bid_prices,
    check_bid_timing,
    check_offered_capacity,
    check_price,
)
from reconciler.rules.units import Number


@pytest.mark.parametrize(
    ("offered", "kept"),
    [(Decimal("1000.5"), 1000), (Decimal("1999.999"), 1999), (2000, 2000), (Fraction(4001, 4), 1000)],
)
def test_the_fraction_of_a_kw_is_cut_off(offered: Number, kept: int) -> None:
    assert accepted_capacity(offered) == kept


@pytest.mark.parametrize("offered", [Decimal("1000.5"), 1000, 3000, Decimal("5000.0")])
def test_positive_whole_megawatts_are_accepted(offered: Number) -> None:
    assert check_offered_capacity(offered) is None


@pytest.mark.parametrize("offered", [Decimal(1500), Decimal("999.9"), 0, -1000, Decimal("-1000.5"), 1001])
def test_anything_else_is_a_capacity_step_violation(offered: Number) -> None:
    violation = check_offered_capacity(offered)
    assert violation is not None
    assert violation.code == "bid-capacity-step"
    assert violation.found == f"{offered} kW"


@pytest.mark.parametrize(
    ("price", "ok"), [(15000, True), (-15000, True), (Decimal("15000.01"), False), (-15001, False)]
)
def test_prices_are_limited_to_15000_eur_inclusive(price: Number, ok: bool) -> None:
    violation = check_price("capacityPrice", price)
    assert (violation is None) is ok
    if violation:
        assert violation.code == "bid-price-range" and "capacityPrice" in violation.message


def _codes(market: Market, capacity: Decimal | None, energy: Decimal | None) -> list[str]:
    return [v.code for v in check_bid_prices(market, capacity, energy)]


def test_which_prices_each_market_carries() -> None:
    one = Decimal(1)
    assert _codes(Market.FCR, one, None) == []
    assert _codes(Market.FCR, None, None) == ["bid-price-missing"]
    assert _codes(Market.FCR, one, one) == ["bid-price-unexpected"]
    assert _codes(Market.AFRR_CAPACITY, one, one) == []
    assert _codes(Market.AFRR_CAPACITY, one, None) == ["bid-price-missing"]
    assert _codes(Market.AFRR_ENERGY, None, one) == []
    assert _codes(Market.AFRR_ENERGY, one, one) == ["bid-price-unexpected"]
    assert _codes(Market.AFRR_ENERGY, None, Decimal(-20000)) == ["bid-price-range"]


def test_bid_timing_d14_opening_deadline_and_publication() -> None:
    code = parse_product_date_code("2026-11-24_NEGPOS_00_04")  # FCR: 07:30 CET on D-1 = 06:30Z
    at = datetime.fromisoformat
    not_open = check_bid_timing(code, at("2026-11-16T22:59:59+00:00"))
    assert (
        not_open is not None
        and not_open.message == "bidding for 2026-11-24_NEGPOS_00_04 opens at 2026-11-16T23:00:00Z"
    )
    assert check_bid_timing(code, at("2026-11-16T23:00:00+00:00")) is None
    assert check_bid_timing(code, at("2026-11-23T06:30:00+00:00")) is None  # the deadline is inclusive
    late = check_bid_timing(code, at("2026-11-23T06:30:01+00:00"))
    assert late is not None and late.code == "bid-deadline-passed"
    published = check_bid_timing(code, at("2026-11-23T07:20:00+00:00"))
    assert published is not None and published.code == "bid-results-published"
    later = MarketTimes(fcr_deadline=time(8, 0))  # a fixture's override moves the deadline
    assert check_bid_timing(code, at("2026-11-23T06:45:00+00:00"), later) is None


def test_bid_lifetime() -> None:
    code = parse_product_date_code("2026-11-24_NEGPOS_20_24")  # 19:00Z–23:00Z
    start = datetime.fromisoformat("2026-11-23T23:00:00+00:00")
    assert check_bid_lifetime(code, start, datetime.fromisoformat("2026-11-24T23:00:00+00:00")) is None
    outside = check_bid_lifetime(code, start, datetime.fromisoformat("2026-11-24T22:00:00+00:00"))
    assert outside is not None and outside.message == (
        "2026-11-24_NEGPOS_20_24 (2026-11-24T19:00:00Z/2026-11-24T23:00:00Z) is outside the virtual asset's "
        "lifetime 2026-11-23T23:00:00Z/2026-11-24T22:00:00Z"
    )
