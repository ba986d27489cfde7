"""The clock and its events over real HTTP: state of energy, re-validation (D7), unavailability (D9)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from reconciler.market import isoformat_z, parse_instant
from reconciler.rules.schedule import PeriodInput, simulate_revalidation
from reconciler.rules.soe import Efficiencies, SocBounds
from tests.sandbox.sandbox_helpers import Api, MakeSandbox, asset, error, fixture, parse

SOE = "STATE_OF_ENERGY_BOUNDARIES"


def _adjustments(
    api: Api, start: str = "2026-11-23T00:00:00Z", end: str = "2026-11-26T00:00:00Z"
) -> list[dict[str, Any]]:
    adjustments: list[dict[str, Any]] = parse(api.get("/adjustments", start=start, end=end))["adjustments"]
    return adjustments


def test_clock_moves_only_forward_by_now_or_advance(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    clock = sandbox.http.get("/_sandbox/clock").json()
    assert clock["now"] == "2026-11-23T06:00:00Z"
    other = make_sandbox(fixture(asset())).http.get("/_sandbox/clock").json()
    assert other["now"] == clock["now"] and other["instance"] != clock["instance"]  # another run
    assert sandbox.advance(90) == parse_instant("2026-11-23T06:01:30Z")
    assert sandbox.set_clock("2026-11-23T08:00:00+01:00") == parse_instant("2026-11-23T07:00:00Z")
    backwards = sandbox.http.post("/_sandbox/clock", json={"now": "2026-11-23T06:00:00Z"})
    assert backwards.status_code == 400 and "cannot move backwards" in error(backwards)
    for body in ({}, {"now": "2026-11-24T00:00:00Z", "advance": 1}, {"advance": -5}, {"advance": "1"}):
        assert sandbox.http.post("/_sandbox/clock", json=body).status_code == 400
    assert sandbox.now() == parse_instant("2026-11-23T07:00:00Z")
    assert sandbox.http.get("/_sandbox/clock").json()["instance"] == clock["instance"]  # the same run


def test_state_of_energy_follows_the_active_schedule_period_by_period(make_sandbox: MakeSandbox) -> None:
    eff = {"chargeEfficiency": Decimal("0.95"), "dischargeEfficiency": Decimal("0.95")}
    sandbox = make_sandbox(fixture(asset(**eff)))
    api = Api(sandbox.url)
    api.write_schedule(
        {"2026-11-23T07:00:00Z": -2000, "2026-11-23T07:15:00Z": -2000, "2026-11-23T07:30:00Z": 1900}
    )
    sandbox.set_clock("2026-11-23T07:29:59Z")
    assert parse(api.get("/state-of-energy/latest")) == {"soe": 5475, "time": "2026-11-23T07:15:00Z"}
    sandbox.set_clock("2026-11-23T07:30:00Z")
    assert parse(api.get("/state-of-energy/latest")) == {"soe": 5950, "time": "2026-11-23T07:30:00Z"}
    sandbox.set_clock("2026-11-23T07:45:00Z")
    assert parse(api.get("/state-of-energy/latest")) == {"soe": 5450, "time": "2026-11-23T07:45:00Z"}


def test_revalidation_docs_example_1(make_sandbox: MakeSandbox) -> None:
    # During q1 (12:00–12:15), 7 minutes before q2: E0 19 MWh, E_max 20 MWh, q2 scheduled 10 MW charge.
    sandbox = make_sandbox(
        fixture(
            asset(energyCapacity=20000, initialStateOfEnergy=19000, ratedChargePower=10000),
            now="2026-11-23T12:00:00Z",
        )
    )
    api = Api(sandbox.url)
    assert api.write_schedule({"2026-11-23T12:15:00Z": -10000}).status_code == 200
    sandbox.set_clock("2026-11-23T12:07:59Z")
    assert _adjustments(api) == []
    sandbox.advance(1)
    assert _adjustments(api) == [
        {
            "acceptedSchedule": -10000,
            "adjustedSchedule": -4000,
            "reason": SOE,
            "timestamp": "2026-11-23T12:15:00Z",
        }
    ]
    schedule = api.schedule("2026-11-23T12:00:00Z", "2026-11-23T12:30:00Z")
    assert schedule == {"2026-11-23T12:00:00Z": 0, "2026-11-23T12:15:00Z": -4000, "2026-11-23T12:30:00Z": 0}
    sandbox.set_clock("2026-11-23T12:30:00Z")
    assert parse(api.get("/state-of-energy/latest")) == {"soe": 20000, "time": "2026-11-23T12:30:00Z"}


def test_revalidation_with_efficiencies_below_one(make_sandbox: MakeSandbox) -> None:
    real = {"chargeEfficiency": Decimal("0.95"), "dischargeEfficiency": Decimal("0.95")}
    bounds = {"stateOfChargeBounds": {"lower": 5, "upper": 95}}
    sandbox = make_sandbox(
        fixture(asset(initialStateOfEnergy=9000, **real, **bounds), now="2026-11-23T12:00:00Z")
    )
    api = Api(sandbox.url)
    charge = {f"2026-11-23T12:{m}:00Z": -5000 for m in ("15", "30")}
    discharge = {f"2026-11-23T13:{m}:00Z": 5000 for m in ("00", "15", "30", "45")}
    discharge.update({f"2026-11-23T14:{m}:00Z": 5000 for m in ("00", "15", "30", "45")})
    assert api.write_schedule({**charge, **discharge}).status_code == 200
    sandbox.set_clock("2026-11-23T15:00:00Z")
    found = [(a["timestamp"], a["acceptedSchedule"], a["adjustedSchedule"]) for a in _adjustments(api)]
    # 12:15: 9000 + 5000·0.25·0.95 = 10187.5 > E_max 9500 ⇒ −500/(0.25·0.95) = −2105.26… ⇒ −2105.
    # 12:30: 9499.9375 kWh, 0.0625 kWh of room ⇒ −0.26… ⇒ 0.
    assert found[:2] == [("2026-11-23T12:15:00Z", -5000, -2105), ("2026-11-23T12:30:00Z", -5000, 0)]
    # Discharging 5000 kW takes 1315.789… kWh per period; from 9499.9375 kWh, six periods fit above
    # E_min 500 (to 1605.2007…); the seventh gets (1605.2007… − 500)·0.95/0.25 = 4199.76… ⇒ 4199 kW.
    assert found[2:] == [("2026-11-23T14:30:00Z", 5000, 4199), ("2026-11-23T14:45:00Z", 5000, 0)]
    latest = parse(api.get("/state-of-energy/latest"))
    assert Decimal(500) <= latest["soe"] < Decimal(501)  # 0.76 kW truncated away leaves 0.2 kWh


def test_sandbox_does_what_the_rules_predicted(make_sandbox: MakeSandbox) -> None:
    """The planner's promise: simulate_revalidation from the published state equals the platform, to the kW."""
    real = {"chargeEfficiency": Decimal("0.943"), "dischargeEfficiency": Decimal("0.95")}
    spec = asset(initialStateOfEnergy=3000, stateOfChargeBounds={"lower": 10, "upper": 90}, **real)
    sandbox = make_sandbox(fixture(spec, now="2026-11-23T09:52:00Z"))
    api = Api(sandbox.url)
    pattern = [3000, 3000, -4999, -4999, -4999, 2500, 4999, 4999, -1234, 4999, 4999, 4999, -4999, -4999]
    start = parse_instant("2026-11-23T10:00:00Z")
    times = [isoformat_z(start + i * timedelta(minutes=15)) for i in range(len(pattern))]
    assert api.write_schedule(dict(zip(times, pattern, strict=True))).status_code == 200

    latest = parse(api.get("/state-of-energy/latest"))  # the published, exact state
    energy = parse(api.get("/energy-capacity", start=latest["time"], end=times[-1]))["energyCapacity"]
    active = api.schedule(latest["time"], times[-1])
    periods = [
        PeriodInput(parse_instant(point["time"]), active[point["time"]], point["availableEnergyCapacity"])
        for point in energy
    ]
    predicted = simulate_revalidation(
        latest["soe"],
        periods,
        Efficiencies.of(Decimal("0.943"), Decimal("0.95")),
        SocBounds.of(10, 90),
        now=sandbox.now(),
    )
    assert predicted.corrections, "the scenario must exercise corrections"

    sandbox.set_clock(start + len(pattern) * timedelta(minutes=15))
    actual = [(a["timestamp"], a["acceptedSchedule"], a["adjustedSchedule"]) for a in _adjustments(api)]
    assert actual == [(isoformat_z(c.time), c.requested, c.corrected) for c in predicted.corrections]
    final = parse(api.get("/state-of-energy/latest"))
    assert final["time"] == isoformat_z(periods[-1].time + timedelta(minutes=15))
    assert Fraction(final["soe"]) == predicted.energies[-1]


