"""Products, productDateCodes, windows on DST days, deadlines and result publication."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from reconciler.market import (
    Direction,
    Market,
    MarketTimes,
    ProductError,
    bid_deadline,
    bid_opening,
    parse_product,
    parse_product_date_code,
    product_date_code,
    product_periods,
    product_window,
    products_of_day,
    result_publication,
)

SPRING, AUTUMN, NORMAL = date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 24)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("product", "day", "hours"),
    [
        ("NEGPOS_00_04", SPRING, 3),
        ("NEGPOS_00_04", AUTUMN, 5),
        ("POS_00_04", NORMAL, 4),
        ("NEG_04_08", SPRING, 4),
        ("NEGPOS_20_24", AUTUMN, 4),
    ],
)
def test_four_hour_products_last_three_four_or_five_real_hours(product: str, day: date, hours: int) -> None:
    start, end = product_window(parse_product(product), day)
    assert end - start == timedelta(hours=hours)
    assert len(product_periods(parse_product(product), day)) == hours * 4


def test_product_windows_in_utc() -> None:
    assert product_window(parse_product("NEGPOS_00_04"), NORMAL) == (utc(11, 23, 23), utc(11, 24, 3))
    assert product_window(parse_product("POS_20_24"), NORMAL) == (utc(11, 24, 19), utc(11, 24, 23))
    assert product_window(parse_product("NEGPOS_00_04"), SPRING) == (utc(3, 28, 23), utc(3, 29, 2))


@pytest.mark.parametrize(("day", "last"), [(SPRING, 92), (AUTUMN, 100), (NORMAL, 96)])
def test_energy_products_run_to_092_096_or_100(day: date, last: int) -> None:
    products = products_of_day(Market.AFRR_ENERGY, day)
    assert len(products) == 2 * last
    assert products[last - 1].name == f"POS_{last:03d}"
    assert products[-1].name == f"NEG_{last:03d}"
    product_date_code(day, f"NEG_{last:03d}")
    with pytest.raises(ProductError, match=f"POS_{last + 1:03d}"):
        product_date_code(day, f"POS_{last + 1:03d}")


def test_energy_product_indices_count_local_quarter_hours() -> None:
    assert product_window(parse_product("POS_001"), NORMAL) == (utc(11, 23, 23), utc(11, 23, 23, 15))
    assert product_window(parse_product("NEG_073"), NORMAL)[0] == utc(11, 24, 17)  # 18:00 CET
    # Autumn: quarters 9-12 are 02:00-03:00 CEST, 13-16 the repeated hour in CET.
    assert product_window(parse_product("POS_009"), AUTUMN)[0] == utc(10, 25, 0)
    assert product_window(parse_product("POS_013"), AUTUMN)[0] == utc(10, 25, 1)
    # Spring: quarter 9 is 03:00 CEST, straight after 01:45 CET.
    assert product_window(parse_product("POS_009"), SPRING)[0] == utc(3, 29, 1)


def test_products_of_each_market() -> None:
    assert [p.name for p in products_of_day(Market.FCR, NORMAL)] == [
        "NEGPOS_00_04", "NEGPOS_04_08", "NEGPOS_08_12", "NEGPOS_12_16", "NEGPOS_16_20", "NEGPOS_20_24",
    ]  # fmt: skip
    capacity = products_of_day(Market.AFRR_CAPACITY, NORMAL)
    assert len(capacity) == 12 and {p.direction for p in capacity} == {Direction.POS, Direction.NEG}


@pytest.mark.parametrize(
    "name", ["NEGPOS_01_05", "NEGPOS_00_08", "POS_000", "POS_101", "NEGPOS_001", "FCR_1"]
)
def test_unknown_products_are_refused_with_what_would_be_valid(name: str) -> None:
    with pytest.raises(ProductError, match=r"expected|run from"):
        parse_product(name)


def test_product_date_codes_round_trip() -> None:
    code = parse_product_date_code("2026-11-24_NEGPOS_08_12")
    assert (code.day, code.product.name, code.market) == (NORMAL, "NEGPOS_08_12", Market.FCR)
    assert str(code) == "2026-11-24_NEGPOS_08_12"
    assert parse_product_date_code("2026-11-24_POS_073").market is Market.AFRR_ENERGY
    assert parse_product_date_code("2026-11-24_NEG_16_20").market is Market.AFRR_CAPACITY
    for bad in ("NEGPOS_08_12", "2026-13-01_POS_001", "2026-03-29_POS_093"):
        with pytest.raises(ProductError):
            parse_product_date_code(bad)


def test_deadlines_and_publication_in_local_time() -> None:
    fcr = product_date_code(NORMAL, "NEGPOS_00_04")
    assert bid_deadline(fcr) == utc(11, 23, 6, 30)  # 07:30 CET on D-1
    assert result_publication(fcr) == utc(11, 23, 7, 20)  # 08:20 CET
    capacity = product_date_code(NORMAL, "POS_16_20")
    assert bid_deadline(capacity) == utc(11, 23, 7, 30)  # 08:30 CET
    assert result_publication(capacity) == utc(11, 23, 8, 20)  # 09:20 CET
    energy = product_date_code(NORMAL, "NEG_073")  # 18:00 CET
    assert bid_deadline(energy) == utc(11, 24, 16, 30)
    assert result_publication(energy) == utc(11, 24, 16, 37)
    assert bid_opening(fcr) == utc(11, 16, 23)  # 00:00 CET seven days before


def test_deadline_on_the_day_before_follows_that_days_offset() -> None:
    # Delivery on 2026-03-30: D-1 is the spring DST day, 07:30 is already CEST.
    assert bid_deadline(product_date_code(date(2026, 3, 30), "NEGPOS_00_04")) == utc(3, 29, 5, 30)
    # Delivery on 2026-10-26: D-1 is the autumn DST day, 07:30 is CET again.
    assert bid_deadline(product_date_code(date(2026, 10, 26), "NEGPOS_00_04")) == utc(10, 25, 6, 30)


def test_market_times_can_be_overridden() -> None:
    times = MarketTimes(fcr_deadline=time(8, 0), afrr_energy_deadline_before=timedelta(minutes=60))
    assert bid_deadline(product_date_code(NORMAL, "NEGPOS_00_04"), times) == utc(11, 23, 7)
    assert bid_deadline(product_date_code(NORMAL, "POS_001"), times) == utc(11, 23, 22)
