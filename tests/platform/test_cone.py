"""The cone of flexibility in the plan (issue 11 item 2, D19), against the sandbox.

One asset of 10 MWh, 5 MW each way, 95 % efficient each way, kept within 5-95 % (E_max = 9500 kWh),
holding 9000 kWh and idle, gate closure 300 s. Charging in the 07:15 period can add at most
9500 − 9000 = 500 kWh: P ≥ −500 / (0.25 h · 0.95) = −2105.26 kW, so the platform's cone there is
[−2105, 5000] kW (inward to a whole kW; discharge limited by the 5000 kW available, D19), and
re-validation at 07:08 cuts −5000 kW to −2105 kW (truncated toward zero, D7).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.diagnostics import Severity
from reconciler.manifest import load_manifests
from reconciler.plan.build import make_plan
from reconciler.plan.model import TargetInfo
from reconciler.plan.reads import read_scopes
from reconciler.platform import InvalidOperationError
from reconciler.platform.live import LiveState
from reconciler.platform.reading import read_live
from reconciler.rules.vocabulary import Category
from reconciler.sandbox.server import RunningSandbox
from tests.platform.client_helpers import PASSWORD, USER, VA_ID, MakeClient, asset_spec, fixture
from tests.platform.test_live_reads import MakeSandbox, project, reads_of
from tests.support.harness import manifest, run

PERIOD = datetime(2026, 11, 23, 6, 15, tzinfo=UTC)  # 07:15 CET
LATER = datetime(2026, 11, 23, 6, 45, tzinfo=UTC)  # 07:45 CET
E0, E_MAX, ETA, DT = Fraction(9000), Fraction(9500), Fraction(95, 100), Fraction(1, 4)
MINIMUM = Category.MINIMUM_DELIVERABLE_POWER
EDGE = Decimal(math.ceil(-(E_MAX - E0) / (DT * ETA)))  # −2105: toward zero, as D7 truncates


def asset() -> dict[str, Any]:
    return asset_spec(
        start="2026-11-23T00:00:00+01:00",
        end="2026-11-24T00:00:00+01:00",
        energyCapacity=10000,
        ratedChargePower=5000,
        ratedDischargePower=5000,
        chargeEfficiency=Decimal("0.95"),
        dischargeEfficiency=Decimal("0.95"),
        initialStateOfEnergy=9000,
        stateOfChargeBounds={"lower": 5, "upper": 95},
        dispatchGateClosureSeconds=300,
    )


def schedule(*points: tuple[str, int]) -> str:
    listed = ", ".join(f'{{at: "{at}", power: {kw}}}' for at, kw in points)
    return f"wholesale: {{mode: partial, schedule: [{listed}]}}\n"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYR_USERNAME", USER)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    monkeypatch.delenv("LAYR_TOKEN", raising=False)


def test_the_cone_is_read_with_the_operational_series_no_extra_request(
    make_sandbox: MakeSandbox, make_client: MakeClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(fixture(asset(), now="2026-11-23T07:02:00+01:00"))
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, schedule(("2026-11-23T07:45", -1000)))})
    before = len(sandbox.requests())
    assert run(capsys, "plan", str(root)).exit_code == 0
    reads = reads_of(sandbox.requests()[before:], VA_ID)
    [query] = [q for route, q in reads if route == "operational"]
    assert "maximumDeliverablePower%2CminimumDeliverablePower" in query
    assert len(reads) == 5  # the asset, its block, one operational read, state of energy, adjustments
    client = make_client(sandbox)  # what the sandbox reports is the arithmetic above
    cone = client.get_operational(
        VA_ID, ["minimumDeliverablePower", "maximumDeliverablePower"], PERIOD, PERIOD
    )
    assert (cone["minimumDeliverablePower"][PERIOD], cone["maximumDeliverablePower"][PERIOD]) == (EDGE, 5000)


@pytest.mark.parametrize("api", ["unified", "legacy"])
def test_an_editable_value_outside_the_cone_is_a_cut_ahead_and_the_sandbox_cuts_it_so(
    make_sandbox: MakeSandbox,
    make_client: MakeClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    api: str,
) -> None:
    sandbox = make_sandbox(fixture(asset(), now="2026-11-23T07:02:00+01:00"))  # 07:15 is editable
    body = schedule(("2026-11-23T07:15", -5000), ("2026-11-23T07:45", -1000))
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, body)}, api)
    planned = run(capsys, "plan", str(root), "--format", "json")
    assert planned.exit_code == 0, planned.out + planned.err
    plan = planned.json()
    assert [c["address"] for c in plan["changes"]] == ["a/wholesale"]  # written: the platform accepts it
    assert not [d for d in plan["diagnostics"] if d["code"] == "outside-cone"]  # the two agree
    [cut] = [p for p in plan["predictions"] if p["time"] == "2026-11-23T06:15:00Z"]
    assert (cut["reason"], cut["requested"], cut["predicted"]) == ("revalidation", -5000, int(EDGE))
    assert "outside the cone of flexibility the platform reports (−2 105 kW to 5 000 kW)" in cut["detail"]

    assert run(capsys, "apply", str(root), "--auto-approve").exit_code == 0
    sandbox.set_clock("2026-11-23T07:08:00+01:00")  # 07:15's re-validation
    adjustments = make_client(sandbox).get_adjustments(VA_ID, PERIOD, PERIOD)
    assert [(a.time, a.accepted, a.adjusted) for a in adjustments] == [(PERIOD, Decimal(-5000), EDGE)]


def test_a_soft_locked_value_outside_the_cone_is_an_error_and_the_sandbox_rejects_it(
    make_sandbox: MakeSandbox, make_client: MakeClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 07:09: 07:15 was re-validated at 07:08 and its gate closes at 07:10 (300 s): soft-locked
    sandbox: RunningSandbox = make_sandbox(fixture(asset(), now="2026-11-23T07:09:00+01:00"))
    body = schedule(("2026-11-23T07:15", -5000), ("2026-11-23T07:45", -1000))
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, body)})
    planned = run(capsys, "plan", str(root), "--format", "json")
    assert planned.exit_code == 1, planned.out + planned.err
    plan = planned.json()
    [error] = [d for d in plan["diagnostics"] if d["severity"] == "error"]
    assert (error["code"], error["address"], error["line"]) == ("outside-cone", "a/wholesale", 7)
    assert (error["expected"], error["found"]) == (f"a power within [{EDGE}, 5000] kW", "-5000 kW")
    assert "rejects any value outside the cone until its gate closure at 07:10 CET" in error["message"]
    assert not [d for d in plan["diagnostics"] if d["code"] == "soft-locked-period-differs"]  # said once
    assert plan["changes"] == [] and [n["address"] for n in plan["not_planned"]] == ["a/wholesale"]

    client = make_client(sandbox)  # what the sandbox does with the value: it refuses it ...
    block = client.get_virtual_asset(VA_ID).wholesale_block_id
    assert block is not None
    with pytest.raises(InvalidOperationError, match="strict until its gate closure"):
        client.put_schedule(VA_ID, block, {PERIOD: Decimal(-5000)})
    client.put_schedule(VA_ID, block, {PERIOD: EDGE})  # ... and takes the cone's edge

    (root / "a.yaml").write_text(
        manifest("a", VA_ID, schedule(("2026-11-23T07:15", int(EDGE) + 5), ("2026-11-23T07:45", -1000)))
    )
    inside = run(capsys, "plan", str(root), "--format", "json")  # within the cone: the rest is planned
    assert inside.exit_code == 0, inside.out + inside.err
    codes = [d["code"] for d in inside.json()["diagnostics"]]
    assert "soft-locked-period-differs" in codes and "outside-cone" not in codes  # reported, not written
    assert [list(c["after"]) for c in inside.json()["changes"]] == [["2026-11-23T06:45:00Z"]]


def test_a_cone_the_planners_projection_does_not_explain_is_a_warning(
    make_sandbox: MakeSandbox, make_client: MakeClient, tmp_path: Path
) -> None:
    # The real platform's cone also holds ramp rates (not modelled): here it allows 07:15 to charge
    # only 1000 kW, while the planner's projection lets −1500 kW through (the SoC allows −2105).
    sandbox = make_sandbox(fixture(asset(), now="2026-11-23T07:02:00+01:00"))
    path = tmp_path / "a.yaml"
    path.write_text(manifest("a", VA_ID, schedule(("2026-11-23T07:15", -1500))))
    [wanted] = load_manifests([path]).manifests
    client = make_client(sandbox)
    now = sandbox.now()
    live = read_live(client, read_scopes([wanted]), now)
    read = live.assets[VA_ID]
    lowest = {**read.operational[MINIMUM], PERIOD: Decimal(-1000)}
    ramped = LiveState({VA_ID: replace(read, operational={**read.operational, MINIMUM: lowest})}, {})
    plan = make_plan([wanted], ramped, now, TargetInfo("t", sandbox.url, client.organisation))
    [warning] = [d for d in plan.diagnostics if d.code == "outside-cone"]
    assert warning.severity is Severity.WARNING and warning.address == "a/wholesale"
    assert "may cut it to −1 000 kW at its re-validation (07:08 CET)" in warning.message
    assert "the planner's own projection (D7, without ramp rates) leaves it" in warning.message
    assert [c.address for c in plan.changes] == ["a/wholesale"]  # still written: the platform accepts it
    assert not [p for p in plan.predictions if p.time == PERIOD]
