"""Issue 15, principle 1: the same random inputs through the planner's prediction, the sandbox's
behaviour over HTTP, and a small reference written here straight from DECISIONS.md, so that two
callers of one rules function agreeing is not mistaken for the rule being right.

Re-validation (D6, D7): the reference is exact ``Fraction`` arithmetic, period by period. The
project keeps stored energy to 1 µWh and settles a corrected power to 1 mW before truncating it
(rules/soe.py, rules/schedule.py); with these inputs an exact correction is either a whole kW or at
least 1e-5 kW away from one, so the reference needs neither trick to be compared to the kW.

Bid capacity (D13, D15, D16, D20): bids posted one after the other over HTTP are accepted or refused
as the reference's arithmetic says, and the planner's rule call gives the same room.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.market import parse_product_date_code
from reconciler.rules.capacity import AncillaryAvailability, Commitments, PowerLimits, WindowQuarter, bid_room
from reconciler.sandbox.server import running_sandbox
from tests.support.harness import MUNICH, manifest, run, write_project

DT = Fraction(1, 4)  # D6: Δt in hours
NOW = datetime(2026, 11, 23, 5, 55, tzinfo=UTC)  # 06:55 CET
FIRST = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 CET: already re-validated at 06:53
LOGIN = {"username": "demo", "password": "demo-password"}


def _fixture(spec: dict[str, Any], now: datetime = NOW) -> dict[str, Any]:
    base = {
        "id": MUNICH,
        "start": "2026-11-22T23:00:00Z",
        "end": "2026-11-24T23:00:00Z",
        "dispatchGateClosureSeconds": 330,
        "dailyCycleLimit": 100,
        "annualCycleLimit": 1000,
        "fcrCapacityAvailable": 0,
        "afrrCapacityPosAvailable": 0,
        "afrrCapacityNegAvailable": 0,
        "maxTotalAncillaryCapacityChargeAvailable": 0,
        "maxTotalAncillaryCapacityDischargeAvailable": 0,
        **spec,
    }
    return {
        "now": now.isoformat(),
        "tokenExpiresIn": 10 * 86400,
        "organisations": [{"id": "org-demo", "users": [LOGIN], "virtualAssets": [base]}],
    }


def reference_revalidation(
    initial: int, powers: list[int], eta_c: Fraction, eta_d: Fraction, e_min: Fraction, e_max: Fraction
) -> list[tuple[datetime, int, int]]:
    """D6 and D7 as DECISIONS.md words them: ``(period, accepted, corrected)`` of each correction."""
    energy = Fraction(initial)
    corrections = []
    for index, requested in enumerate(powers):
        period = FIRST + timedelta(minutes=15 * index)
        power = Fraction(requested)
        if period - timedelta(minutes=7) > NOW:  # its re-validation is still ahead
            if power < 0 and energy - power * DT * eta_c > e_max:
                power = min(max(-(e_max - energy) / (DT * eta_c), power), Fraction(0))
            elif power > 0 and energy - power * DT / eta_d < e_min:
                power = max(min((energy - e_min) * eta_d / DT, power), Fraction(0))
            power = Fraction(int(power))  # truncated toward zero to a whole kW
            if power != requested:
                corrections.append((period, requested, int(power)))
        energy += -power * DT * eta_c if power < 0 else -power * DT / eta_d
    return corrections


efficiency = st.sampled_from(["0.8", "0.9", "0.95", "1"])
BOTH_BOUNDS = [0, -2000, 0, 2000, 2000, 2000, 2000, 2000]  # fills to E_max, then empties to E_min


def test_the_reference_itself_on_the_docs_kind_of_numbers() -> None:
    at = [FIRST + timedelta(minutes=15 * i) for i in range(8)]
    # 850 kWh, E_max 900: 07:15 may charge 50 kWh = 200 kW; 07:45 takes 500 kWh, 08:00 the last
    # 400 kWh = 1600 kW, after that nothing is left. 07:00 was re-validated before now: never cut.
    assert reference_revalidation(850, BOTH_BOUNDS, Fraction(1), Fraction(1), Fraction(0), Fraction(900)) == [
        (at[1], -2000, -200),
        (at[4], 2000, 1600),
        (at[5], 2000, 0),
        (at[6], 2000, 0),
        (at[7], 2000, 0),
    ]
    assert (
        reference_revalidation(850, [-2000] + [0] * 7, Fraction(1), Fraction(1), Fraction(0), Fraction(900))
        == []
    )


@pytest.mark.slow  # a sandbox and a plan per example
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@example(eta_c="1", eta_d="1", initial=850, bounds=(0, 90), powers=BOTH_BOUNDS)
@example(eta_c="0.9", eta_d="0.95", initial=500, bounds=(10, 90), powers=[-2000] * 4 + [2000] * 4)
@given(
    eta_c=efficiency,
    eta_d=efficiency,
    initial=st.integers(100, 900),
    bounds=st.tuples(st.integers(0, 30), st.integers(70, 100)),
    powers=st.lists(st.integers(-20, 20).map(lambda p: p * 100), min_size=8, max_size=8),
)
def test_revalidation_planner_sandbox_and_reference_agree(
    eta_c: str,
    eta_d: str,
    initial: int,
    bounds: tuple[int, int],
    powers: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAYR_USERNAME", LOGIN["username"])
    monkeypatch.setenv("LAYR_PASSWORD", LOGIN["password"])
    schedule = [
        {"time": (FIRST + timedelta(minutes=15 * i)).isoformat(), "power": p} for i, p in enumerate(powers)
    ]
    spec = {
        "energyCapacity": 1000,
        "ratedChargePower": 2000,
        "ratedDischargePower": 2000,
        "chargeEfficiency": float(eta_c),
        "dischargeEfficiency": float(eta_d),
        "initialStateOfEnergy": initial,
        "stateOfChargeBounds": {"lower": bounds[0], "upper": bounds[1]},
        "schedule": schedule,
    }
    expected = reference_revalidation(
        initial, powers, Fraction(eta_c), Fraction(eta_d), Fraction(bounds[0] * 10), Fraction(bounds[1] * 10)
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, _fixture(spec))
        entries = "\n".join(f"    - {{at: '{p['time']}', power: {p['power']}}}" for p in schedule)
        body = f"wholesale:\n  mode: partial\n  schedule:\n{entries}\n"
        with running_sandbox(root / "fixture.yaml") as sandbox:
            project = write_project(root / "p", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
            planned = run(capsys, "plan", str(project), "--format", "json")
            assert planned.exit_code in (0, 2), planned.err
            predicted = [
                (datetime.fromisoformat(p["time"].replace("Z", "+00:00")), p["requested"], p["predicted"])
                for p in planned.json()["predictions"]
                if p["reason"] == "revalidation"
            ]
            sandbox.set_clock(FIRST + timedelta(hours=3))  # every re-validation of the schedule has run
            with httpx.Client(base_url=sandbox.url) as http:
                token = http.post("/auth/public/authenticate", json=LOGIN).json()["access_token"]
                answer = http.get(
                    f"/organisations/org-demo/virtual-assets/{MUNICH}/adjustments",
                    params={"start": "2026-11-23T00:00:00Z", "end": "2026-11-24T00:00:00Z"},
                    headers={"Authorization": f"Bearer {token}"},
                ).json()
    actual = [
        (
            datetime.fromisoformat(a["timestamp"].replace("Z", "+00:00")),
            a["acceptedSchedule"],
            a["adjustedSchedule"],
        )
        for a in answer["adjustments"]
    ]
    assert predicted == expected
    assert actual == expected


def reference_room(market: str, offered_kw: Decimal, spec: dict[str, int], placed: dict[str, int]) -> bool:
    """D13, D15, D20 for one 4-hour product with constant availability: is the bid accepted?

    ``placed`` holds the kW already committed by the other products of the same window, by market
    (FCR, AFRR_POS, AFRR_NEG)."""
    kept = int(offered_kw)  # D13: the fraction of a kW is cut off ...
    if kept <= 0 or kept % 1000:  # ... and a positive multiple of 1000 kW must remain
        return False
    own = {"FCR": spec["fcr"], "AFRR_POS": spec["pos"], "AFRR_NEG": spec["neg"]}[market]
    total = min(spec["total_charge"], spec["total_discharge"]) - sum(placed.values())  # D15
    room: Fraction = Fraction(min(own, total))
    if market == "FCR":
        room = min(room, Fraction(4, 5) * min(spec["rated_charge"], spec["rated_discharge"]))  # D20
    return kept <= room


kw = st.integers(0, 8).map(lambda n: n * 1000)
offers = st.sampled_from(["1000", "1000.5", "1500", "2000", "2999.9", "3000", "4000", "0"]).map(Decimal)


@pytest.mark.slow  # a sandbox per example
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    spec=st.fixed_dictionaries(
        {
            "fcr": kw,
            "pos": kw,
            "neg": kw,
            "total_charge": kw,
            "total_discharge": kw,
            "rated_charge": st.integers(1, 8).map(lambda n: n * 1000),
            "rated_discharge": st.integers(1, 8).map(lambda n: n * 1000),
        }
    ),
    bids=st.lists(
        st.tuples(st.sampled_from(["FCR", "AFRR_POS", "AFRR_NEG"]), offers), min_size=1, max_size=4
    ),
)
def test_bid_capacity_sandbox_planner_rule_and_reference_agree(
    spec: dict[str, int], bids: list[tuple[str, Decimal]]
) -> None:
    # marketable capacity never exceeds the asset's power (what /operational reports, too)
    spec["fcr"] = min(spec["fcr"], spec["rated_charge"], spec["rated_discharge"])
    spec["pos"], spec["total_discharge"] = (
        min(spec[k], spec["rated_discharge"]) for k in ("pos", "total_discharge")
    )
    spec["neg"], spec["total_charge"] = (min(spec[k], spec["rated_charge"]) for k in ("neg", "total_charge"))
    asset = {
        "energyCapacity": 10000,
        "ratedChargePower": spec["rated_charge"],
        "ratedDischargePower": spec["rated_discharge"],
        "chargeEfficiency": 1,
        "dischargeEfficiency": 1,
        "initialStateOfEnergy": 5000,
        "fcrCapacityAvailable": spec["fcr"],
        "afrrCapacityPosAvailable": spec["pos"],
        "afrrCapacityNegAvailable": spec["neg"],
        "maxTotalAncillaryCapacityChargeAvailable": spec["total_charge"],
        "maxTotalAncillaryCapacityDischargeAvailable": spec["total_discharge"],
    }
    products = {"FCR": "NEGPOS_08_12", "AFRR_POS": "POS_08_12", "AFRR_NEG": "NEG_08_12"}
    placed: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp, running_sandbox(_write(Path(tmp), _fixture(asset))) as sandbox:
        http = httpx.Client(base_url=sandbox.url)
        token = http.post("/auth/public/authenticate", json=LOGIN).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        va = f"/organisations/org-demo/virtual-assets/{MUNICH}"
        for market, offered in bids:
            others = {m: k for m, k in placed.items() if m != market}
            expected = reference_room(market, offered, spec, others)
            family = "fcr" if market == "FCR" else "afrr"
            response = http.put(
                f"{va}/ancillary/{family}/bids/2026-11-24_{products[market]}",
                content=f'[{{"offeredCapacity": {offered}, "capacityPrice": 1'
                + (', "energyPrice": 1}]' if market != "FCR" else "}]"),
            )
            assert (response.status_code == 200) == expected, (market, offered, placed, response.text)
            # the planner's call of the rule, on the availability it reads from /operational
            code = parse_product_date_code(f"2026-11-24_{products[market]}")
            categories = (
                "fcrCapacityAvailable,afrrCapacityPosAvailable,afrrCapacityNegAvailable,"
                "maxTotalAncillaryCapacityChargeAvailable,maxTotalAncillaryCapacityDischargeAvailable"
            )
            data = http.get(
                f"{va}/operational",
                params={
                    "categories": categories,
                    "start": "2026-11-24T07:00:00Z",
                    "end": "2026-11-24T07:00:00Z",
                },
            ).json()["data"]
            value = {name: Decimal(str(points[0]["value"])) for name, points in data.items()}
            availability = AncillaryAvailability(
                value["fcrCapacityAvailable"],
                value["afrrCapacityPosAvailable"],
                value["afrrCapacityNegAvailable"],
                value["maxTotalAncillaryCapacityChargeAvailable"],
                value["maxTotalAncillaryCapacityDischargeAvailable"],
            )
            committed = Commitments(
                Decimal(others.get("FCR", 0)),
                Decimal(others.get("AFRR_POS", 0)),
                Decimal(others.get("AFRR_NEG", 0)),
            )
            room = bid_room(
                code,
                [WindowQuarter(t, availability, committed) for t in code.periods()],
                PowerLimits(Decimal(spec["rated_charge"]), Decimal(spec["rated_discharge"])),
            )
            assert (int(offered) % 1000 == 0 and 0 < int(offered) <= room.kw) == expected
            if expected:
                placed[market] = int(offered)
        http.close()


def _write(root: Path, data: dict[str, Any]) -> Path:
    path = root / "fixture.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
