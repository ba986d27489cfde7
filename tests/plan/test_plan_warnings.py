"""Warnings that never block a plan: end-of-life imbalance (D10) and the daily cycle limit (D11)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import MUNICH, manifest, run, write_project


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")


def fixture(daily_cycle_limit: str) -> dict[str, Any]:
    asset = {
        "id": MUNICH,
        "start": "2026-11-23T00:00:00+01:00",
        "end": "2026-11-24T00:00:00+01:00",
        "energyCapacity": 10000,
        "ratedChargePower": 5000,
        "ratedDischargePower": 5000,
        "chargeEfficiency": Decimal("0.95"),
        "dischargeEfficiency": Decimal("0.95"),
        "initialStateOfEnergy": 8000,
        "stateOfChargeBounds": {"lower": 0, "upper": 100},
        "dispatchGateClosureSeconds": 330,
        "dailyCycleLimit": Decimal(daily_cycle_limit),
        "annualCycleLimit": 730,
        "fcrCapacityAvailable": 0,
        "afrrCapacityPosAvailable": 0,
        "afrrCapacityNegAvailable": 0,
        "maxTotalAncillaryCapacityChargeAvailable": 0,
        "maxTotalAncillaryCapacityDischargeAvailable": 0,
    }
    users = [{"username": "demo", "password": "demo-password"}]
    return {
        "now": "2026-11-23T06:55:00+01:00",
        "organisations": [{"id": "org-demo", "users": users, "virtualAssets": [asset]}],
    }


DISCHARGE = "wholesale: {mode: partial, schedule: [{from: '2026-11-23T10:00', to: '2026-11-23T12:00', power: 2000}]}\n"


def test_end_of_life_and_cycles_are_warnings_with_the_numbers(
    make_sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(fixture("0.4"))
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, DISCHARGE)})
    result = run(capsys, "plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.err  # warnings never stop a plan
    warnings = {d["code"]: d for d in result.json()["diagnostics"] if d["severity"] == "warning"}
    # 8000 kWh − 4000 kWh / 0.95 = 3789.47… kWh at the end: 37.9 %, 1210 kWh under 50 %
    eol = warnings["end-of-life-imbalance"]
    assert "37.9 %" in eol["message"] and "under-charged by 1.21 MWh" in eol["message"]
    assert eol["file"].endswith("m.yaml") and eol["line"] == 7
    # 4000 kWh / 0.95 taken from storage over 10000 kWh available: 0.42 AED > 0.4
    assert (
        "2026-11-23: 0.42 available energy discharges exceed the daily limit of 0.4"
        in (warnings["daily-cycle-limit"]["message"])
    )


def test_no_cycle_warning_within_the_limit(
    make_sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(fixture("0.5"))
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, DISCHARGE)})
    result = run(capsys, "plan", str(project), "--format", "json")
    codes = [d["code"] for d in result.json()["diagnostics"]]
    assert "daily-cycle-limit" not in codes


def test_cycles_count_what_the_day_already_delivered(
    make_sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = fixture("0.5")
    morning = [
        {"time": f"2026-11-23T{6 + i // 4:02d}:{(i % 4) * 15:02d}:00Z", "power": 2000} for i in range(8)
    ]
    seed["organisations"][0]["virtualAssets"][0]["schedule"] = morning  # 07:00-09:00 CET: 0.42 AED
    sandbox = make_sandbox(seed)
    sandbox.set_clock("2026-11-23T13:00:00+01:00")
    evening = "wholesale: {mode: partial, schedule: [{from: '2026-11-23T17:00', to: '2026-11-23T19:00', power: 1000}]}\n"
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, evening)})
    result = run(capsys, "plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.err
    [cycles] = [d for d in result.json()["diagnostics"] if d["code"] == "daily-cycle-limit"]
    assert "2026-11-23: 0.63 available energy discharges" in cycles["message"]  # 0.42 + 0.21
