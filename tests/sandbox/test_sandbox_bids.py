"""FCR and aFRR bids over real HTTP: rules (D13), deadlines (D14), capacity (D15, D16), results (D17)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import Api, MakeSandbox, asset, error, fixture, parse

FCR = "/ancillary/fcr/bids"
AFRR = "/ancillary/afrr/bids"
# Delivery day 2026-11-24 (CET): NEGPOS_08_12 is 07:00Z–11:00Z, POS_16_20 15:00Z–19:00Z.
WINDOW_08_12 = ("2026-11-24T07:00:00Z", "2026-11-24T10:45:00Z")


def fcr(capacity: Any, price: Any = 100) -> list[dict[str, Any]]:
    return [{"offeredCapacity": capacity, "capacityPrice": price}]


def afrr(capacity: Any, capacity_price: Any = 10, energy_price: Any = 50) -> list[dict[str, Any]]:
    return [{"offeredCapacity": capacity, "capacityPrice": capacity_price, "energyPrice": energy_price}]


@pytest.fixture
def plain(make_sandbox: MakeSandbox) -> RunningSandbox:
    # 07:00 local on D-1: before the FCR (07:30) and aFRR capacity (08:30) deadlines for 2026-11-24.
    return make_sandbox(fixture(asset(), clearingPrices={"FCR": 120, "AFRRCapacity": 20, "AFRREnergy": 100}))


def test_remaining_fcr_capacity_docs_example_4_v1(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    too_much = api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(5000))
    assert too_much.status_code == 400
    assert error(too_much) == (
        "invalid operation error: offeredCapacity 5000 kW for 2026-11-24_NEGPOS_00_04 exceeds the remaining "
        "FCR capacity of 4000 kW at 2026-11-23T23:00:00Z"
    )
    assert api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(4000)).status_code == 200


def test_remaining_fcr_capacity_docs_example_4_v2(make_sandbox: MakeSandbox) -> None:
    spec = asset(
        maxTotalAncillaryCapacityDischargeAvailable=5000, maxTotalAncillaryCapacityChargeAvailable=4000
    )
    api = Api(make_sandbox(fixture(spec)).url)
    assert api.put(f"{AFRR}/2026-11-24_POS_00_04", afrr(3000)).status_code == 200
    refused = api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(2000))
    assert refused.status_code == 400 and "remaining FCR capacity of 1000 kW" in error(refused)
    assert api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(1000)).status_code == 200


def test_bid_rounding_docs_example_5(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    kept = api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(1000.5))
    assert parse(kept) == [
        {
            "bids": [{"capacityPrice": 100, "offeredCapacity": 1000}],
            "deliveryDay": "2026-11-24",
            "product": "NEGPOS_00_04",
            "productDateCode": "2026-11-24_NEGPOS_00_04",
        }
    ]
    refused = api.put(f"{FCR}/2026-11-24_NEGPOS_04_08", fcr(1500))
    assert refused.status_code == 400
    assert error(refused) == (
        "invalid operation error: 2026-11-24_NEGPOS_04_08: offeredCapacity 1500 kW is not a positive multiple of 1000 kW"
    )


def test_fcr_bid_moves_capacity_docs_example_11(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    assert api.put(f"{FCR}/2026-11-24_NEGPOS_08_12", fcr(2000)).status_code == 200
    assert [b["market"] for b in parse(api.get())["blockMetadata"]] == ["WHOLESALE", "FCR"]
    fcr_block = api.capacity("FCR", "2026-11-24T06:45:00Z", "2026-11-24T11:00:00Z")
    wholesale = api.capacity("WHOLESALE", "2026-11-24T06:45:00Z", "2026-11-24T11:00:00Z")
    assert fcr_block["2026-11-24T06:45:00Z"] == (0, 0) and fcr_block["2026-11-24T11:00:00Z"] == (0, 0)
    assert wholesale["2026-11-24T06:45:00Z"] == (5000, 5000) and wholesale["2026-11-24T11:00:00Z"] == (
        5000,
        5000,
    )
    inside = [t for t in fcr_block if "2026-11-24T07:00:00Z" <= t <= "2026-11-24T10:45:00Z"]
    assert len(inside) == 16
    assert all(fcr_block[t] == (2000, 2000) and wholesale[t] == (3000, 3000) for t in inside)


def test_afrr_capacity_moves_one_direction_and_results_move_it_back_docs_example_10(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(
        fixture(
            asset(),
            clearingPrices={"AFRRCapacity": 20},
            partialAcceptance={"2026-11-24_POS_12_16": 1000},
        )
    )
    api = Api(sandbox.url)
    body = [
        {"product": "POS_08_12", "deliveryDay": "2026-11-24", "bids": afrr(2000, 10)},  # clears in full
        {"product": "POS_12_16", "deliveryDay": "2026-11-24", "bids": afrr(2000, 10)},  # partly
        {"product": "POS_16_20", "deliveryDay": "2026-11-24", "bids": afrr(2000, 30)},  # above the price
    ]
    assert api.post(AFRR, body).status_code == 200
    probes = ["2026-11-24T07:00:00Z", "2026-11-24T11:00:00Z", "2026-11-24T15:00:00Z"]

    def at(market: str) -> list[tuple[Any, Any]]:
        capacity = api.capacity(market, "2026-11-24T00:00:00Z", "2026-11-24T23:00:00Z")
        return [capacity[t] for t in probes]

    assert at("AFRR_POS") == [(0, 2000)] * 3
    assert at("WHOLESALE") == [(5000, 3000)] * 3
    assert parse(api.get("/ancillary/afrr/results", deliveryDay="2026-11-24")) == []

    sandbox.set_clock("2026-11-23T08:20:00Z")  # 09:20 CET on D-1: aFRR capacity results
    assert at("AFRR_POS") == [(0, 2000), (0, 1000), (0, 0)]
    assert at("WHOLESALE") == [(5000, 3000), (5000, 4000), (5000, 5000)]
    results = parse(api.get("/ancillary/afrr/results", deliveryDay="2026-11-24", market="capacity"))
    summary = [
        (r["product"], r["results"][0]["accepted"], r["results"][0]["acceptedCapacity"]) for r in results
    ]
    assert summary == [("POS_08_12", True, 2000), ("POS_12_16", True, 1000), ("POS_16_20", False, 0)]
    assert all(r["results"][0]["settlementPrice"] is None for r in results)
    accepted = parse(api.get("/ancillary/afrr/results", deliveryDay="2026-11-24", accepted="false"))
    assert [r["product"] for r in accepted] == ["POS_16_20"]


def test_fcr_results_pay_as_clear(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(2000, 100))
    api.put(f"{FCR}/2026-11-24_NEGPOS_04_08", fcr(1000, 150))
    plain.set_clock("2026-11-23T07:19:59Z")
    assert parse(api.get("/ancillary/fcr/results", deliveryDay="2026-11-24")) == []
    plain.advance(1)  # 08:20 CET
    results = parse(api.get("/ancillary/fcr/results", deliveryDay="2026-11-24"))
    assert [r["results"] for r in results] == [
        [
            {
                "accepted": True,
                "acceptedCapacity": 2000,
                "capacityPrice": 100,
                "energyPrice": None,
                "offeredCapacity": 2000,
                "settlementPrice": 120,
            }
        ],
        [
            {
                "accepted": False,
                "acceptedCapacity": 0,
                "capacityPrice": 150,
                "energyPrice": None,
                "offeredCapacity": 1000,
                "settlementPrice": 120,
            }
        ],
    ]
    wholesale = api.capacity("WHOLESALE", "2026-11-24T03:00:00Z", "2026-11-24T03:00:00Z")
    assert wholesale == {"2026-11-24T03:00:00Z": (5000, 5000)}  # the rejected 04_08 bid gave it back


def test_deadlines_opening_and_published_results_refuse_changes(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    early = api.put(f"{FCR}/2026-11-25_NEGPOS_00_04", fcr(1000))
    assert early.status_code == 200  # opened 2026-11-18
    plain.set_clock("2026-11-23T06:30:00Z")  # 07:30 CET: still in time (inclusive)
    assert api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(1000)).status_code == 200
    plain.advance(1)
    late = api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", [])
    assert late.status_code == 400
    assert (
        error(late)
        == "invalid operation error: the bid deadline for 2026-11-24_NEGPOS_00_04 was 2026-11-23T06:30:00Z"
    )
    plain.set_clock("2026-11-23T07:20:00Z")
    published = api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(2000))
    assert published.status_code == 400 and "were published at 2026-11-23T07:20:00Z" in error(published)
    assert parse(api.get(f"{FCR}/2026-11-24_NEGPOS_00_04"))["bids"][0]["offeredCapacity"] == 1000


def test_bidding_opens_seven_days_before_delivery(make_sandbox: MakeSandbox) -> None:
    spec = asset(end="2026-12-10T00:00:00Z")
    api = Api(make_sandbox(fixture(spec)).url)
    refused = api.put(f"{FCR}/2026-12-01_NEGPOS_00_04", fcr(1000))
    assert (
        error(refused)
        == "invalid operation error: bidding for 2026-12-01_NEGPOS_00_04 opens at 2026-11-23T23:00:00Z"
    )
    assert api.put(f"{FCR}/2026-11-30_NEGPOS_00_04", fcr(1000)).status_code == 200


def test_fixture_deadlines_override_d14(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(fixture(asset(), deadlines={"fcrDeadline": "06:45"})).url)
    late = api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", fcr(1000))
    assert error(late).endswith("was 2026-11-23T05:45:00Z")


def test_empty_put_deletes_and_gives_capacity_back(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    api.put(f"{FCR}/2026-11-24_NEGPOS_08_12", fcr(2000))
    deleted = api.put(f"{FCR}/2026-11-24_NEGPOS_08_12", [])
    assert deleted.status_code == 200 and parse(deleted)[0]["bids"] == []
    assert parse(api.get(FCR, deliveryDay="2026-11-24")) == []
    assert set(api.capacity("WHOLESALE", *WINDOW_08_12).values()) == {(5000, 5000)}
    assert api.put(f"{FCR}/2026-11-24_NEGPOS_08_12", []).status_code == 200  # deleting twice is fine


def test_a_bid_must_leave_room_for_the_wholesale_schedule(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    assert api.write_schedule({"2026-11-24T09:00:00Z": 4000}).status_code == 200
    refused = api.put(f"{FCR}/2026-11-24_NEGPOS_08_12", fcr(2000))
    assert refused.status_code == 400
    assert error(refused) == (
        "invalid operation error: 2026-11-24_NEGPOS_08_12: the bid would leave 3000 kW of wholesale discharge "
        "capacity at 2026-11-24T09:00:00Z, but 4000 kW are scheduled there; reduce the schedule first"
    )
    assert api.write_schedule({"2026-11-24T09:00:00Z": 3000}).status_code == 200
    assert api.put(f"{FCR}/2026-11-24_NEGPOS_08_12", fcr(2000)).status_code == 200
    too_big = api.write_schedule({"2026-11-24T09:00:00Z": 3001})
    assert too_big.status_code == 400 and "available discharge capacity of 3000 kW" in error(too_big)


def test_post_is_all_or_nothing(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    body = [
        {"product": "NEGPOS_00_04", "deliveryDay": "2026-11-24", "bids": fcr(1000)},
        {"product": "NEGPOS_04_08", "deliveryDay": "2026-11-24", "bids": fcr(9000)},
    ]
    assert api.post(FCR, body).status_code == 400
    assert parse(api.get(FCR, deliveryDay="2026-11-24")) == []
    assert [r["method"] for r in plain.requests() if r["path"].endswith(FCR)][-1:] == ["GET"]


def test_afrr_pos_and_neg_in_one_post_share_the_total(make_sandbox: MakeSandbox) -> None:
    spec = asset(
        maxTotalAncillaryCapacityChargeAvailable=3000, maxTotalAncillaryCapacityDischargeAvailable=3000
    )
    api = Api(make_sandbox(fixture(spec)).url)
    body = [
        {"product": "POS_00_04", "deliveryDay": "2026-11-24", "bids": afrr(2000)},
        {"product": "NEG_00_04", "deliveryDay": "2026-11-24", "bids": afrr(2000)},
    ]
    refused = api.post(AFRR, body)
    assert refused.status_code == 400 and "remaining AFRR_NEG capacity of 1000 kW" in error(refused)
    assert parse(api.get(AFRR, deliveryDay="2026-11-24")) == []


def test_bid_shapes_and_prices_are_checked(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    cases = {
        f"{AFRR}/2026-11-24_POS_00_04": [{"offeredCapacity": 1000, "capacityPrice": 10}],
        f"{FCR}/2026-11-24_NEGPOS_00_04": [{"offeredCapacity": 1000, "capacityPrice": 15000.01}],
        f"{FCR}/2026-11-24_POS_00_04": fcr(1000),
        f"{AFRR}/2026-11-24_NEGPOS_00_04": afrr(1000),
        f"{FCR}/2026-11-24_NEGPOS_01_05": fcr(1000),
        f"{FCR}/2026-11-24_NEGPOS_08_12": fcr(1000) * 2,
        f"{FCR}/2026-11-24_NEGPOS_12_16": [{"capacityPrice": 1}],
        f"{FCR}/2026-11-24_NEGPOS_16_20": {"offeredCapacity": 1000},
    }
    for path, body in cases.items():
        response = api.put(path, body)
        assert response.status_code == 400, (path, response.text)
        assert error(response).startswith("invalid operation error: ")
    missing = error(api.put(f"{AFRR}/2026-11-24_POS_00_04", [{"offeredCapacity": 1000, "capacityPrice": 10}]))
    assert missing.endswith("is missing the required field 'energyPrice'")
    unexpected = [{"offeredCapacity": 1000, "capacityPrice": 10, "energyPrice": 5}]
    assert "FCR bids carry no energyPrice" in error(api.put(f"{FCR}/2026-11-24_NEGPOS_00_04", unexpected))
    assert "only one bid per product" in error(api.put(f"{FCR}/2026-11-24_NEGPOS_08_12", fcr(1000) * 2))


def test_bid_listing_filters(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    api.put(f"{AFRR}/2026-11-24_POS_00_04", afrr(1000))
    api.put(
        f"{AFRR}/2026-11-24_NEG_073", [{"offeredCapacity": 1000, "capacityPrice": None, "energyPrice": -20}]
    )
    both = parse(api.get(AFRR, deliveryDay="2026-11-24"))
    assert [b["product"] for b in both] == ["POS_00_04", "NEG_073"]
    assert [b["product"] for b in parse(api.get(AFRR, deliveryDay="2026-11-24", market="energy"))] == [
        "NEG_073"
    ]
    assert parse(api.get(AFRR, deliveryDay="2026-11-24", market="energy"))[0]["bids"] == [
        {"capacityPrice": None, "energyPrice": -20, "offeredCapacity": 1000}
    ]
    assert api.get(AFRR, deliveryDay="2026-11-24", market="Energy").status_code == 400
    assert api.get(AFRR).status_code == 400
    assert api.get(AFRR, deliveryDay="24.11.2026").status_code == 400


def test_afrr_energy_products_docs_example_20_on_dst_days(make_sandbox: MakeSandbox) -> None:
    spring = asset(id="spring", start="2026-03-28T23:00:00Z", end="2026-03-29T22:00:00Z")
    autumn = asset(id="autumn", start="2026-10-24T22:00:00Z", end="2026-10-25T23:00:00Z")
    api = Api(make_sandbox(fixture(spring, autumn, now="2026-03-28T12:00:00Z")).url)
    energy = [{"offeredCapacity": 1000, "energyPrice": 50}]
    first = api.put(f"{AFRR}/2026-03-29_POS_001", energy, va="spring")
    assert first.status_code == 200
    assert api.put(f"{AFRR}/2026-03-29_POS_092", energy, va="spring").status_code == 200
    missing = api.put(f"{AFRR}/2026-03-29_POS_093", energy, va="spring")
    assert missing.status_code == 400
    assert "POS_093 does not exist on 2026-03-29: that day has 92 quarter-hours" in error(missing)
    api_late = Api(make_sandbox(fixture(spring, autumn, now="2026-10-24T12:00:00Z")).url)
    assert api_late.put(f"{AFRR}/2026-10-25_NEG_100", energy, va="autumn").status_code == 200
    too_much = api_late.put(
        f"{AFRR}/2026-10-25_NEG_099", [{"offeredCapacity": 6000, "energyPrice": 50}], va="autumn"
    )
    assert too_much.status_code == 400 and "exceeds the aFRR capacity available" in error(too_much)


def test_afrr_energy_results_come_23_minutes_before_the_quarter(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    # NEG_049 on 2026-11-23 is 12:00–12:15 CET = 11:00Z; results at 10:37Z.
    api.put(f"{AFRR}/2026-11-23_NEG_049", [{"offeredCapacity": 2000, "energyPrice": 150}])
    plain.set_clock("2026-11-23T10:36:59Z")
    assert parse(api.get("/ancillary/afrr/results", deliveryDay="2026-11-23", market="energy")) == []
    assert parse(api.get("/ancillary/afrr/results/2026-11-23_NEG_049"))["results"] == []
    plain.advance(1)
    result = parse(api.get("/ancillary/afrr/results/2026-11-23_NEG_049"))
    assert result["productDateCode"] == "2026-11-23_NEG_049"
    assert result["results"][0]["accepted"] is False  # 150 EUR/MWh is above the 100 clearing price
    plain.set_clock("2026-11-23T10:47:00Z")  # NEG_050 (11:15Z) closed at 10:45Z
    late = api.put(f"{AFRR}/2026-11-23_NEG_050", [{"offeredCapacity": 1000, "energyPrice": 1}])
    assert late.status_code == 400 and error(late).endswith("was 2026-11-23T10:45:00Z")


def test_afrr_energy_product_001_is_the_first_local_quarter_hour(make_sandbox: MakeSandbox) -> None:
    # POS_001 of 2026-11-24 is 00:00–00:15 CET = 2026-11-23T23:00Z, so it closes at 22:30Z.
    api = Api(make_sandbox(fixture(asset(), now="2026-11-23T22:31:00Z")).url)
    energy = [{"offeredCapacity": 1000, "energyPrice": 50}]
    closed = api.put(f"{AFRR}/2026-11-24_POS_001", energy)
    assert (
        error(closed)
        == "invalid operation error: the bid deadline for 2026-11-24_POS_001 was 2026-11-23T22:30:00Z"
    )
    assert api.put(f"{AFRR}/2026-11-24_POS_002", energy).status_code == 200


bid_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=12),
    st.decimals(allow_nan=False, places=2),
)
bid_entry = st.dictionaries(
    st.sampled_from(["offeredCapacity", "capacityPrice", "energyPrice", "x"]), bid_values
)
codes = st.sampled_from(
    [
        "2026-11-24_NEGPOS_00_04",
        "2026-11-24_POS_00_04",
        "2026-11-24_NEG_096",
        "2026-11-24_POS_097",
        "junk",
        "2026-13-01_POS_001",
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    family=st.sampled_from(["fcr", "afrr"]),
    code=codes,
    body=st.one_of(st.lists(bid_entry, max_size=2), bid_entry),
)
def test_no_bid_body_makes_the_sandbox_answer_500(
    plain: RunningSandbox, family: str, code: str, body: Any
) -> None:
    api = Api(plain.url)
    response = api.put(f"/ancillary/{family}/bids/{code}", body)
    assert response.status_code in (200, 400), response.text
    posted = api.post(
        f"/ancillary/{family}/bids", [{"product": code[11:], "deliveryDay": code[:10], "bids": body}]
    )
    assert posted.status_code in (200, 400), posted.text
