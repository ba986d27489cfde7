"""Every summary tells the truth: no "No changes" over errors, no plan that expired before it was
made, a near deadline said first, predictions in the pull-request comment, locations on
asset-level errors, a quiet apply. (``mode: exact`` no longer cancels a day nobody listed: see
``test_exact_scope.py``.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.market import parse_instant
from reconciler.sandbox.server import RunningSandbox
from tests.drift.drift_helpers import MUNICH_SCHEDULE
from tests.reliability.reliability_helpers import portfolio_project
from tests.support.harness import MUNICH, manifest, run, write_project

FCR_ONLY = manifest(
    "munich-1",
    MUNICH,
    "fcr: {bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 1000, capacityPrice: 90}]}\n",
)


pytestmark = pytest.mark.usefixtures("demo_credentials")


def test_errors_are_never_summarised_as_no_changes(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_clock("2026-11-23T07:45:00+01:00")  # the only change is a bid past its deadline
    project = write_project(tmp_path, sandbox.url, {"m.yaml": FCR_ONLY})
    result = run(capsys, "plan", str(project), "--detailed-exitcode")
    assert result.exit_code == 1  # not 0 ("no changes") and not 2
    assert "No changes:" not in result.out
    assert "No changes could be planned for the objects with errors" in result.out
    assert "Plan: 0 to create, 0 to update, 0 to delete — 0 requests; 1 not planned (errors)" in result.out
    assert "  munich-1/fcr/2026-11-24_NEGPOS_08_12: bidding for" in result.out

    applied = run(capsys, "apply", str(project), "--auto-approve")
    assert applied.exit_code == 1 and "Nothing to apply." in applied.out
    assert "Held back, not written: 1 object with errors" in applied.out


def test_a_plan_never_expires_before_it_was_made(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_clock("2026-11-23T07:45:00+01:00")  # after the FCR deadline of every bid in it
    project = portfolio_project(tmp_path / "p", sandbox.url)
    plan = run(capsys, "plan", str(project), "--format", "json").json()
    assert plan["changes"] and plan["expires_at"] is not None
    assert parse_instant(plan["expires_at"]) >= parse_instant(plan["now"])
    assert all(parse_instant(c["deadline"]) >= parse_instant(plan["now"]) for c in plan["changes"])


def test_a_deadline_under_five_minutes_away_is_said_first(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": FCR_ONLY})
    calm = run(capsys, "plan", str(project))
    assert "DEADLINE NEAR" not in calm.out  # 06:55: 35 minutes left

    sandbox.set_clock("2026-11-23T07:26:30+01:00")
    for output_format in ("text", "markdown"):
        result = run(capsys, "plan", str(project), "--format", output_format)
        first = "\n".join(result.out.splitlines()[:6])
        assert (
            "DEADLINE NEAR: munich-1/fcr/2026-11-24_NEGPOS_08_12 closes at 2026-11-23 07:30 CET, 3 min 30 s "
            "after this plan was made" in first
        ), result.out


def test_the_markdown_comment_shows_the_predicted_revalidation_cut(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # D7 at 08:15 CET: E0 8 562.5 kWh, upper bound 9 500 kWh, η 0.95: −(9500 − 8562.5)/(0.25·0.95)
    # = −3 947.4 kW, truncated toward zero to −3 947 kW
    project = write_project(tmp_path, sandbox.url, {"m.yaml": MUNICH_SCHEDULE})
    text = run(capsys, "plan", str(project)).out
    markdown = run(capsys, "plan", str(project), "--format", "markdown").out
    cut = "munich-1/wholesale 2026-11-23 08:15 CET: −5 MW → −3.947 MW"
    assert cut in text
    assert "#### Predictions (what the platform will do afterwards)" in markdown
    assert f"- {cut}" in markdown


def test_asset_errors_point_at_their_field(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "organisation: org-other\nwholesale: {mode: partial, schedule: [{at: '2026-11-24T10:00', power: 1}]}\n"
    unknown = manifest(
        "ghost", "7c1e0d4e-0000-4000-8000-00000000dead", "wholesale: {mode: partial, schedule: []}\n"
    )
    project = write_project(
        tmp_path, sandbox.url, {"a.yaml": manifest("munich-1", MUNICH, body), "b.yaml": unknown}
    )
    plan = run(capsys, "plan", str(project), "--format", "json").json()
    found = {d["code"]: d for d in plan["diagnostics"] if d["severity"] == "error"}
    mismatch, missing = found["organisation-mismatch"], found["unknown-virtual-asset"]
    assert (Path(mismatch["file"]).name, mismatch["line"], mismatch["column"], mismatch["path"]) == (
        "a.yaml",
        7,
        17,
        "spec.organisation",
    )
    assert (Path(missing["file"]).name, missing["line"], missing["column"], missing["path"]) == (
        "b.yaml",
        6,
        17,
        "spec.virtualAsset",
    )
    assert {n["address"] for n in plan["not_planned"]} == {"munich-1", "ghost"}


def test_quiet_apply_prints_only_failed_writes_and_the_summary(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": FCR_ONLY})
    result = run(capsys, "apply", str(project), "--auto-approve", "-q")
    assert result.exit_code == 0, result.err
    assert result.out == "Apply: 1 applied, 0 failed, 0 missed, 0 not attempted.\n"


def test_the_json_plan_lists_what_it_did_not_plan(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_clock("2026-11-23T07:45:00+01:00")
    project = write_project(tmp_path, sandbox.url, {"m.yaml": FCR_ONLY})
    out = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(out)).exit_code == 1
    saved = json.loads(out.read_text())
    assert saved["summary"]["not_planned"] == 1 and saved["changes"] == []
    assert saved["not_planned"][0]["address"] == "munich-1/fcr/2026-11-24_NEGPOS_08_12"
