"""D15 ancillary capacity at bid time and D16 wholesale capacity after bids (no server)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from reconciler.market import parse_product_date_code
from reconciler.rules.capacity import (
    AncillaryAvailability,
    CapacityBid,
    CapacityMarket,
    Commitments,
    PowerLimits,
    RoomLimit,
    WindowQuarter,
    ancillary_block_capacity,
    asset_power_before,
    bid_room,
    capacity_market,
    check_bid_room,
    check_wholesale_fit,
    commitments_at,
    fcr_cap,
    remaining_ancillary,
    remaining_for_window,
    wholesale_capacity,
)

D = Decimal


def _availability(fcr: int, pos: int, neg: int, charge: int, discharge: int) -> AncillaryAvailability:
    return AncillaryAvailability(D(fcr), D(pos), D(neg), D(charge), D(discharge))


def test_docs_example_4_remaining_fcr() -> None:
    # V1: only fcrCapacityAvailable 4000 limits FCR.
    v1 = _availability(4000, 5000, 5000, 10000, 10000)
    assert remaining_ancillary(CapacityMarket.FCR, v1, Commitments()) == 4000
    # V2: max total 5000 discharge / 4000 charge, an aFRR POS bid of 3000 ⇒ min(5000, 4000) − 3000 = 1000.
    v2 = _availability(4000, 5000, 5000, 4000, 5000)
    assert remaining_ancillary(CapacityMarket.FCR, v2, Commitments(afrr_pos=D(3000))) == 1000


def test_remaining_never_goes_negative_and_takes_the_least_quarter_of_a_window() -> None:
    tight = _availability(1000, 1000, 1000, 2000, 2000)
    assert (
        remaining_ancillary(CapacityMarket.AFRR_NEG, tight, Commitments(fcr=D(1000), afrr_pos=D(1000))) == 0
    )
    loose = _availability(4000, 4000, 4000, 4000, 4000)
    window = [(loose, Commitments()), (tight, Commitments(afrr_pos=D(500)))]
    assert remaining_for_window(CapacityMarket.FCR, window) == 1000


def test_commitments_sum_the_bids_that_cover_a_period() -> None:
    code = parse_product_date_code("2026-11-24_NEGPOS_08_12")
    inside, outside = code.periods()[3], datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    bids = [
        CapacityBid(CapacityMarket.FCR, frozenset(code.periods()), D(2000)),
        CapacityBid(CapacityMarket.AFRR_POS, frozenset([inside]), D(1000)),
    ]
    assert commitments_at(inside, bids) == Commitments(fcr=D(2000), afrr_pos=D(1000))
    assert commitments_at(outside, bids) == Commitments()


def test_fcr_lowers_both_wholesale_directions_and_afrr_only_its_own() -> None:
    # API.md §9 example 11: an FCR bid of X lowers wholesale by X; aFRR POS lowers discharge only.
    rated = PowerLimits(D(5000), D(5000))
    after = wholesale_capacity(rated, rated, Commitments(fcr=D(2000), afrr_pos=D(1000)))
    assert after.rated == PowerLimits(D(3000), D(2000))
    assert after.available == PowerLimits(D(3000), D(2000))
    assert ancillary_block_capacity(CapacityMarket.FCR, Commitments(fcr=D(2000))) == PowerLimits(
        D(2000), D(2000)
    )
    assert ancillary_block_capacity(CapacityMarket.AFRR_NEG, Commitments(afrr_neg=D(1000))) == PowerLimits(
        D(1000), D(0)
    )


def test_unavailability_lowers_available_wholesale_but_not_below_zero() -> None:
    rated = PowerLimits(D(5000), D(5000))
    outage = PowerLimits(D(1000), D(5000))
    after = wholesale_capacity(rated, outage, Commitments(fcr=D(2000)))
    assert after.available == PowerLimits(D(0), D(3000))
    assert after.rated == PowerLimits(D(3000), D(3000))


def test_ancillary_availability_is_limited_by_the_power_left() -> None:
    constants = _availability(4000, 5000, 5000, 5000, 5000)
    limited = constants.limited_by(PowerLimits(D(3000), D(5000)))
    assert limited == _availability(3000, 5000, 3000, 3000, 5000)


def test_a_bid_that_leaves_the_schedule_no_room_is_reported_with_period_and_amounts() -> None:
    period = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    ok = check_wholesale_fit([(period, D(-2000), PowerLimits(D(3000), D(3000)))])
    assert ok is None
    conflict = check_wholesale_fit([(period, D(4000), PowerLimits(D(3000), D(3000)))])
    assert conflict is not None
    assert conflict.message == (
        "the bid would leave 3000 kW of wholesale discharge capacity at 2026-11-24T09:00:00Z, "
        "but 4000 kW are scheduled there; reduce the schedule first"
    )


def test_capacity_market_of_products() -> None:
    assert capacity_market(parse_product_date_code("2026-11-24_NEGPOS_00_04")) is CapacityMarket.FCR
    assert capacity_market(parse_product_date_code("2026-11-24_POS_00_04")) is CapacityMarket.AFRR_POS
    assert capacity_market(parse_product_date_code("2026-11-24_NEG_16_20")) is CapacityMarket.AFRR_NEG
    assert capacity_market(parse_product_date_code("2026-11-24_NEG_001")) is None
    assert date(2026, 11, 24) == parse_product_date_code("2026-11-24_NEG_001").day


def _quarters(
    code: str, availability: AncillaryAvailability, others: Commitments | None = None
) -> list[WindowQuarter]:
    taken = others or Commitments()
    return [WindowQuarter(t, availability, taken) for t in parse_product_date_code(code).periods()]


def test_fcr_cap_d20_is_80_percent_of_the_smaller_rated_power() -> None:
    assert fcr_cap(PowerLimits(D(4000), D(5000))) == 3200
    roomy = _availability(10000, 10000, 10000, 10000, 10000)
    code = parse_product_date_code("2026-11-24_NEGPOS_00_04")
    room = bid_room(code, _quarters(str(code), roomy), PowerLimits(D(4000), D(5000)))
    assert (room.kw, room.limit, room.period) == (3200, RoomLimit.FCR_CAP, None)
    violation = check_bid_room(code, D(4000), room)
    assert (
        violation is not None
        and "FCR cap of 3200 kW (80 % of the wholesale block's rated power)" in violation.message
    )
    assert check_bid_room(code, D(3000), room) is None
    # D15 tighter than the cap: D15 names the limit (API.md §9 example 4, V2)
    v2 = _availability(4000, 5000, 5000, 4000, 5000)
    tight = bid_room(
        code, _quarters(str(code), v2, Commitments(afrr_pos=D(3000))), PowerLimits(D(5000), D(5000))
    )
    assert (tight.kw, tight.limit) == (1000, RoomLimit.REMAINING)
    # aFRR is not capped by D20
    afrr = parse_product_date_code("2026-11-24_POS_00_04")
    assert bid_room(afrr, _quarters(str(afrr), roomy), PowerLimits(D(1000), D(1000))).kw == 10000


def test_afrr_energy_room_is_its_directions_availability_in_its_quarter() -> None:
    code = parse_product_date_code("2026-11-24_NEG_073")
    room = bid_room(code, _quarters(str(code), _availability(0, 3000, 2000, 0, 0)), PowerLimits(D(0), D(0)))
    assert (room.kw, room.limit) == (2000, RoomLimit.AFRR_ENERGY)
    violation = check_bid_room(code, D(3000), room)
    assert violation is not None
    assert violation.message == (
        "offeredCapacity 3000 kW for 2026-11-24_NEG_073 exceeds the aFRR capacity available at "
        "2026-11-24T17:00:00Z (2000 kW)"
    )


def test_asset_power_before_inverts_wholesale_capacity() -> None:
    committed = Commitments(fcr=D(1000), afrr_pos=D(500))
    asset = PowerLimits(D(4000), D(5000))
    left = wholesale_capacity(asset, asset, committed).available
    assert (left.charge, left.discharge) == (3000, 3500)
    assert asset_power_before(left, committed) == asset
