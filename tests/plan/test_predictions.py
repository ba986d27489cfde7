"""Predicted re-validation cuts equal what the sandbox then does, to the kW (D6, D7)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.sandbox.server import running_sandbox
from tests.support.harness import MUNICH, manifest, run, write_project

FIXTURE = """\
now: "2026-11-23T06:55:00+01:00"
organisations:
  - id: org-demo
    users: [{{username: demo, password: demo-password}}]
    virtualAssets:
      - id: {va}
        start: "2026-11-23T00:00:00+01:00"
        end: "2026-11-24T00:00:00+01:00"
        energyCapacity: 1000
        ratedChargePower: 2000
        ratedDischargePower: 2000
        chargeEfficiency: {eta_c}
        dischargeEfficiency: {eta_d}
        initialStateOfEnergy: {initial}
        stateOfChargeBounds: {{lower: 10, upper: 90}}
        dispatchGateClosureSeconds: 330
        dailyCycleLimit: 100
        annualCycleLimit: 1000
        fcrCapacityAvailable: 0
        afrrCapacityPosAvailable: 0
        afrrCapacityNegAvailable: 0
        maxTotalAncillaryCapacityChargeAvailable: 0
        maxTotalAncillaryCapacityDischargeAvailable: 0
"""

efficiency = st.sampled_from(["0.85", "0.9", "0.93", "0.943", "0.95", "0.97", "1"])
powers = st.lists(st.integers(-20, 20).map(lambda p: p * 100), min_size=12, max_size=12)


def _adjustments(url: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=url) as http:
        token = http.post("/auth/public/authenticate", json={"username": "demo", "password": "demo-password"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        answer = http.get(
            f"/organisations/org-demo/virtual-assets/{MUNICH}/adjustments",
            params={"start": "2026-11-22T23:00:00Z", "end": "2026-11-23T22:45:00Z"},
            headers=headers,
        )
        answer.raise_for_status()
        return list(answer.json()["adjustments"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# at the lower bound from the start: the first discharge is cut to 0
@example(eta_c="0.85", eta_d="0.85", initial=100, schedule=[0] * 11 + [100])
# charging into the upper bound with the docs' kind of numbers
@pytest.mark.slow
@example(eta_c="1", eta_d="1", initial=850, schedule=[-2000] * 12)
@given(eta_c=efficiency, eta_d=efficiency, initial=st.integers(100, 900), schedule=powers)
def test_predicted_cuts_equal_sandbox_adjustments(
    eta_c: str,
    eta_d: str,
    initial: int,
    schedule: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fixture = root / "fixture.yaml"
        fixture.write_text(FIXTURE.format(va=MUNICH, eta_c=eta_c, eta_d=eta_d, initial=initial))
        entries = "\n".join(
            f"    - {{at: '2026-11-23T{8 + i // 4:02d}:{(i % 4) * 15:02d}', power: {p}}}"
            for i, p in enumerate(schedule)
        )
        body = f"wholesale:\n  mode: exact\n  schedule:\n{entries}\n"
        with running_sandbox(fixture) as sandbox:
            project = write_project(root / "p", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
            planned = run(capsys, "plan", str(project), "--format", "json")
            assert planned.exit_code == 0, planned.err
            predicted = [
                (p["time"], p["requested"], p["predicted"])
                for p in json.loads(planned.out)["predictions"]
                if p["reason"] == "revalidation"
            ]
            applied = run(capsys, "apply", str(project), "--auto-approve")
            assert applied.exit_code == 0, applied.out + applied.err
            sandbox.set_clock("2026-11-23T23:59:00+01:00")  # every re-validation of the day has run
            actual = [
                (a["timestamp"], a["acceptedSchedule"], a["adjustedSchedule"])
                for a in _adjustments(sandbox.url)
                if a["reason"] == "STATE_OF_ENERGY_BOUNDARIES"
            ]
    assert predicted == actual
