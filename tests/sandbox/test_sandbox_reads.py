"""Reading virtual assets, blocks, energy, SoC and operational data over real HTTP."""

from __future__ import annotations

from decimal import Decimal

from reconciler.sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import Api, MakeSandbox, asset, error, fixture, parse

MUNICH = "7c1e0d4e-0000-4000-8000-000000000001"

VIRTUAL_ASSET_FIELDS = {
    "annualCycleLimit", "availableEnergyCapacity", "blockIDs", "blockMetadata", "chargeEfficiency",
    "createdAt", "dailyCycleLimit", "deliveryZone", "dischargeEfficiency", "dispatchGateClosureSeconds",
    "eicCode", "end", "endStateOfChargePercentage", "energyCapacity", "feedback", "finalSoCTolerance", "id",
    "imbalanceCharge", "imbalanceDischarge", "portfolioID", "protectedDurationSeconds", "rampRate",
    "ratedChargePower", "ratedDischargePower", "start", "totalAllowedCycles", "unitsEnergy", "unitsPower",
}  # fmt: skip


def test_example_fixture_serves_its_assets_with_every_virtual_asset_field(sandbox: RunningSandbox) -> None:
    api = Api(sandbox.url, "demo", "demo-password", org="org-demo")
    assets = parse(api.client.get("/organisations/org-demo/virtual-assets"))
    assert [a["id"][-4:] for a in assets] == ["0001", "0002", "0003", "1123", "1124"]
    munich = assets[0]
    assert set(munich) == VIRTUAL_ASSET_FIELDS
    assert munich["portfolioID"] == "5f3a9c2e-0000-4000-8000-00000000a001"
    assert munich["start"] == "2026-11-22T23:00:00Z" and munich["end"] == "2026-11-25T23:00:00Z"
    assert munich["energyCapacity"] == 10000 and munich["chargeEfficiency"] == Decimal("0.95")
    assert munich["dispatchGateClosureSeconds"] == 330 and munich["unitsPower"] == "kW"
    assert [b["market"] for b in munich["blockMetadata"]] == ["WHOLESALE"]
    assert munich["blockIDs"] == [b["id"] for b in munich["blockMetadata"]]
    schedule = api.schedule("2026-11-23T09:00:00Z", "2026-11-23T10:45:00Z", va=MUNICH)
    assert schedule["2026-11-23T09:00:00Z"] == -2000  # 10:00 local
    assert schedule["2026-11-23T10:45:00Z"] == -2000 and len(schedule) == 8


def test_the_asset_list_honours_start_and_end_and_carries_portfolio_ids(sandbox: RunningSandbox) -> None:
    """V1 with start and end: the assets whose lifetime overlaps [start, end] (API.md §4), each
    with its portfolioID, as V2 serves it too."""
    api = Api(sandbox.url, "demo", "demo-password", org="org-demo")

    def listed(start: str, end: str) -> list[tuple[str, str]]:
        answer = parse(
            api.client.get("/organisations/org-demo/virtual-assets", params={"start": start, "end": end})
        )
        return [(a["id"][-4:], a["portfolioID"][-4:]) for a in answer]

    three_days = [("0001", "a001"), ("0002", "a002"), ("0003", "a003")]
    # 2026-11-24 00:00-24:00 CET: the three-day assets and the 24th's Leipzig asset, not the 23rd's
    assert listed("2026-11-23T23:00:00Z", "2026-11-24T23:00:00Z") == [*three_days, ("1124", "a004")]
    assert listed("2026-11-23T12:00:00Z", "2026-11-23T12:00:00Z") == [*three_days, ("1123", "a004")]
    assert listed("2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z") == []
    one = parse(api.client.get("/organisations/org-demo/virtual-assets/7c1e0d4e-0000-4000-8000-000000001124"))
    assert one["portfolioID"] == "5f3a9c2e-0000-4000-8000-00000000a004"


def test_block_ids_are_stable_across_sandboxes(make_sandbox: MakeSandbox) -> None:
    first = Api(make_sandbox(fixture(asset())).url).wholesale_block()
    second = Api(make_sandbox(fixture(asset())).url).wholesale_block()
    assert first == second


def test_end_of_life_fields_docs_example_17(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset(energyCapacity=1000, initialStateOfEnergy=750)))
    va = parse(Api(sandbox.url).get())
    assert va["endStateOfChargePercentage"] == 75
    assert (va["imbalanceDischarge"], va["imbalanceCharge"]) == (250, 0)
    assert va["feedback"] == (
        "This block is projected to be over-charged by 250 kilowatt hours. Consider adding more "
        "discharging to the schedule, or reducing the amount of charging"
    )


def test_end_of_life_follows_schedule_changes(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset(energyCapacity=1000, initialStateOfEnergy=750)))
    api = Api(sandbox.url)
    assert api.write_schedule({"2026-11-24T10:00:00Z": 1000}).status_code == 200  # −250 kWh at η 1
    va = parse(api.get())
    assert va["endStateOfChargePercentage"] == 50 and va["feedback"] == ""


