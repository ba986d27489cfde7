"""Errors stay with their object, over HTTP against the sandbox (example fixture, 06:55 CET).

The example portfolio plans 14 writes: munich-1 5, berlin-2 4, hamburg-3 4, leipzig-daily 1 (the
asset its selector names, tomorrow's of its portfolio). One asset's error
must hold back that asset (or that one bid, and what depends on it in capacity order), never
the others, and every command must still exit 1 naming what it held back.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import portfolio_project
from tests.support.harness import (
    BERLIN,
    HAMBURG,
    LEIPZIG_TOMORROW,
    MUNICH,
    manifest,
    run,
    write_project,
    writes,
    written_bids,
)

pytestmark = pytest.mark.usefixtures("demo_credentials")


def written_assets(sandbox: RunningSandbox) -> Counter[str]:
    return Counter(
        w["path"].split("/virtual-assets/", 1)[1].split("/", 1)[0] for w in writes(sandbox.requests())
    )


def break_hamburg_csv(project: Path) -> None:
    """One bad CSV row in hamburg-3's schedule (the issue's 06:55 example)."""
    csv = project / "schedules" / "hamburg-3.csv"
    csv.write_text(csv.read_text().replace("2026-11-24T01:15,-1500", "2026-11-24T01:15,-1.5 MW", 1))


# Requests per asset of the portfolio's plan. Legacy: one per change. Unified (D18): munich-1 and
# berlin-2 send an aFRR energy bid (no capacity) before their schedule, then FCR and aFRR capacity
# in a POST each; hamburg-3 its schedule, then FCR, then both aFRR capacity bids in one POST.
# leipzig-daily (tomorrow's asset of a portfolio) its schedule.
REQUESTS = {
    "legacy": {MUNICH: 5, BERLIN: 4, HAMBURG: 4, LEIPZIG_TOMORROW: 1},
    "unified": {MUNICH: 4, BERLIN: 4, HAMBURG: 3, LEIPZIG_TOMORROW: 1},
}


@pytest.mark.parametrize("api", ["unified", "legacy"])
def test_a_bad_csv_row_in_one_asset_holds_back_only_that_asset(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url, api)
    break_hamburg_csv(project)

    planned = run(capsys, "plan", str(project), "--format", "json", "--detailed-exitcode")
    assert planned.exit_code == 1
    plan = planned.json()
    assert {c["virtual_asset"] for c in plan["changes"]} == {MUNICH, BERLIN, LEIPZIG_TOMORROW}
    assert len(plan["changes"]) == 10
    [held] = plan["not_planned"]
    assert held["address"] == "hamburg-3" and "-1.5 MW" in " ".join(held["reasons"])
    csv_error = next(d for d in plan["diagnostics"] if d["severity"] == "error")
    assert csv_error["file"].endswith("hamburg-3.csv") and csv_error["line"] == 3

    applied = run(capsys, "apply", str(project), "--auto-approve")
    assert applied.exit_code == 1
    assert written_assets(sandbox) == {
        a: REQUESTS[api][a] for a in (MUNICH, BERLIN, LEIPZIG_TOMORROW)
    }  # every other write landed
    assert "Apply: 10 applied, 0 failed, 0 missed, 0 not attempted." in applied.out
    assert "Held back, not written: 1 object with errors in the plan:" in applied.out
    assert "  hamburg-3: " in applied.out


@pytest.mark.parametrize("api", ["unified", "legacy"])
def test_a_saved_plan_with_an_erroring_asset_applies_the_rest_and_fails(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url, api)
    berlin = project / "berlin-2.yaml"
    berlin.write_text(berlin.read_text().replace(BERLIN, "7c1e0d4e-0000-4000-8000-00000000beef"))
    plan_file = tmp_path / "plan.json"

    planned = run(capsys, "plan", str(project), "--out", str(plan_file))
    assert planned.exit_code == 1  # errors stand, yet the plan of the others is saved for review
    assert "Not planned" in planned.out and "  berlin-2: virtual asset" in planned.out
    assert "holds back 1 object(s) with errors" in planned.err
    expected = {a: REQUESTS[api][a] for a in (MUNICH, HAMBURG, LEIPZIG_TOMORROW)}
    assert json.loads(plan_file.read_text())["summary"]["requests"] == sum(expected.values())

    applied = run(capsys, "apply", str(plan_file))
    assert applied.exit_code == 1, applied.out + applied.err
    assert written_assets(sandbox) == expected
    assert "  berlin-2: virtual asset 7c1e0d4e-0000-4000-8000-00000000beef does not exist" in applied.out


@pytest.mark.parametrize("api, requests", [("unified", 9), ("legacy", 10)])
def test_a_missed_fcr_deadline_leaves_the_same_assets_afrr_bid_and_schedule_written(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str, requests: int
) -> None:
    sandbox.set_clock("2026-11-23T07:45:00+01:00")  # FCR closed at 07:30; aFRR capacity closes 08:30
    project = portfolio_project(tmp_path / "p", sandbox.url, api)

    planned = run(capsys, "plan", str(project))
    assert planned.exit_code == 1
    # the four FCR bids are errors, not changes: 10 - 4 to create (unified: hamburg-3's two aFRR
    # capacity bids share a POST)
    summary = f"Plan: 6 to create, 4 to update, 0 to delete — {requests} requests; 4 not planned (errors)"
    assert summary in planned.out
    assert "bidding for 2026-11-24_NEGPOS_00_04 closed at 2026-11-23 07:30 CET" in planned.out
    assert "No changes" not in planned.out

    applied = run(capsys, "apply", str(project), "--auto-approve")
    assert applied.exit_code == 1
    munich = [w for w in writes(sandbox.requests()) if MUNICH in w["path"]]
    assert sorted(written_bids(munich)) == ["2026-11-24_NEG_073", "2026-11-24_POS_16_20"]  # no FCR
    assert any("/blocks/" in w["path"] for w in munich)  # munich-1's schedule
    for code in ("munich-1/fcr/2026-11-24_NEGPOS_00_04", "munich-1/fcr/2026-11-24_NEGPOS_20_24"):
        assert f"  {code}: bidding for" in applied.out


def test_a_schedule_that_needs_capacity_a_held_back_bid_would_free_is_held_back_too(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 06:55: FCR 4 MW live in 08:00-12:00 leaves munich-1 (5000 kW rated) 1000 kW to charge there
    first = "fcr: {bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 4000, capacityPrice: 90}]}\n"
    before = write_project(tmp_path / "a", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, first)})
    assert run(capsys, "apply", str(before), "--auto-approve").exit_code == 0
    sandbox.set_clock("2026-11-23T07:45:00+01:00")  # too late to lower the bid
    lower = """\
    wholesale: {mode: partial, schedule: [{at: "2026-11-24T10:00", power: -3000}]}
    fcr: {bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 1000, capacityPrice: 90}]}
    """
    other = "wholesale: {mode: partial, schedule: [{at: '2026-11-24T10:00', power: -500}]}\n"
    manifests = {"m.yaml": manifest("munich-1", MUNICH, lower), "b.yaml": manifest("berlin-2", BERLIN, other)}
    after = write_project(tmp_path / "b", sandbox.url, manifests)
    result = run(capsys, "plan", str(after), "--format", "json")
    assert result.exit_code == 1
    plan = result.json()
    errors = {d["address"]: d for d in plan["diagnostics"] if d["severity"] == "error"}
    assert errors.keys() == {"munich-1/fcr/2026-11-24_NEGPOS_08_12", "munich-1/wholesale"}
    # the bid stays at 4000 kW: 5000 - 4000 = 1000 kW of charge left for the -3000 kW
    assert "1000 kW of charge capacity left at 10:00" in errors["munich-1/wholesale"]["message"]
    assert [c["address"] for c in plan["changes"]] == ["berlin-2/wholesale"]


def test_errors_about_the_whole_run_still_stop_everything(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url)
    (project / "copy.yaml").write_text(
        (project / "berlin-2.yaml").read_text().replace("name: berlin-2", "name: b2")
    )
    result = run(capsys, "apply", str(project), "--auto-approve")
    assert result.exit_code == 1
    assert "duplicate-virtual-asset" in result.err
    assert "nothing was read from or written to any platform" in result.err
    assert sandbox.requests() == []


def test_a_manifest_that_fails_its_schema_is_named_and_held_back(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url)
    munich = project / "munich-1.yaml"
    munich.write_text(munich.read_text().replace("capacity: 2,", "capcity: 2,", 1))  # a key misspelt
    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 1
    plan = planned.json()
    assert [n["address"] for n in plan["not_planned"]] == ["munich-1"]
    assert {c["asset"] for c in plan["changes"]} == {"berlin-2", "hamburg-3", "leipzig-daily"}


def _bad_bid_csv_row(project: Path) -> str:
    csv = project / "bids" / "hamburg-3-afrr.csv"
    csv.write_text(csv.read_text().replace("NEG_16_20,1000,", "NEG_16_20,lots,", 1))
    return HAMBURG


def _berlin_energy_bids(project: Path, entries: str) -> str:
    path = project / "berlin-2.yaml"
    single = "      - {day: 2026-11-24, product: POS_070, capacity: 1000, energyPrice: 120}\n"
    assert single in path.read_text()
    path.write_text(path.read_text().replace(single, entries))
    return BERLIN


def _overlapping_templates(project: Path) -> str:
    return _berlin_energy_bids(
        project,
        "      - {day: 2026-11-24, products: POS_060..POS_070, capacity: 1000, energyPrice: 120}\n"
        "      - {days: [2026-11-24], products: POS_065..POS_075, capacity: 1000, energyPrice: 120}\n",
    )


def _template_beyond_the_day(project: Path) -> str:  # 2026-11-24 has 96 quarter-hours
    return _berlin_energy_bids(
        project, "      - {day: 2026-11-24, products: POS_090..POS_100, capacity: 1000, energyPrice: 120}\n"
    )


@pytest.mark.parametrize(
    ("breaks", "file", "line", "code", "field"),
    [
        (_bad_bid_csv_row, "hamburg-3-afrr.csv", 3, "csv-value", "spec.afrr.bids.csv.capacity"),
        (_overlapping_templates, "berlin-2.yaml", 33, "bid-template-overlap", "spec.afrr.bids[2]"),
        (_template_beyond_the_day, "berlin-2.yaml", 32, "bid-product-day", "spec.afrr.bids[1].products"),
    ],
    ids=["bid-csv-row", "overlapping-templates", "template-beyond-the-day"],
)
def test_bad_bid_csv_rows_and_templates_hold_back_only_their_asset(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    breaks: Any,
    file: str,
    line: int,
    code: str,
    field: str,
) -> None:
    """Issue 16's bad input: a clear error at file, line and field; exit 1; nothing written for
    that asset, while the others are written."""
    project = portfolio_project(tmp_path / "p", sandbox.url, "unified")
    broken = breaks(project)

    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 1
    [error] = [d for d in planned.json()["diagnostics"] if d["severity"] == "error"]
    assert (Path(error["file"]).name, error["line"], error["code"], error["path"]) == (
        file,
        line,
        code,
        field,
    )
    assert error["expected"] and error["found"]

    applied = run(capsys, "apply", str(project), "--auto-approve")
    assert applied.exit_code == 1 and "Traceback" not in applied.err
    others = {a: n for a, n in REQUESTS["unified"].items() if a != broken}
    assert written_assets(sandbox) == others
