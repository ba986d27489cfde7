"""The planner uses the target's market times (D14): a sandbox fixture's overrides reach it through
``GET /_sandbox/market-times``, so plan and sandbox agree on when bidding closes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from reconciler.market import DEFAULT_MARKET_TIMES, market_times_from_json, market_times_to_json
from reconciler.sandbox.server import running_sandbox
from tests.support.harness import MUNICH, manifest, run, write_project

ASSET: dict[str, Any] = {
    "id": MUNICH,
    "start": "2026-11-23T23:00:00Z",
    "end": "2026-11-24T23:00:00Z",
    "energyCapacity": 10000,
    "ratedChargePower": 5000,
    "ratedDischargePower": 5000,
    "chargeEfficiency": 1,
    "dischargeEfficiency": 1,
    "initialStateOfEnergy": 5000,
    "dispatchGateClosureSeconds": 300,
    "dailyCycleLimit": 2,
    "annualCycleLimit": 730,
    "fcrCapacityAvailable": 4000,
    "afrrCapacityPosAvailable": 4000,
    "afrrCapacityNegAvailable": 4000,
    "maxTotalAncillaryCapacityChargeAvailable": 4000,
    "maxTotalAncillaryCapacityDischargeAvailable": 4000,
}
BID = "fcr:\n  bids:\n    - {day: 2026-11-24, product: NEGPOS_08_12, capacity: 1000, capacityPrice: 90}\n"


def _plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], deadlines: dict[str, Any]) -> list[str]:
    fixture = {
        "now": "2026-11-23T05:50:00Z",  # 06:50 CET on D-1: before the default FCR deadline (07:30)
        "deadlines": deadlines,
        "organisations": [
            {
                "id": "org-demo",
                "users": [{"username": "demo", "password": "demo-password"}],
                "virtualAssets": [ASSET],
            }
        ],
    }
    path = tmp_path / f"fixture-{len(deadlines)}.yaml"
    path.write_text(yaml.safe_dump(fixture, sort_keys=False))
    with running_sandbox(path) as sandbox:
        served = httpx.get(sandbox.url + "/_sandbox/market-times").json()
        assert market_times_from_json(served) == sandbox.fixture.market_times
        project = write_project(
            tmp_path / f"p{len(deadlines)}", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, BID)}
        )
        planned = run(capsys, "plan", str(project), "--format", "json")
    return [d["code"] for d in planned.json()["diagnostics"]]


def test_a_fixtures_earlier_fcr_deadline_reaches_the_planner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")
    assert "bid-deadline-passed" not in _plan(tmp_path, capsys, {})
    assert "bid-deadline-passed" in _plan(tmp_path, capsys, {"fcrDeadline": "06:45"})  # 05:45Z < now


def test_market_times_round_trip_through_their_json_names() -> None:
    text = market_times_to_json(DEFAULT_MARKET_TIMES)
    assert text == {
        "openingDaysBefore": 7,
        "fcrDeadline": "07:30",
        "afrrCapacityDeadline": "08:30",
        "afrrEnergyDeadlineMinutes": 30,
        "fcrResults": "08:20",
        "afrrCapacityResults": "09:20",
        "afrrEnergyResultsMinutes": 23,
    }
    assert market_times_from_json(text) == DEFAULT_MARKET_TIMES
    assert market_times_from_json({"fcrResults": "09:20"}).fcr_results.hour == 9