def test_adjustments_docs_example_16(make_sandbox: MakeSandbox) -> None:
    # 22:15: 480 → 380 and 22:30: 520 → 420, both STATE_OF_ENERGY_BOUNDARIES. The second needs
    # more room below than the first left: an energy-capacity outage from 22:30 lowers E_min.
    spec = asset(
        start="2025-07-11T00:00:00Z",
        end="2025-07-12T00:00:00Z",
        energyCapacity=10000,
        initialStateOfEnergy=1095,
        stateOfChargeBounds={"lower": 10, "upper": 100},
    )
    sandbox = make_sandbox(fixture(spec, now="2025-07-11T22:00:00Z"))
    api = Api(sandbox.url)
    assert api.write_schedule({"2025-07-11T22:15:00Z": 480, "2025-07-11T22:30:00Z": 520}).status_code == 200
    sandbox.add_unavailability("va-1", "2025-07-11T22:30:00Z", "2025-07-11T23:00:00Z", energy_capacity=8950)
    sandbox.set_clock("2025-07-11T23:00:00Z")
    body = parse(api.get("/adjustments", start="2025-07-11T22:00:00Z", end="2025-07-11T23:00:00Z"))
    assert body == {
        "adjustments": [
            {
                "acceptedSchedule": 480,
                "adjustedSchedule": 380,
                "reason": SOE,
                "timestamp": "2025-07-11T22:15:00Z",
            },
            {
                "acceptedSchedule": 520,
                "adjustedSchedule": 420,
                "reason": SOE,
                "timestamp": "2025-07-11T22:30:00Z",
            },
        ]
    }