def test_greedy_inclusive_ranges_docs_example_14(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(fixture(asset())).url)
    block = parse(
        api.get(f"/blocks/{api.wholesale_block()}", start="2026-11-24T00:00:00Z", end="2026-11-24T00:30:00Z")
    )
    times = ["2026-11-24T00:00:00Z", "2026-11-24T00:15:00Z", "2026-11-24T00:30:00Z"]
    assert [p["time"] for p in block["schedule"]] == times
    assert [p["time"] for p in block["powerCapacity"]] == times
    capacity = parse(api.get("/energy-capacity", start="2026-11-24T00:00:00Z", end="2026-11-24T00:30:00Z"))
    assert [p["time"] for p in capacity["energyCapacity"]] == times


def test_default_block_window_is_24h_back_to_48h_ahead_clipped_to_the_lifetime(
    make_sandbox: MakeSandbox,
) -> None:
    api = Api(make_sandbox(fixture(asset(), now="2026-11-24T12:00:00Z")).url)
    schedule = parse(api.get(f"/blocks/{api.wholesale_block()}"))["schedule"]
    assert schedule[0]["time"] == "2026-11-23T12:00:00Z"
    assert schedule[-1]["time"] == "2026-11-25T23:45:00Z"  # the asset ends at 2026-11-26T00:00Z


def test_dst_days_have_92_and_100_periods(make_sandbox: MakeSandbox) -> None:
    spring = asset(id="spring", start="2026-03-28T23:00:00Z", end="2026-03-29T22:00:00Z")
    autumn = asset(id="autumn", start="2026-10-24T22:00:00Z", end="2026-10-25T23:00:00Z")
    api = Api(make_sandbox(fixture(spring, autumn, now="2026-03-20T00:00:00Z")).url)
    for va, count in (("spring", 92), ("autumn", 100)):
        block = parse(
            api.get(
                f"/blocks/{api.wholesale_block(va)}",
                va=va,
                start="2026-01-01T00:00:00Z",
                end="2026-12-31T00:00:00Z",
            )
        )
        assert len(block["schedule"]) == count
        assert len(block["powerCapacity"]) == count


def test_energy_capacity_and_soc_docs_example_12(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(fixture(asset(stateOfChargeBounds={"lower": 5, "upper": 95}))).url)
    capacity = parse(api.get("/energy-capacity", start="2026-11-23T06:00:00Z", end="2026-11-23T06:00:00Z"))
    assert capacity["energyCapacity"] == [
        {"availableEnergyCapacity": 10000, "energyCapacity": 10000, "time": "2026-11-23T06:00:00Z"}
    ]
    assert parse(api.get("/state-of-energy/latest")) == {"soe": 5000, "time": "2026-11-23T06:00:00Z"}
    soc = parse(
        api.get("/state-of-charge/projected", start="2026-11-23T06:00:00Z", end="2026-11-23T06:15:00Z")
    )
    assert soc["stateOfChargePercentageTimeseries"] == [
        {"boundaries": {"lower": 5, "upper": 95}, "soc": 50, "time": "2026-11-23T06:00:00Z"},
        {"boundaries": {"lower": 5, "upper": 95}, "soc": 50, "time": "2026-11-23T06:15:00Z"},
    ]


def test_required_ranges_are_400(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(fixture(asset())).url)
    for path in ("/adjustments", "/energy-capacity"):
        response = api.get(path)
        assert response.status_code == 400
        assert (
            error(response)
            == "invalid operation error: the query parameters 'start' and 'end' are required (RFC 3339)"
        )
    bad = api.get("/adjustments", start="yesterday", end="2026-11-24T00:00:00Z")
    assert bad.status_code == 400 and "is not an RFC 3339 time" in error(bad)


def test_operational_envelope_and_categories(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(fixture(asset())).url)
    categories = [
        "energyCapacityRated", "energyCapacityAvailable", "powerCapacityChargeRated",
        "powerCapacityChargeAvailable", "powerCapacityDischargeRated", "powerCapacityDischargeAvailable",
        "fcrCapacityAvailable", "afrrCapacityPosAvailable", "afrrCapacityNegAvailable",
        "maxTotalAncillaryCapacityChargeAvailable", "maxTotalAncillaryCapacityDischargeAvailable",
    ]  # fmt: skip
    body = parse(
        api.get(
            "/operational",
            categories=",".join(categories),
            start="2026-11-24T00:00:00Z",
            end="2026-11-24T00:15:00Z",
        )
    )
    assert set(body) == {"data", "metaData"}
    assert set(body["data"]) == set(categories)
    assert body["data"]["fcrCapacityAvailable"] == [
        {"time": "2026-11-24T00:00:00Z", "value": 4000},
        {"time": "2026-11-24T00:15:00Z", "value": 4000},
    ]
    assert body["metaData"]["energyCapacityRated"] == {"unit": "kWh"}
    assert body["metaData"]["powerCapacityChargeAvailable"] == {"unit": "kW"}
    unknown = api.get("/operational", categories="stateOfNothing")
    assert unknown.status_code == 400 and "unknown categories stateOfNothing" in error(unknown)
