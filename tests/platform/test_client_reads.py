"""The client's typed view of live state, over real HTTP against the sandbox.

Worked examples of API.md §9 as the client sees them: 2 (capacity range), 14 (greedy ranges),
16 (adjustments), 17 (end-of-life fields); DST days; fingerprints; organisation isolation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from reconciler.market import quarter_hours
from reconciler.platform import Credentials, NotFoundError
from reconciler.platform.models import PowerCapacity
from reconciler.rules.vocabulary import Category
from reconciler.sandbox.server import RunningSandbox
from tests.platform.client_helpers import VA_ID, MakeClient, asset_spec, fixture
from tests.support.harness import LEIPZIG_TODAY, LEIPZIG_TOMORROW

MakeSandbox = Callable[[dict[str, Any]], RunningSandbox]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_example_fixture_reads_into_typed_models(sandbox: RunningSandbox, make_client: MakeClient) -> None:
    client = make_client(
        sandbox, organisation="org-demo", credentials=Credentials(username="demo", password="demo-password")
    )
    assets = client.list_virtual_assets()
    assert [va.id for va in assets] == [
        *(f"7c1e0d4e-0000-4000-8000-00000000000{i}" for i in (1, 2, 3)),
        LEIPZIG_TODAY,
        LEIPZIG_TOMORROW,
    ]
    va = client.get_virtual_asset(assets[0].id)
    assert va == assets[0]  # same object, same fingerprint, whether listed or fetched
    assert va.portfolio_id == "5f3a9c2e-0000-4000-8000-00000000a001"
    assert va.start == utc("2026-11-23T00:00:00+01:00") and va.start.tzinfo is UTC
    assert (va.energy_capacity, va.rated_charge_power, va.charge_efficiency) == (
        Decimal(10000),
        Decimal(5000),
        Decimal("0.95"),
    )
    assert va.dispatch_gate_closure_seconds == 330
    assert va.wholesale_block_id is not None
    soe = client.get_state_of_energy(va.id)
    assert soe.soe_kwh == Decimal(5000) and soe.time <= sandbox.now()
    block = client.get_block(
        va.id, va.wholesale_block_id, utc("2026-11-23T10:00:00+01:00"), utc("2026-11-23T10:15:00+01:00")
    )
    assert dict(block.schedule) == {
        utc("2026-11-23T10:00:00+01:00"): Decimal(-2000),
        utc("2026-11-23T10:15:00+01:00"): Decimal(-2000),
    }
    noon = utc("2026-11-23T12:00:00+01:00")
    bounds = client.get_operational(va.id, [Category.SOC_LOWER_BOUND, Category.SOC_UPPER_BOUND], noon, noon)
    assert bounds == {
        Category.SOC_LOWER_BOUND: {noon: Decimal(5)},
        Category.SOC_UPPER_BOUND: {noon: Decimal(95)},
    }


def test_example_2_block_capacity_gives_the_valid_power_range(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture(asset_spec(ratedChargePower=400, ratedDischargePower=500)))
    client = make_client(sandbox)
    va = client.get_virtual_asset(VA_ID)
    assert va.wholesale_block_id is not None
    period = utc("2026-05-30T14:30:00Z")
    block = client.get_block(VA_ID, va.wholesale_block_id, period, period)
    assert block.power_capacity[period] == PowerCapacity(
        period, Decimal(400), Decimal(500), Decimal(400), Decimal(500)
    )


def test_example_14_ranges_are_greedy_and_inclusive(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(
        fixture(
            asset_spec(start="2025-06-17T00:00:00Z", end="2025-06-18T00:00:00Z"), now="2025-06-16T12:00:00Z"
        )
    )
    client = make_client(sandbox)
    start, end = utc("2025-06-17T00:00:00Z"), utc("2025-06-17T00:30:00Z")
    expected = [start, start + timedelta(minutes=15), end]
    block_id = client.get_virtual_asset(VA_ID).wholesale_block_id
    assert block_id is not None
    assert list(client.get_block(VA_ID, block_id, start, end).schedule) == expected
    series = client.get_operational(VA_ID, ["energyCapacityAvailable", "fcrCapacityAvailable"], start, end)
    assert [list(points) for points in series.values()] == [expected, expected]


def test_example_16_adjustments_list_accepted_and_adjusted_values(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    # Lower SoC bound 10 %: 200 kWh of 2000 kWh until 22:30, then 95 kWh of the 950 kWh left by an
    # energy-capacity outage. Starting at 295 kWh, re-validation cuts 480 -> 380 kW at 22:15
    # (95 kWh above the bound) and 520 -> 420 kW at 22:30 (105 kWh above the new bound).
    spec = asset_spec(
        start="2025-07-11T22:00:00Z",
        end="2025-07-11T23:00:00Z",
        energyCapacity=2000,
        initialStateOfEnergy=295,
        stateOfChargeBounds={"lower": 10, "upper": 100},
        schedule=[
            {"time": "2025-07-11T22:15:00Z", "power": 480},
            {"time": "2025-07-11T22:30:00Z", "power": 520},
        ],
    )
    sandbox = make_sandbox(fixture(spec, now="2025-07-11T21:00:00Z"))
    sandbox.add_unavailability(VA_ID, "2025-07-11T22:30:00Z", "2025-07-11T23:00:00Z", energy_capacity=950)
    sandbox.set_clock("2025-07-11T22:24:00Z")
    client = make_client(sandbox)
    adjustments = client.get_adjustments(VA_ID, utc("2025-07-11T22:00:00Z"), utc("2025-07-11T23:00:00Z"))
    assert [(a.time, a.accepted, a.adjusted, a.reason) for a in adjustments] == [
        (utc("2025-07-11T22:15:00Z"), Decimal(480), Decimal(380), "STATE_OF_ENERGY_BOUNDARIES"),
        (utc("2025-07-11T22:30:00Z"), Decimal(520), Decimal(420), "STATE_OF_ENERGY_BOUNDARIES"),
    ]
    block_id = client.get_virtual_asset(VA_ID).wholesale_block_id
    assert block_id is not None
    active = client.get_block(
        VA_ID, block_id, utc("2025-07-11T22:15:00Z"), utc("2025-07-11T22:30:00Z")
    ).schedule
    assert list(active.values()) == [Decimal(380), Decimal(420)]  # D2: the block shows the active values


def test_example_17_end_of_life_fields(make_sandbox: MakeSandbox, make_client: MakeClient) -> None:
    sandbox = make_sandbox(fixture(asset_spec(energyCapacity=1000, initialStateOfEnergy=750)))
    va = make_client(sandbox).get_virtual_asset(VA_ID)
    assert va.end_soc_percentage == 75
    assert (va.imbalance_discharge, va.imbalance_charge) == (250, 0)
    assert va.final_soc_tolerance == Decimal("0.01")
    assert va.feedback is not None and "over-charged by 250 kilowatt hours" in va.feedback


@pytest.mark.parametrize(("day", "periods"), [("2026-03-29", 92), ("2026-10-25", 100), ("2026-05-30", 96)])
def test_dst_days_give_blocks_of_92_and_100_periods(
    make_sandbox: MakeSandbox, make_client: MakeClient, day: str, periods: int
) -> None:
    local_day = datetime.fromisoformat(day).date()
    starts = quarter_hours(local_day)
    end = starts[-1] + timedelta(minutes=15)
    spec = asset_spec(start=starts[0].isoformat(), end=end.isoformat())
    sandbox = make_sandbox(fixture(spec, now=(starts[0] - timedelta(days=1)).isoformat()))
    client = make_client(sandbox)
    va = client.get_virtual_asset(VA_ID)
    assert va.wholesale_block_id is not None
    block = client.get_block(VA_ID, va.wholesale_block_id, starts[0], starts[-1])
    assert len(block.schedule) == len(block.power_capacity) == periods
    assert list(block.schedule) == starts
    energy = client.get_operational(VA_ID, ["energyCapacityAvailable"], starts[0], starts[-1])
    assert list(energy["energyCapacityAvailable"]) == starts


def test_fingerprints_change_when_the_live_object_changes(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    client = make_client(make_sandbox(fixture()))
    va = client.get_virtual_asset(VA_ID)
    assert va.wholesale_block_id is not None
    before = client.get_block(VA_ID, va.wholesale_block_id)
    assert client.get_block(VA_ID, va.wholesale_block_id).fingerprint == before.fingerprint
    client.put_schedule(VA_ID, va.wholesale_block_id, {utc("2026-05-30T10:00:00Z"): Decimal(-400)})
    assert client.get_block(VA_ID, va.wholesale_block_id).fingerprint != before.fingerprint
    assert client.get_virtual_asset(VA_ID).fingerprint != va.fingerprint  # its projected end SoC moved


def test_another_organisations_asset_is_not_found_like_a_missing_one(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    other_va = "7c1e0d4e-2222-4000-8000-000000000002"
    two_orgs = fixture()
    two_orgs["organisations"].append(
        {
            "id": "org-other",
            "users": [{"username": "other", "password": "pw-other-9c1d"}],
            "virtualAssets": [asset_spec(id=other_va)],
        }
    )
    sandbox = make_sandbox(two_orgs)
    client = make_client(sandbox)
    missing_va = "7c1e0d4e-3333-4000-8000-000000000003"
    with pytest.raises(NotFoundError) as foreign:
        client.get_virtual_asset(other_va)
    with pytest.raises(NotFoundError) as missing:
        client.get_virtual_asset(missing_va)
    assert foreign.value.status == missing.value.status == 404
    assert foreign.value.message.replace(other_va, "ID") == missing.value.message.replace(missing_va, "ID")
    assert foreign.value.message.startswith("not found error: ")
    # Naming the other organisation in the path with our own token: the same answer as a made-up one.
    with pytest.raises(NotFoundError) as foreign_org:
        make_client(sandbox, organisation="org-other").list_virtual_assets()
    with pytest.raises(NotFoundError) as made_up_org:
        make_client(sandbox, organisation="org-nope").list_virtual_assets()
    assert foreign_org.value.message.replace("org-other", "ORG") == made_up_org.value.message.replace(
        "org-nope", "ORG"
    )
    assert [va.id for va in make_client(sandbox).list_virtual_assets()] == [VA_ID]