def test_unavailability_clips_at_once_and_shows_as_available_below_rated(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset(), now="2026-11-23T10:20:00Z"))
    api = Api(sandbox.url)
    window = {f"2026-11-23T{h}:{m}:00Z": 2000 for h in ("09", "10") for m in ("00", "15", "30", "45")}
    sandbox.set_clock("2026-11-23T10:20:00Z")
    response = sandbox.add_unavailability(
        "va-1", "2026-11-23T09:00:00Z", "2026-11-23T11:00:00Z", discharge_power=1500, energy_capacity=8000
    )
    assert response["clipped"] == []  # nothing scheduled yet
    assert api.write_schedule({t: 1500 for t in window if t >= "2026-11-23T10:30:00Z"}).status_code == 200
    too_much = api.write_schedule({"2026-11-23T10:45:00Z": 1501})
    assert too_much.status_code == 400 and "available discharge capacity of 1500 kW" in error(too_much)

    sandbox.add_unavailability("va-1", "2026-11-23T10:00:00Z", "2026-11-23T12:00:00Z", discharge_power=1000)
    clipped = [
        (a["timestamp"], a["acceptedSchedule"], a["adjustedSchedule"], a["reason"]) for a in _adjustments(api)
    ]
    assert clipped == [
        ("2026-11-23T10:30:00Z", 1500, 1000, "AVAILABILITY"),
        ("2026-11-23T10:45:00Z", 1500, 1000, "AVAILABILITY"),
    ]
    capacity = parse(
        api.get(f"/blocks/{api.wholesale_block()}", start="2026-11-23T10:30:00Z", end="2026-11-23T10:30:00Z")
    )
    assert capacity["powerCapacity"] == [
        {
            "chargePowerCapacity": 5000,
            "dischargePowerCapacity": 1000,
            "ratedChargePowerCapacity": 5000,
            "ratedDischargePowerCapacity": 5000,
            "time": "2026-11-23T10:30:00Z",
        }
    ]
    ops = parse(
        api.get(
            "/operational",
            categories="powerCapacityDischargeAvailable,energyCapacityAvailable,afrrCapacityPosAvailable",
            start="2026-11-23T10:45:00Z",
            end="2026-11-23T11:00:00Z",
        )
    )["data"]
    assert [p["value"] for p in ops["powerCapacityDischargeAvailable"]] == [1000, 1000]
    assert [p["value"] for p in ops["energyCapacityAvailable"]] == [8000, 10000]
    assert [p["value"] for p in ops["afrrCapacityPosAvailable"]] == [1000, 1000]
    hours = parse(
        api.get(f"/blocks/{api.wholesale_block()}", start="2026-11-23T08:30:00Z", end="2026-11-23T12:15:00Z")
    )
    # rated before and after the unavailabilities, the lower of the two where both apply
    assert [p["dischargePowerCapacity"] for p in hours["powerCapacity"]] == [5000] * 2 + [1500] * 4 + [
        1000
    ] * 8 + [5000] * 2


def test_bad_unavailabilities_are_400_and_unknown_assets_404(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    url = "/_sandbox/unavailabilities"
    base = {"virtualAssetID": "va-1", "start": "2026-11-23T10:00:00Z", "end": "2026-11-23T11:00:00Z"}
    assert sandbox.http.post(url, json=base).status_code == 400  # no capacity given
    assert (
        sandbox.http.post(url, json={**base, "end": "2026-11-23T09:00:00Z", "energyCapacity": 1}).status_code
        == 400
    )
    assert (
        sandbox.http.post(
            url, json={**base, "start": "2026-11-23T10:05:00Z", "energyCapacity": 1}
        ).status_code
        == 400
    )
    assert sandbox.http.post(url, json={**base, "energyCapacity": -1}).status_code == 400
    assert (
        sandbox.http.post(url, json={**base, "virtualAssetID": "nope", "energyCapacity": 1}).status_code
        == 404
    )
