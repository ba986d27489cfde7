"""D22 and D11 agree: the planner's daily-cycle warning adds up the very per-quarter values the
sandbox serves as ``availableEnergyDischargesWholesale``, and both equal the arithmetic here."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.harness import MUNICH, ORG, manifest, run, write_project


def test_the_daily_cycle_warning_sums_the_sandboxs_aed_category(
    make_sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")
    schedule = [
        {"time": f"2026-11-23T{8 + i // 4:02d}:{(i % 4) * 15:02d}:00Z", "power": 2000} for i in range(8)
    ]
    schedule += [
        {"time": f"2026-11-23T{16 + i // 4:02d}:{(i % 4) * 15:02d}:00Z", "power": 1000} for i in range(8)
    ]
    asset = {
        "id": MUNICH,
        "start": "2026-11-23T00:00:00+01:00",
        "end": "2026-11-24T00:00:00+01:00",
        "energyCapacity": 10000,
        "ratedChargePower": 5000,
        "ratedDischargePower": 5000,
        "chargeEfficiency": Decimal("0.95"),
        "dischargeEfficiency": Decimal("0.95"),
        "initialStateOfEnergy": 9000,
        "dispatchGateClosureSeconds": 330,
        "dailyCycleLimit": Decimal("0.5"),
        "annualCycleLimit": 730,
        "fcrCapacityAvailable": 0,
        "afrrCapacityPosAvailable": 0,
        "afrrCapacityNegAvailable": 0,
        "maxTotalAncillaryCapacityChargeAvailable": 0,
        "maxTotalAncillaryCapacityDischargeAvailable": 0,
        "schedule": schedule,
    }
    users = [{"username": "demo", "password": "demo-password"}]
    sandbox = make_sandbox(
        {
            "now": "2026-11-23T06:55:00+01:00",
            "organisations": [{"id": ORG, "users": users, "virtualAssets": [asset]}],
        }
    )
    sandbox.add_unavailability(MUNICH, "2026-11-23T16:00:00Z", "2026-11-23T17:00:00Z", energy_capacity=8000)
    project = write_project(
        tmp_path,
        sandbox.url,
        {"m.yaml": manifest("munich-1", MUNICH, "wholesale: {mode: partial, schedule: []}\n")},
    )
    result = run(capsys, "plan", str(project), "--format", "json")
    [warning] = [d["message"] for d in result.json()["diagnostics"] if d["code"] == "daily-cycle-limit"]
    found = re.search(r"2026-11-23: ([0-9.]+) available energy discharges", warning)
    assert found is not None, warning
    planner = Decimal(found.group(1))

    with httpx.Client(base_url=sandbox.url) as http:
        token = http.post("/auth/public/authenticate", json=users[0]).json()["access_token"]
        data = http.get(
            f"/organisations/{ORG}/virtual-assets/{MUNICH}/operational",
            params={
                "categories": "availableEnergyDischargesWholesale",
                "start": "2026-11-22T23:00:00Z",
                "end": "2026-11-23T22:45:00Z",
            },
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]["availableEnergyDischargesWholesale"]
    served = sum(Fraction(str(point["value"])) for point in data)
    # D6/D22 by hand: 2000 kW for eight quarters takes 8 · 500 / 0.95 kWh of 10 000 kWh; 1000 kW for
    # four quarters 4 · 250 / 0.95 of 8000 kWh (the unavailability) and four more of 10 000 kWh.
    expected = Fraction(4000, 10000) / Fraction(95, 100) + (
        Fraction(1000, 8000) + Fraction(1000, 10000)
    ) / Fraction(95, 100)
    assert abs(served - expected) < Fraction(1, 10**7)  # 96 values on the wire, 1e-9 each
    assert planner == round(Decimal(expected.numerator) / Decimal(expected.denominator), 2) == Decimal("0.66")
