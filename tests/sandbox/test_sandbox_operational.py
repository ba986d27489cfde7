"""The June-2026 operational data over HTTP: the cone of flexibility (D19), the FCR cap (D20) and the
cycle categories (D22), each checked against arithmetic written here from DECISIONS.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.sandbox.sandbox_helpers import Api, MakeSandbox, asset, error, fixture, parse

CONE = "maximumDeliverablePower,minimumDeliverablePower"


def _series(api: Api, categories: str, start: str, end: str) -> dict[str, dict[str, Any]]:
    response = api.get("/operational", categories=categories, start=start, end=end)
    assert response.status_code == 200, response.text
    return {name: {p["time"]: p["value"] for p in points} for name, points in parse(response)["data"].items()}


def test_cone_next_two_quarter_hours_from_the_revalidation_projection(make_sandbox: MakeSandbox) -> None:
    # 10 MWh, 5 MW both ways, η 1, bounds 10–90 %: E_min 1000, E_max 9000 kWh; 7000 kWh at 10:00.
    spec = asset(
        initialStateOfEnergy=7000,
        stateOfChargeBounds={"lower": 10, "upper": 90},
        schedule=[
            {"time": "2026-11-23T10:00:00Z", "power": -4000},  # runs now: +1000 kWh -> 8000 at 10:15
            {"time": "2026-11-23T10:15:00Z", "power": -5000},  # re-validated at 10:08: cut to -4000
        ],
    )
    sandbox = make_sandbox(fixture(spec, now="2026-11-23T10:00:00Z"))
    sandbox.set_clock("2026-11-23T10:07:00Z")
    api = Api(sandbox.url)
    cone = _series(api, CONE, "2026-11-23T10:00:00Z", "2026-11-23T10:45:00Z")
    # 10:15 starts at 8000 kWh: charge at most (9000 − 8000) / 0.25 = 4000 kW; discharge is capped
    # by the 5000 kW available ((8000 − 1000) · 4 = 28 000 kW would keep the bound).
    assert cone["minimumDeliverablePower"]["2026-11-23T10:15:00Z"] == -4000
    assert cone["maximumDeliverablePower"]["2026-11-23T10:15:00Z"] == 5000
    # 10:30 starts where 10:15 ends once re-validated (−4000 kW): 9000 kWh, so no charge at all.
    assert cone["minimumDeliverablePower"]["2026-11-23T10:30:00Z"] == 0
    assert cone["maximumDeliverablePower"]["2026-11-23T10:30:00Z"] == 5000
    # beyond the two periods (and for the running one): ± the available wholesale power
    for far in ("2026-11-23T10:00:00Z", "2026-11-23T10:45:00Z"):
        assert (cone["minimumDeliverablePower"][far], cone["maximumDeliverablePower"][far]) == (-5000, 5000)
    sandbox.advance(60)  # 10:08: the sandbox re-validates 10:15 to exactly the cone's edge
    assert api.schedule("2026-11-23T10:15:00Z", "2026-11-23T10:15:00Z") == {"2026-11-23T10:15:00Z": -4000}


def test_cone_and_far_periods_follow_the_wholesale_power_left_by_bids(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset(), clearingPrices={"FCR": 120}))
    api = Api(sandbox.url)
    assert (
        api.put(
            "/ancillary/fcr/bids/2026-11-24_NEGPOS_08_12", [{"offeredCapacity": 2000, "capacityPrice": 1}]
        ).status_code
        == 200
    )
    sandbox.set_clock("2026-11-24T07:52:00Z")  # near: 08:00 and 08:15 (inside the FCR window)
    cone = _series(api, CONE, "2026-11-24T08:00:00Z", "2026-11-24T11:00:00Z")
    # 5000 kWh in a 10 MWh asset at 0–100 %: energy allows 20 000 kW either way; the wholesale block
    # keeps 5000 − 2000 = 3000 kW while the FCR bid holds, 5000 after its window.
    assert {
        cone["maximumDeliverablePower"][t] for t in cone["maximumDeliverablePower"] if t < "2026-11-24T11:00"
    } == {3000}
    assert {
        cone["minimumDeliverablePower"][t] for t in cone["minimumDeliverablePower"] if t < "2026-11-24T11:00"
    } == {-3000}
    assert (
        cone["minimumDeliverablePower"]["2026-11-24T11:00:00Z"],
        cone["maximumDeliverablePower"]["2026-11-24T11:00:00Z"],
    ) == (-5000, 5000)


def test_fcr_cap_is_80_percent_of_the_wholesale_rated_power(make_sandbox: MakeSandbox) -> None:
    # rated 4000 kW charge / 5000 kW discharge: the cap is 0.8 × 4000 = 3200 kW, lower than
    # fcrCapacityAvailable (4000) and the ancillary total (5000).
    spec = asset(ratedChargePower=4000, ratedDischargePower=5000)
    api = Api(make_sandbox(fixture(spec)).url)
    for body, path in (
        ([{"offeredCapacity": 4000, "capacityPrice": 1}], "/ancillary/fcr/bids/2026-11-24_NEGPOS_00_04"),
    ):
        refused = api.put(path, body)
        assert refused.status_code == 400
        assert error(refused) == (
            "invalid operation error: offeredCapacity 4000 kW for 2026-11-24_NEGPOS_00_04 exceeds the FCR cap "
            "of 3200 kW (80 % of the wholesale block's rated power)"
        )
    unified = api.post(
        "/ancillary/bids",
        [
            {
                "market": "FCR",
                "product": "NEGPOS_00_04",
                "deliveryDay": "2026-11-24",
                "bids": [{"offeredCapacity": 4000, "capacityPrice": 1}],
            }
        ],
    )
    assert unified.status_code == 400 and "FCR cap of 3200 kW" in error(unified)
    assert (
        api.put(
            "/ancillary/fcr/bids/2026-11-24_NEGPOS_00_04", [{"offeredCapacity": 3000, "capacityPrice": 1}]
        ).status_code
        == 200
    )
    # aFRR is not capped by D20: 4000 kW of aFRR POS fits the 5000 kW total
    afrr = [{"offeredCapacity": 2000, "capacityPrice": 1, "energyPrice": 1}]
    assert api.put("/ancillary/afrr/bids/2026-11-24_POS_04_08", afrr).status_code == 200


def test_cycle_categories_per_quarter(make_sandbox: MakeSandbox) -> None:
    # 10 MWh rated, η_discharge 0.8; an unavailability leaves 8 MWh available from 12:00.
    spec = asset(dischargeEfficiency=0.8, schedule=[
        {"time": "2026-11-24T11:45:00Z", "power": 2000},
        {"time": "2026-11-24T12:00:00Z", "power": 2000},
        {"time": "2026-11-24T12:15:00Z", "power": -2000},
    ])  # fmt: skip
    sandbox = make_sandbox(fixture(spec))
    sandbox.add_unavailability("va-1", "2026-11-24T12:00:00Z", "2026-11-24T13:00:00Z", energy_capacity=8000)
    api = Api(sandbox.url)
    names = [
        "cyclesWholesale", "cyclesFCR", "cyclesAFRR", "cyclesTotal",
        "availableEnergyDischargesWholesale", "availableEnergyDischargesFCR",
        "availableEnergyDischargesAFRR", "availableEnergyDischargesTotal",
    ]  # fmt: skip
    series = _series(api, ",".join(names), "2026-11-24T11:45:00Z", "2026-11-24T12:15:00Z")
    # 2000 kW for a quarter takes 2000 · 0.25 / 0.8 = 625 kWh from storage
    assert series["cyclesWholesale"] == {
        "2026-11-24T11:45:00Z": Decimal("0.0625"),  # 625 / 10 000
        "2026-11-24T12:00:00Z": Decimal("0.0625"),
        "2026-11-24T12:15:00Z": 0,  # charging discharges nothing
    }
    assert series["availableEnergyDischargesWholesale"] == {
        "2026-11-24T11:45:00Z": Decimal("0.0625"),
        "2026-11-24T12:00:00Z": Decimal("0.078125"),  # 625 / 8000
        "2026-11-24T12:15:00Z": 0,
    }
    assert series["cyclesTotal"] == series["cyclesWholesale"]
    assert series["availableEnergyDischargesTotal"] == series["availableEnergyDischargesWholesale"]
    for name in ("cyclesFCR", "cyclesAFRR", "availableEnergyDischargesFCR", "availableEnergyDischargesAFRR"):
        assert set(series[name].values()) == {0}  # no activations are modelled
    units = parse(api.get("/operational", categories="cyclesTotal,availableEnergyDischargesTotal"))[
        "metaData"
    ]
    assert units == {"cyclesTotal": {"unit": "cycles"}, "availableEnergyDischargesTotal": {"unit": "AED"}}
