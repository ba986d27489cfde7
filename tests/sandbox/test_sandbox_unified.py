"""The unified ancillary API of D18 over real HTTP, and its consistency with the per-market routes
of D12: a bid placed through one flavour is read back through the other, both ways."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from reconciler.sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import ORG, Api, MakeSandbox, asset, error, fixture, parse

BIDS, RESULTS = "/ancillary/bids", "/ancillary/results"
# Delivery day 2026-11-24 (CET) runs 2026-11-23T23:00Z–2026-11-24T23:00Z.
DAY = {"start": "2026-11-23T23:00:00Z", "end": "2026-11-24T22:45:00Z"}


def item(market: str, product: str, bids: list[dict[str, Any]], day: str = "2026-11-24") -> dict[str, Any]:
    return {"market": market, "product": product, "deliveryDay": day, "bids": bids}


def fcr(capacity: Any, price: Any = 100) -> list[dict[str, Any]]:
    return [{"offeredCapacity": capacity, "capacityPrice": price}]


def afrr(capacity: Any, capacity_price: Any = 10, energy_price: Any = 50) -> list[dict[str, Any]]:
    return [{"offeredCapacity": capacity, "capacityPrice": capacity_price, "energyPrice": energy_price}]


@pytest.fixture
def plain(make_sandbox: MakeSandbox) -> RunningSandbox:
    # 07:00 local on D-1: before the FCR (07:30) and aFRR capacity (08:30) deadlines for 2026-11-24.
    return make_sandbox(fixture(asset(), clearingPrices={"FCR": 120, "AFRRCapacity": 20, "AFRREnergy": 100}))


def test_unified_post_answers_the_list_with_bid_ids_and_legacy_reads_it_back(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    posted = api.post(BIDS, [item("FCR", "NEGPOS_08_12", fcr(2000.7))])
    assert posted.status_code == 200, posted.text
    [answer] = parse(posted)
    [bid] = answer["bids"]
    assert answer == {
        "bids": [{"bidID": bid["bidID"], "capacityPrice": 100, "energyPrice": None, "offeredCapacity": 2000}],
        "deliveryDay": "2026-11-24",
        "market": "FCR",
        "product": "NEGPOS_08_12",
    }
    assert bid["bidID"]
    assert parse(api.get("/ancillary/fcr/bids", deliveryDay="2026-11-24")) == [
        {
            "bids": [{"capacityPrice": 100, "offeredCapacity": 2000}],
            "deliveryDay": "2026-11-24",
            "product": "NEGPOS_08_12",
            "productDateCode": "2026-11-24_NEGPOS_08_12",
        }
    ]
    assert parse(api.get(BIDS, **DAY)) == [answer]  # and the unified read gives the same bidID


def test_legacy_put_is_read_back_through_the_unified_route(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    assert api.put("/ancillary/afrr/bids/2026-11-24_POS_16_20", afrr(1000, 12.5, 80)).status_code == 200
    energy = [{"offeredCapacity": 1000, "energyPrice": -20}]
    assert api.put("/ancillary/afrr/bids/2026-11-24_NEG_073", energy).status_code == 200
    listed = parse(api.get(BIDS, **DAY))
    assert [(p["market"], p["product"]) for p in listed] == [  # in delivery order
        ("AFRRCapacity", "POS_16_20"),  # from 16:00 CET
        ("AFRREnergy", "NEG_073"),  # 18:00 CET
    ]
    by_product = {p["product"]: p["bids"][0] for p in listed}
    assert by_product["POS_16_20"]["capacityPrice"] == 12.5 and by_product["POS_16_20"]["energyPrice"] == 80
    assert by_product["NEG_073"]["capacityPrice"] is None and by_product["NEG_073"]["energyPrice"] == -20
    assert all(bid["bidID"] for bid in by_product.values())


def test_fcr_and_afrr_items_in_one_request_are_refused_and_nothing_changes(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    mixed = api.post(
        BIDS, [item("FCR", "NEGPOS_00_04", fcr(1000)), item("AFRRCapacity", "POS_00_04", afrr(1000))]
    )
    assert mixed.status_code == 400
    assert error(mixed) == "invalid operation error: FCR and aFRR bids must go in separate requests"
    assert parse(api.get(BIDS, **DAY)) == []
    # aFRR capacity and aFRR energy are one market group: one request
    group = [item("AFRRCapacity", "POS_00_04", afrr(1000)), item("AFRREnergy", "NEG_001", afrr(1000, None))]
    assert api.post(BIDS, group).status_code == 200
    assert len(parse(api.get(BIDS, **DAY))) == 2


def test_empty_bids_delete_and_replacing_keeps_one_bid_per_product(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    first = parse(api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(1000))]))[0]["bids"][0]["bidID"]
    second = parse(api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(2000, 90))]))[0]["bids"][0]
    assert second["offeredCapacity"] == 2000 and second["bidID"] != first
    assert [p["bids"] for p in parse(api.get(BIDS, **DAY))] == [[second]]
    deleted = api.post(BIDS, [item("FCR", "NEGPOS_00_04", [])])
    assert parse(deleted) == [
        {"bids": [], "deliveryDay": "2026-11-24", "market": "FCR", "product": "NEGPOS_00_04"}
    ]
    assert parse(api.get(BIDS, **DAY)) == []
    assert parse(api.get("/ancillary/fcr/bids", deliveryDay="2026-11-24")) == []
    assert set(api.capacity("WHOLESALE", DAY["start"], DAY["end"]).values()) == {
        (Decimal(5000), Decimal(5000))
    }


def test_market_must_match_the_product_and_the_names_are_case_sensitive(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    wrong = api.post(BIDS, [item("AFRRCapacity", "NEGPOS_00_04", fcr(1000))])
    assert error(wrong) == "invalid operation error: item 0: NEGPOS_00_04 is a FCR product, not AFRRCapacity"
    lower = api.post(BIDS, [item("fcr", "NEGPOS_00_04", fcr(1000))])
    assert lower.status_code == 400 and "market must be one of FCR, AFRRCapacity, AFRREnergy" in error(lower)
    missing = api.post(BIDS, [{"product": "NEGPOS_00_04", "deliveryDay": "2026-11-24", "bids": fcr(1000)}])
    assert (
        error(missing)
        == "invalid operation error: malformed request: item 0 is missing the required text field 'market'"
    )
    twice = api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(1000))] * 2)
    assert (
        error(twice)
        == "invalid operation error: 2026-11-24_NEGPOS_00_04 appears more than once in the request"
    )
    assert parse(api.get(BIDS, **DAY)) == []


def test_reads_need_start_and_end_and_filter_by_market_direction_and_overlap(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    api.post(BIDS, [item("FCR", "NEGPOS_08_12", fcr(1000))])  # 07:00Z–11:00Z
    api.post(
        BIDS, [item("AFRRCapacity", "POS_16_20", afrr(1000)), item("AFRRCapacity", "NEG_16_20", afrr(1000))]
    )
    api.post(BIDS, [item("AFRREnergy", "POS_001", [{"offeredCapacity": 1000, "energyPrice": 5}])])  # 23:00Z

    def products(**query: str) -> list[str]:
        response = api.get(BIDS, **query)
        assert response.status_code == 200, response.text
        return [p["product"] for p in parse(response)]

    assert sorted(products(**DAY)) == ["NEGPOS_08_12", "NEG_16_20", "POS_001", "POS_16_20"]
    assert products(**DAY, markets="FCR") == ["NEGPOS_08_12"]
    assert sorted(products(**DAY, markets="AFRRCapacity,AFRREnergy", productDirections="POS")) == [
        "POS_001",
        "POS_16_20",
    ]
    # inclusive at both ends: a range ending at a window's first instant overlaps it, one ending
    # just before does not; a range starting at a window's end does not
    assert products(start="2026-11-24T06:00:00Z", end="2026-11-24T07:00:00Z", markets="FCR") == [
        "NEGPOS_08_12"
    ]
    assert products(start="2026-11-24T06:00:00Z", end="2026-11-24T06:59:59Z", markets="FCR") == []
    assert products(start="2026-11-24T11:00:00Z", end="2026-11-24T12:00:00Z", markets="FCR") == []
    assert products(start="2026-11-24T10:59:59Z", end="2026-11-24T10:59:59Z", markets="FCR") == [
        "NEGPOS_08_12"
    ]
    for bad in (
        {"start": DAY["start"]},
        {"end": DAY["end"]},
        {**DAY, "markets": "fcr"},
        {**DAY, "productDirections": "UP"},
    ):
        response = api.get(BIDS, **bad)
        assert response.status_code == 400 and error(response).startswith("invalid operation error: "), bad


def test_results_have_no_entry_before_publication_and_agree_with_the_legacy_route(
    plain: RunningSandbox,
) -> None:
    api = Api(plain.url)
    bid_id = parse(api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(2000, 100))]))[0]["bids"][0]["bidID"]
    api.post(BIDS, [item("FCR", "NEGPOS_04_08", fcr(1000, 150))])
    plain.set_clock("2026-11-23T07:19:59Z")  # a second before 08:20 CET (FCR results, D14)
    assert parse(api.get(RESULTS, **DAY)) == []
    plain.advance(1)
    results = parse(api.get(RESULTS, **DAY))
    assert results[0] == {
        "deliveryDay": "2026-11-24",
        "market": "FCR",
        "product": "NEGPOS_00_04",
        "results": [
            {
                "accepted": True,
                "acceptedCapacity": 2000,
                "bidID": bid_id,
                "capacityPrice": 100,
                "energyPrice": None,
                "offeredCapacity": 2000,
                "settlementPrice": 120,
            }
        ],
    }
    assert results[1]["results"][0]["accepted"] is False  # 150 is above the clearing price of 120
    legacy = parse(api.get("/ancillary/fcr/results", deliveryDay="2026-11-24"))
    for unified, old in zip(results, legacy, strict=True):
        assert unified["product"] == old["product"]
        assert [{k: v for k, v in r.items() if k != "bidID"} for r in unified["results"]] == old["results"]


# --- API.md §9 worked examples through the unified route ----------------------------------------


def test_docs_example_4_remaining_fcr_through_the_unified_route(make_sandbox: MakeSandbox) -> None:
    spec = asset(
        maxTotalAncillaryCapacityDischargeAvailable=5000, maxTotalAncillaryCapacityChargeAvailable=4000
    )
    api = Api(make_sandbox(fixture(spec)).url)
    assert api.post(BIDS, [item("AFRRCapacity", "POS_00_04", afrr(3000))]).status_code == 200
    refused = api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(2000))])
    assert refused.status_code == 400 and "remaining FCR capacity of 1000 kW" in error(refused)
    assert api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(1000))]).status_code == 200


def test_docs_example_5_rounding_through_the_unified_route(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    kept = parse(api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(1000.5))]))
    assert kept[0]["bids"][0]["offeredCapacity"] == 1000
    refused = api.post(BIDS, [item("FCR", "NEGPOS_04_08", fcr(1500))])
    assert error(refused) == (
        "invalid operation error: 2026-11-24_NEGPOS_04_08: offeredCapacity 1500 kW is not a positive multiple of 1000 kW"
    )


def test_docs_examples_10_and_11_capacity_moves_through_the_unified_route(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(
        fixture(
            asset(), clearingPrices={"AFRRCapacity": 20}, partialAcceptance={"2026-11-24_POS_12_16": 1000}
        )
    )
    api = Api(sandbox.url)
    assert api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(2000))]).status_code == 200
    body = [
        item("AFRRCapacity", "POS_08_12", afrr(2000, 10)),  # clears in full
        item("AFRRCapacity", "POS_12_16", afrr(2000, 10)),  # partly
        item("AFRRCapacity", "POS_16_20", afrr(2000, 30)),  # above the price
    ]
    assert api.post(BIDS, body).status_code == 200
    probes = ["2026-11-23T23:00:00Z", "2026-11-24T07:00:00Z", "2026-11-24T11:00:00Z", "2026-11-24T15:00:00Z"]

    def wholesale() -> list[tuple[Any, Any]]:
        capacity = api.capacity("WHOLESALE", DAY["start"], DAY["end"])
        return [capacity[t] for t in probes]

    assert wholesale() == [(3000, 3000), (5000, 3000), (5000, 3000), (5000, 3000)]  # example 11, then 10
    sandbox.set_clock("2026-11-23T08:20:00Z")  # 09:20 CET on D-1: aFRR capacity results
    assert wholesale() == [(3000, 3000), (5000, 3000), (5000, 4000), (5000, 5000)]
    summary = [
        (r["product"], r["results"][0]["acceptedCapacity"])
        for r in parse(api.get(RESULTS, **DAY, markets="AFRRCapacity"))
    ]
    assert summary == [("POS_08_12", 2000), ("POS_12_16", 1000), ("POS_16_20", 0)]


def test_another_organisation_can_neither_change_nor_see_the_bids(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    api.post(BIDS, [item("FCR", "NEGPOS_00_04", fcr(1000))])
    other = Api(plain.url, "other", "other-password", org="org-other")
    for response in (
        other.client.post(
            f"/organisations/{ORG}/virtual-assets/va-1{BIDS}", json=[item("FCR", "NEGPOS_00_04", [])]
        ),
        other.client.get(f"/organisations/{ORG}/virtual-assets/va-1{BIDS}", params=DAY),
        other.client.get(f"/organisations/{ORG}/virtual-assets/va-1{RESULTS}", params=DAY),
        other.post(BIDS, [item("FCR", "NEGPOS_00_04", [])]),  # its own organisation, our asset
        other.get(BIDS, **DAY),
    ):
        assert response.status_code == 404, response.text
        assert "NEGPOS" not in response.text and "1000" not in response.text
    assert [p["bids"][0]["offeredCapacity"] for p in parse(api.get(BIDS, **DAY))] == [1000]


def test_docs_example_20_energy_products_on_dst_days_through_the_unified_route(
    make_sandbox: MakeSandbox,
) -> None:
    # 2026-03-29 has 92 quarter-hours (CET until 02:00, CEST after), 2026-10-25 has 100
    spring = asset(id="spring", start="2026-03-28T23:00:00Z", end="2026-03-29T22:00:00Z")
    autumn = asset(id="autumn", start="2026-10-24T22:00:00Z", end="2026-10-25T23:00:00Z")
    energy = afrr(1000, None, 50)
    api = Api(make_sandbox(fixture(spring, autumn, now="2026-03-28T12:00:00Z")).url)
    last = api.post(BIDS, [item("AFRREnergy", "POS_092", energy, "2026-03-29")], va="spring")
    assert last.status_code == 200, last.text
    missing = api.post(BIDS, [item("AFRREnergy", "POS_093", energy, "2026-03-29")], va="spring")
    assert missing.status_code == 400
    assert "POS_093 does not exist on 2026-03-29: that day has 92 quarter-hours" in error(missing)
    # POS_092 is 23:45-24:00 CEST = 21:45Z: a read of that quarter alone finds it, one before does not
    assert [
        p["product"]
        for p in parse(api.get(BIDS, start="2026-03-29T21:45:00Z", end="2026-03-29T21:45:00Z", va="spring"))
    ] == ["POS_092"]
    assert parse(api.get(BIDS, start="2026-03-29T21:30:00Z", end="2026-03-29T21:30:00Z", va="spring")) == []

    late = Api(make_sandbox(fixture(spring, autumn, now="2026-10-24T12:00:00Z")).url)
    assert (
        late.post(BIDS, [item("AFRREnergy", "NEG_100", energy, "2026-10-25")], va="autumn").status_code == 200
    )
    # NEG_100 is 23:45-24:00 CET = 22:45Z; NEG_013 is 02:00-02:15 CET (01:00Z), the repeated hour
    assert (
        late.post(BIDS, [item("AFRREnergy", "NEG_013", energy, "2026-10-25")], va="autumn").status_code == 200
    )
    read = parse(late.get(BIDS, start="2026-10-24T22:00:00Z", end="2026-10-25T22:45:00Z", va="autumn"))
    assert [p["product"] for p in read] == ["NEG_013", "NEG_100"]
    assert [
        p["product"]
        for p in parse(late.get(BIDS, start="2026-10-25T01:00:00Z", end="2026-10-25T01:00:00Z", va="autumn"))
    ] == ["NEG_013"]
