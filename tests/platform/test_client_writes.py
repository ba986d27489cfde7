"""The client's writes against the sandbox: schedule upserts (D1) and bids (D12, D18).

Worked examples of API.md §9: 2 (power range), 3 (gate closure), 4 (FCR remaining capacity),
5 (bid rounding); the strict rules' messages reach the caller verbatim.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from reconciler.market import Market, product_date_code
from reconciler.platform import AncillaryApi, InvalidOperationError, PlatformClient
from reconciler.platform.models import Bid
from reconciler.sandbox.server import RunningSandbox
from tests.platform.client_helpers import VA_ID, MakeClient, asset_spec, fixture, logged

MakeSandbox = Callable[[dict[str, Any]], RunningSandbox]
DAY = date(2026, 5, 30)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def wholesale(client: PlatformClient) -> str:
    block_id = client.get_virtual_asset(VA_ID).wholesale_block_id
    assert block_id is not None
    return block_id


def test_schedule_put_sends_only_the_changed_points_and_upserts_them(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture(asset_spec(schedule=[{"time": "2026-05-30T09:45:00Z", "power": 300}])))
    client = make_client(sandbox)
    block_id = wholesale(client)
    client.put_schedule(
        VA_ID,
        block_id,
        {utc("2026-05-30T10:15:00Z"): Decimal("-250.5"), utc("2026-05-30T10:00:00Z"): Decimal(400)},
    )
    puts = logged(sandbox, "PUT", block_id)
    assert [entry["body"] for entry in puts] == [
        {
            "schedule": [
                {"time": "2026-05-30T10:00:00Z", "power": 400},
                {"time": "2026-05-30T10:15:00Z", "power": Decimal("-250.5")},
            ]
        }
    ]
    after = client.get_block(VA_ID, block_id, utc("2026-05-30T09:45:00Z"), utc("2026-05-30T10:30:00Z"))
    assert list(after.schedule.values()) == [Decimal(300), Decimal(400), Decimal("-250.5"), Decimal(0)]


def test_example_2_power_range_is_enforced_and_an_update_is_all_or_nothing(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture(asset_spec(ratedChargePower=400, ratedDischargePower=500)))
    client = make_client(sandbox)
    block_id = wholesale(client)
    t1, t2 = utc("2026-05-30T14:30:00Z"), utc("2026-05-30T14:45:00Z")
    client.put_schedule(VA_ID, block_id, {t1: Decimal(-400), t2: Decimal(500)})
    with pytest.raises(InvalidOperationError) as refused:
        client.put_schedule(VA_ID, block_id, {t1: Decimal(-300), t2: Decimal(501)})
    assert refused.value.status == 400
    assert refused.value.message.startswith("invalid operation error: ")
    assert "501" in refused.value.message and "500" in refused.value.message
    with pytest.raises(InvalidOperationError):
        client.put_schedule(VA_ID, block_id, {t1: Decimal(-401)})
    unchanged = client.get_block(VA_ID, block_id, t1, t2).schedule
    assert list(unchanged.values()) == [
        Decimal(-400),
        Decimal(500),
    ]  # the -300 of the refused update never landed
    assert len(logged(sandbox, "PUT", block_id)) == 3  # a 400 is not retried


def test_example_3_gate_closure_is_inclusive_and_its_message_verbatim(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture(asset_spec(dispatchGateClosureSeconds=300)))
    client = make_client(sandbox)
    block_id = wholesale(client)
    period = utc("2026-05-30T12:15:00+02:00")
    sandbox.set_clock("2026-05-30T12:10:00+02:00")
    client.put_schedule(VA_ID, block_id, {period: Decimal(100)})
    sandbox.advance(1)
    with pytest.raises(InvalidOperationError) as late:
        client.put_schedule(VA_ID, block_id, {period: Decimal(200)})
    assert late.value.message == "invalid operation error: cannot update instruction after gate closure"
    assert client.get_block(VA_ID, block_id, period, period).schedule[period] == Decimal(100)


def test_strict_rule_messages_reach_the_caller_verbatim(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    # 1250 kW rated: an FCR bid of 1000 kW is within the 80 % cap (D20)
    client = make_client(make_sandbox(fixture(asset_spec(ratedChargePower=1250, ratedDischargePower=1250))))
    block_id = wholesale(client)
    with pytest.raises(InvalidOperationError) as off_grid:
        client.put_schedule(VA_ID, block_id, {utc("2026-05-30T10:05:00Z"): Decimal(10)})
    assert (
        off_grid.value.message
        == "invalid operation error: instruction start time must be a quarter of an hour"
    )
    with pytest.raises(InvalidOperationError) as outside:
        client.put_schedule(VA_ID, block_id, {utc("2026-05-31T10:00:00Z"): Decimal(10)})
    assert outside.value.message == (
        "invalid operation error: cannot update block outside of its timespan: update timespan "
        "2026-05-31T10:00:00Z/2026-05-31T10:15:00Z is not fully contained within block timespan "
        "2026-05-29T22:00:00Z/2026-05-30T22:00:00Z"
    )
    fcr = product_date_code(DAY, "NEGPOS_08_12")
    client.put_bids(VA_ID, fcr, [Bid(Decimal(1000), Decimal(90), None)])
    fcr_block = next(b.id for b in client.get_virtual_asset(VA_ID).blocks if b.market == "FCR")
    with pytest.raises(InvalidOperationError) as ancillary:
        client.put_schedule(VA_ID, fcr_block, {utc("2026-05-30T10:00:00Z"): Decimal(10)})
    assert (
        ancillary.value.message
        == f"invalid operation error: cannot update schedule of non wholesale block: {fcr_block}"
    )
    assert str(ancillary.value).startswith(ancillary.value.message)  # str adds the request, not a rewording


def test_example_4_fcr_remaining_capacity(make_sandbox: MakeSandbox, make_client: MakeClient) -> None:
    spec = asset_spec(
        ratedChargePower=5000,
        ratedDischargePower=5000,
        energyCapacity=10000,
        initialStateOfEnergy=5000,
        fcrCapacityAvailable=4000,
        afrrCapacityPosAvailable=5000,
        maxTotalAncillaryCapacityDischargeAvailable=5000,
        maxTotalAncillaryCapacityChargeAvailable=4000,
    )
    client = make_client(make_sandbox(fixture(spec)))
    fcr, afrr = product_date_code(DAY, "NEGPOS_00_04"), product_date_code(DAY, "POS_00_04")
    start, end = fcr.window()
    available = client.get_operational(VA_ID, ["fcrCapacityAvailable"], start, end)["fcrCapacityAvailable"]
    assert set(available.values()) == {Decimal(4000)}
    # V1: nothing else placed -> the full 4000 kW of fcrCapacityAvailable
    client.put_bids(VA_ID, fcr, [Bid(Decimal(4000), Decimal(100), None)])
    client.put_bids(VA_ID, fcr, [])
    # V2: aFRR POS 3000 placed -> min(5000, 4000) - 3000 = 1000 kW left for FCR
    client.put_bids(VA_ID, afrr, [Bid(Decimal(3000), Decimal(10), Decimal(80))])
    with pytest.raises(InvalidOperationError) as too_much:
        client.put_bids(VA_ID, fcr, [Bid(Decimal(2000), Decimal(100), None)])
    assert too_much.value.message.startswith("invalid operation error: ")
    assert "1000" in too_much.value.message
    placed = client.put_bids(VA_ID, fcr, [Bid(Decimal(1000), Decimal(100), None)])
    assert [(p.code, p.bids) for p in placed] == [(fcr, (Bid(Decimal(1000), Decimal(100), None),))]


def test_example_5_offered_capacity_is_truncated_then_checked(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    client = make_client(
        make_sandbox(
            fixture(
                asset_spec(
                    ratedChargePower=2500,  # FCR may offer 80 % of it (D20)
                    ratedDischargePower=2500,
                    fcrCapacityAvailable=2000,
                    maxTotalAncillaryCapacityChargeAvailable=2000,
                    maxTotalAncillaryCapacityDischargeAvailable=2000,
                )
            )
        )
    )
    code = product_date_code(DAY, "NEGPOS_12_16")
    client.put_bids(VA_ID, code, [Bid(Decimal("1000.5"), Decimal("95.5"), None)])
    [live] = client.get_bids(VA_ID, Market.FCR, DAY)
    assert live.code == code and live.bids == (Bid(Decimal(1000), Decimal("95.5"), None),)
    with pytest.raises(InvalidOperationError) as refused:
        client.put_bids(VA_ID, code, [Bid(Decimal(1500), Decimal("95.5"), None)])
    assert "1500" in refused.value.message
    assert client.get_bids(VA_ID, Market.FCR, DAY)[0].fingerprint == live.fingerprint  # nothing changed


def test_bids_per_market_delete_with_an_empty_list_and_results_arrive(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    spec = asset_spec(ratedChargePower=1250, ratedDischargePower=1250)  # FCR 1000 kW ≤ 80 % (D20)
    sandbox = make_sandbox(fixture(spec, clearingPrices={"FCR": 120, "AFRRCapacity": 20, "AFRREnergy": 100}))
    client = make_client(sandbox)
    capacity, energy = product_date_code(DAY, "NEG_16_20"), product_date_code(DAY, "POS_073")
    client.put_bids(VA_ID, capacity, [Bid(Decimal(1000), Decimal("12.5"), Decimal(80))])
    client.put_bids(VA_ID, energy, [Bid(Decimal(1000), None, Decimal(-20))])
    assert [p.code for p in client.get_bids(VA_ID, Market.AFRR_CAPACITY, DAY)] == [capacity]
    [energy_bids] = client.get_bids(VA_ID, Market.AFRR_ENERGY, DAY)
    assert energy_bids.bids == (Bid(Decimal(1000), None, Decimal(-20)),)
    assert [entry["body"] for entry in logged(sandbox, "PUT", str(energy))] == [
        [{"offeredCapacity": 1000, "energyPrice": -20}]
    ]
    fcr = product_date_code(DAY, "NEGPOS_20_24")
    client.put_bids(VA_ID, fcr, [Bid(Decimal(1000), Decimal(130), None)])
    assert client.put_bids(VA_ID, fcr, [])[0].bids == ()
    assert client.get_bids(VA_ID, Market.FCR, DAY) == []
    sandbox.set_clock("2026-05-29T10:00:00+02:00")  # after FCR 08:20 and aFRR capacity 09:20 results
    [result] = client.get_results(VA_ID, Market.AFRR_CAPACITY, DAY)
    assert result.code == capacity
    assert [(r.accepted, r.offered_capacity, r.accepted_capacity) for r in result.results] == [
        (True, Decimal(1000), Decimal(1000))
    ]
    assert result.results[0].capacity_price == Decimal("12.5") and result.results[0].settlement_price is None
    assert client.get_results(VA_ID, Market.FCR, DAY) == []  # the deleted FCR bid never cleared


def test_one_unified_post_places_a_market_groups_products_and_either_api_reads_them_back(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    spec = asset_spec(
        ratedChargePower=2500,  # FCR may offer 80 % of it (D20)
        ratedDischargePower=2500,
        fcrCapacityAvailable=2000,
        maxTotalAncillaryCapacityChargeAvailable=2000,
        maxTotalAncillaryCapacityDischargeAvailable=2000,
    )
    sandbox = make_sandbox(fixture(spec, clearingPrices={"FCR": 120, "AFRRCapacity": 20, "AFRREnergy": 100}))
    unified, legacy = make_client(sandbox), make_client(sandbox, ancillary_api=AncillaryApi.LEGACY)
    early, late = product_date_code(DAY, "NEGPOS_00_04"), product_date_code(DAY, "NEGPOS_20_24")
    placed = unified.post_ancillary_bids(
        VA_ID,
        [(early, [Bid(Decimal(1000), Decimal(95), None)]), (late, [Bid(Decimal(2000), Decimal(90), None)])],
    )
    [post] = logged(sandbox, "POST", "/ancillary/bids")
    assert post["body"] == [
        {"market": "FCR", "product": "NEGPOS_00_04", "deliveryDay": "2026-05-30", "bids": [{"offeredCapacity": 1000, "capacityPrice": 95}]},
        {"market": "FCR", "product": "NEGPOS_20_24", "deliveryDay": "2026-05-30", "bids": [{"offeredCapacity": 2000, "capacityPrice": 90}]},
    ]  # fmt: skip
    assert [(p.code, p.bids) for p in placed] == [
        (early, (Bid(Decimal(1000), Decimal(95), None),)),
        (late, (Bid(Decimal(2000), Decimal(90), None),)),
    ]
    through_legacy = legacy.get_bids(VA_ID, Market.FCR, DAY)
    assert [(p.code, p.bids) for p in through_legacy] == [(p.code, p.bids) for p in placed]

    energy = product_date_code(DAY, "POS_073")  # placed through a per-market PUT ...
    legacy.put_bids(VA_ID, energy, [Bid(Decimal(1000), None, Decimal(-20))])
    # ... read in one unified read of every market; deleted in a POST with an empty bid list
    assert [p.code for p in unified.get_ancillary_bids(VA_ID, [DAY])] == sorted([early, energy, late])
    unified.post_ancillary_bids(VA_ID, [(energy, [])])
    assert legacy.get_bids(VA_ID, Market.AFRR_ENERGY, DAY) == []
    with pytest.raises(ValueError, match="one market group"):  # D18: FCR and aFRR never share a POST
        unified.post_ancillary_bids(VA_ID, [(early, []), (energy, [])])

    sandbox.set_clock("2026-05-29T10:00:00+02:00")  # FCR results are out (08:20 D-1)
    results = unified.get_ancillary_results(VA_ID, [DAY])
    assert results == legacy.get_results(VA_ID, Market.FCR, DAY)
    assert [(r.code, [x.accepted_capacity for x in r.results]) for r in results] == [
        (early, [Decimal(1000)]),
        (late, [Decimal(2000)]),
    ]
