"""Plan and apply over real HTTP against the sandbox (the example fixture: clock 2026-11-23 06:55 CET)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.core.schemas import load_schema
from tests.support.harness import MUNICH, manifest, run, write_project, writes, written_bids

SCHEDULE_AND_BID = manifest(
    "munich-1",
    MUNICH,
    """\
    wholesale:
      unit: MW
      mode: partial
      schedule:
        - {from: "2026-11-24T02:00", to: "2026-11-24T04:00", power: -2}
        - {from: "2026-11-24T18:00", to: "2026-11-24T20:00", power: 2}
    fcr:
      unit: MW
      bids:
        - {day: 2026-11-24, product: NEGPOS_08_12, capacity: 2, capacityPrice: 95.5}
    """,
)


pytestmark = pytest.mark.usefixtures("demo_credentials")


@pytest.mark.parametrize("api, bid_method", [("unified", "POST"), ("legacy", "PUT")])
def test_apply_then_plan_shows_no_changes(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str, bid_method: str
) -> None:
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID}, api)

    first = run(capsys, "plan", str(project), "--detailed-exitcode")
    assert first.exit_code == 2, first.out + first.err
    assert "Plan: 1 to create, 1 to update, 0 to delete — 2 requests" in first.out

    applied = run(capsys, "apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.out + applied.err
    assert "2 applied, 0 failed" in applied.out
    puts = writes(sandbox.requests())
    assert [r["method"] for r in puts] == ["PUT", bid_method]
    # the schedule PUT carries only the 16 changed periods
    schedule_put = next(r for r in puts if "/blocks/" in r["path"])
    assert len(schedule_put["body"]["schedule"]) == 16

    again = run(capsys, "plan", str(project), "--detailed-exitcode")
    assert again.exit_code == 0, again.out + again.err
    assert "No changes" in again.out


BID_REQUESTS = {
    "unified": {
        "method": "POST",
        "path": f"/organisations/org-demo/virtual-assets/{MUNICH}/ancillary/bids",
        "body": [
            {
                "market": "FCR",
                "product": "NEGPOS_08_12",
                "deliveryDay": "2026-11-24",
                "bids": [{"offeredCapacity": 2000, "capacityPrice": 95.5}],
            }
        ],
    },
    "legacy": {
        "method": "PUT",
        "path": f"/organisations/org-demo/virtual-assets/{MUNICH}/ancillary/fcr/bids/2026-11-24_NEGPOS_08_12",
        "body": [{"offeredCapacity": 2000, "capacityPrice": 95.5}],
    },
}


@pytest.mark.parametrize("api", ["unified", "legacy"])
def test_json_plan_validates_against_schema(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str
) -> None:
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID}, api)
    result = run(capsys, "plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.err
    plan = result.json()
    jsonschema.validate(plan, load_schema("plan.schema.json"))
    assert plan["format_version"] == "3"
    assert plan["target"]["organisation"] == "org-demo" and plan["target"]["ancillary_api"] == api
    bid = next(c for c in plan["changes"] if c["kind"] == "fcr_bid")
    assert plan["requests"][bid["request"]] == BID_REQUESTS[api]
    assert bid["deadline"] == "2026-11-23T06:30:00Z"  # 07:30 CET on D-1
    assert plan["expires_at"] == "2026-11-23T06:30:00Z"  # the earliest deadline among the changes


def test_saved_plan_applies_exactly(sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID})
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    shown = run(capsys, "show", str(plan_file))
    assert shown.exit_code == 0 and "munich-1/fcr/2026-11-24_NEGPOS_08_12" in shown.out

    result = run(capsys, "apply", str(plan_file), "--target", "local")
    assert result.exit_code == 0, result.out + result.err
    assert len(writes(sandbox.requests())) == 2


def test_stale_plan_is_refused(sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID})
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0

    # someone else writes the same asset in between
    other = write_project(
        tmp_path / "other",
        sandbox.url,
        {
            "m.yaml": manifest(
                "munich-1",
                MUNICH,
                "wholesale: {mode: partial, schedule: [{at: '2026-11-25T10:00', power: -1000}]}\n",
            )
        },
    )
    assert run(capsys, "apply", str(other), "--auto-approve").exit_code == 0
    before = len(writes(sandbox.requests()))

    result = run(capsys, "apply", str(plan_file), "--target", "local")
    assert result.exit_code == 1
    assert "stale" in result.err and "munich-1/wholesale" in result.err  # named, not by its UUID
    assert len(writes(sandbox.requests())) == before  # nothing written


def test_expired_plan_is_refused(sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID})
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    sandbox.set_clock("2026-11-23T07:31:00+01:00")  # past the FCR deadline 07:30

    result = run(capsys, "apply", str(plan_file), "--target", "local")
    assert result.exit_code == 1
    assert "expired" in result.err
    assert writes(sandbox.requests()) == []


def test_changed_bid_after_deadline_is_an_error(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_clock("2026-11-23T07:45:00+01:00")
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID})
    result = run(capsys, "plan", str(project))
    assert result.exit_code == 1
    assert "bidding for 2026-11-24_NEGPOS_08_12 closed at 2026-11-23 07:30 CET" in result.out
    assert "munich.yaml" in result.out  # points at the manifest


def test_a_bid_close_to_its_deadline_is_planned_with_a_warning(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID})
    assert "bid-deadline-near" not in run(capsys, "plan", str(project)).out  # 06:55: 35 minutes left
    sandbox.set_clock("2026-11-23T07:27:00+01:00")
    result = run(capsys, "plan", str(project))
    assert result.exit_code == 0, result.out + result.err
    assert "warning[bid-deadline-near]" in result.out
    assert "bidding for 2026-11-24_NEGPOS_08_12 closes at 2026-11-23 07:30 CET, in 3 min 00 s" in result.out


def test_frozen_period_difference_is_reported_not_written(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 06:55 now: the 07:00 period closed at 06:54:30 (330 s gate closure); 08:00 is editable
    body = "wholesale: {mode: partial, schedule: [{at: '2026-11-23T07:00', power: -1000}, {at: '2026-11-23T08:00', power: -1000}]}\n"
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    result = run(capsys, "plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.err
    plan = result.json()
    [change] = plan["changes"]
    assert change["after"] == {"2026-11-23T07:00:00Z": -1000}  # 08:00 CET
    frozen = [d for d in plan["diagnostics"] if d["code"] == "frozen-period-differs"]
    assert len(frozen) == 1
    assert "2026-11-23 07:00 CET" in frozen[0]["message"] and "no write planned" in frozen[0]["message"]


def test_a_bid_that_leaves_the_schedule_no_room_is_the_error_and_the_schedule_is_planned(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # apply writes the schedule before a bid that takes capacity (D16), and the platform then
    # refuses the bid: munich-1 charges 5000 kW, FCR 4000 kW leaves 1000 kW for the -2000 kW
    body = """\
    wholesale:
      mode: partial
      schedule: [{at: "2026-11-24T09:00", power: -2000}]
    fcr:
      bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 4000, capacityPrice: 100}]
    """
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    result = run(capsys, "plan", str(project), "--format", "json")
    assert result.exit_code == 1
    plan = result.json()
    assert [c["address"] for c in plan["changes"]] == ["munich-1/wholesale"]
    [error] = [d for d in plan["diagnostics"] if d["severity"] == "error"]
    assert error["address"] == "munich-1/fcr/2026-11-24_NEGPOS_08_12"
    assert "1000 kW of wholesale charge capacity at 2026-11-24 09:00 CET" in error["message"]
    assert plan["not_planned"] == [
        {"address": "munich-1/fcr/2026-11-24_NEGPOS_08_12", "reasons": [error["message"]]}
    ]
    assert writes(sandbox.requests()) == []


def test_fcr_room_counts_live_afrr_bids(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afrr = """\
    afrr:
      bids: [{day: 2026-11-24, product: POS_08_12, capacity: 2000, capacityPrice: 10, energyPrice: 50}]
    """
    first = write_project(tmp_path / "a", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, afrr)})
    assert run(capsys, "apply", str(first), "--auto-approve").exit_code == 0

    fcr = (
        textwrap.dedent(afrr)
        + "fcr:\n  bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 4000, capacityPrice: 100}]\n"
    )
    second = write_project(tmp_path / "b", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, fcr)})
    result = run(capsys, "plan", str(second))
    assert result.exit_code == 1
    # munich-1: max total ancillary 5000 kW, aFRR POS 2000 kW live -> 3000 kW left for FCR
    assert "3000 kW remain for FCR NEGPOS_08_12 on 2026-11-24" in result.out


def test_a_bid_that_does_not_fit_is_one_error_and_takes_no_wholesale_capacity(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # MW typed as kW: the bid is refused, so the schedule in its window must not be blamed for it
    body = """\
    wholesale:
      mode: partial
      schedule: [{at: "2026-11-24T09:00", power: -2000}]
    fcr:
      unit: MW
      bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 2000, capacityPrice: 100}]
    """
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    result = run(capsys, "plan", str(project), "--format", "json")
    assert result.exit_code == 1
    errors = [d for d in result.json()["diagnostics"] if d["severity"] == "error"]
    assert [d["code"] for d in errors] == ["ancillary-capacity"], errors
    assert "the manifest offers 2000000 kW" in errors[0]["message"]
    assert not [p for p in result.json()["predictions"] if p["reason"] == "capacity_move"]


def test_schedule_is_written_before_the_bid_that_needs_its_capacity(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    heavy = "wholesale: {mode: partial, schedule: [{at: '2026-11-24T09:00', power: -4000}]}\n"
    first = write_project(tmp_path / "a", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, heavy)})
    assert run(capsys, "apply", str(first), "--auto-approve").exit_code == 0

    lighter = """\
    wholesale:
      mode: partial
      schedule: [{at: "2026-11-24T09:00", power: -1000}]
    fcr:
      bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 3000, capacityPrice: 100}]
    """
    second = write_project(tmp_path / "b", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, lighter)})
    result = run(capsys, "apply", str(second), "--auto-approve")
    assert result.exit_code == 0, result.out + result.err
    later = writes(sandbox.requests())[1:]
    assert "/blocks/" in later[0]["path"] and written_bids(later[1:]) == ["2026-11-24_NEGPOS_08_12"]


def test_embedded_plan_file_applies_from_another_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the README tour: plan the examples into ./plan.json, then apply that file
    examples = Path(__file__).resolve().parents[2] / "examples"
    monkeypatch.chdir(tmp_path)
    planned = run(capsys, "plan", str(examples), "--out", "plan.json")
    assert planned.exit_code == 0, planned.err
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert saved["target"]["embedded"] is True and saved["target"]["config"].endswith("reconciler.yaml")

    applied = run(capsys, "apply", "plan.json")
    assert applied.exit_code == 0, applied.out + applied.err
    assert "embedded sandbox" in applied.out
    assert f"{len(saved['changes'])} applied, 0 failed" in applied.out


def test_plans_of_the_same_inputs_are_byte_identical(capsys: pytest.CaptureFixture[str]) -> None:
    # the embedded sandbox listens on a new port each run: the plan names its fixture instead
    examples = Path(__file__).resolve().parents[2] / "examples"
    first = run(capsys, "plan", str(examples), "--format", "json")
    second = run(capsys, "plan", str(examples), "--format", "json")
    assert first.exit_code == second.exit_code == 0, first.err
    assert first.out == second.out
    assert first.json()["target"]["api_url"] == "embedded:sandbox-fixture.yaml"


def test_plan_file_in_a_missing_folder_is_a_clear_error(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID})
    result = run(capsys, "plan", str(project), "--out", str(tmp_path / "missing" / "plan.json"))
    assert result.exit_code == 1
    assert "missing" in result.err and "Traceback" not in result.err and "bug" not in result.err


def test_saved_plan_is_stale_after_an_energy_unavailability(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the predicted cuts depend on the available energy capacity: a drop makes the plan stale
    project = write_project(tmp_path, sandbox.url, {"munich.yaml": SCHEDULE_AND_BID})
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    sandbox.add_unavailability(MUNICH, "2026-11-24T01:00:00Z", "2026-11-24T03:00:00Z", energy_capacity=6000)

    result = run(capsys, "apply", str(plan_file), "--target", "local")
    assert result.exit_code == 1
    assert "munich-1/energy-capacity" in result.err
    assert writes(sandbox.requests()) == []


def test_a_schedule_must_fit_the_capacity_live_bids_leave_unless_the_plan_frees_it_first(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bid = "fcr:\n  bids: [{{day: 2026-11-24, product: NEGPOS_08_12, capacity: {kw}, capacityPrice: 100}}]\n"
    first = write_project(
        tmp_path / "a", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, bid.format(kw=4000))}
    )
    assert run(capsys, "apply", str(first), "--auto-approve").exit_code == 0

    # munich-1 charges at most 5000 kW; the live FCR bid holds 4000 kW of it from 08:00 to 12:00 CET
    schedule = "wholesale:\n  mode: partial\n  schedule: [{at: '2026-11-24T09:00', power: -2000}, {at: '2026-11-24T13:00', power: -2000}]\n"
    kept = write_project(
        tmp_path / "b", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, schedule + bid.format(kw=4000))}
    )
    result = run(capsys, "plan", str(kept), "--format", "json")
    assert result.exit_code == 1
    errors = [d for d in result.json()["diagnostics"] if d["severity"] == "error"]
    assert [d["code"] for d in errors] == ["wholesale-capacity"], errors
    assert "at 2026-11-24 09:00 CET does not fit: 1000 kW of charge capacity left" in errors[0]["message"]
    assert result.json()["changes"] == []

    # lowering the bid to 1000 kW is written first and leaves 4000 kW: the same schedule fits
    lowered = write_project(
        tmp_path / "c", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, schedule + bid.format(kw=1000))}
    )
    result = run(capsys, "apply", str(lowered), "--auto-approve")
    assert result.exit_code == 0, result.out + result.err
    later = writes(sandbox.requests())[1:]
    assert written_bids(later[:1]) == ["2026-11-24_NEGPOS_08_12"] and "/blocks/" in later[1]["path"]
