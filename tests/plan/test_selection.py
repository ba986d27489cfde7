"""``--only PATTERN``: exactly the selected objects are planned, written and reported, and every
output says a selection was in effect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.plan.selection import Selection
from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import portfolio_project
from tests.support.harness import run, writes

FCR = "munich-1/fcr/2026-11-24_NEGPOS_00_04"


@pytest.mark.parametrize(
    ("pattern", "address", "selected"),
    [
        ("munich-1", "munich-1/wholesale", True),  # an asset selects everything below it
        ("munich-1", "munich-1/fcr/2026-11-24_NEGPOS_00_04", True),
        ("munich-1", "munich-10/wholesale", False),  # whole segments, not prefixes of text
        ("munich-1/fcr", FCR, True),
        ("munich-1/fcr/*", FCR, True),
        ("munich-1/fcr/*", "munich-1/wholesale", False),
        ("munich-1/fcr/*", "munich-1", False),  # the asset as a whole is not selected
        ("*/afrr/2026-11-24_*", "berlin-2/afrr/2026-11-24_NEG_12_16", True),
        ("*/afrr/2026-11-24_*", "berlin-2/afrr/2026-11-25_NEG_12_16", False),
        ("*fcr*", FCR, False),  # * never crosses a /
        ("munich-?/wholesale", "munich-1/wholesale", True),
        ("munich-1/", "munich-1/wholesale", True),
    ],
)
def test_patterns_match_addresses_segment_by_segment(pattern: str, address: str, selected: bool) -> None:
    assert Selection((pattern,)).selects(address) is selected


def test_no_pattern_selects_everything_and_several_patterns_add_up() -> None:
    assert Selection().selects("anything/at/all")
    both = Selection(("munich-1/wholesale", "berlin-2"))
    assert both.selects("munich-1/wholesale") and both.selects("berlin-2/fcr/2026-11-24_NEGPOS_04_08")
    assert not both.selects(FCR)
    assert both.touches_asset("munich-1") and not both.touches_asset("hamburg-3")
    assert both.unmatched(["munich-1/wholesale"]) == ["berlin-2"]


pytestmark = pytest.mark.usefixtures("demo_credentials")


def test_only_plans_exactly_the_selection_and_says_so(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url)
    result = run(capsys, "plan", str(project), "--only", "munich-1/fcr/*", "--format", "json")
    assert result.exit_code == 0, result.err
    plan = result.json()
    assert [c["address"] for c in plan["changes"]] == [FCR, "munich-1/fcr/2026-11-24_NEGPOS_20_24"]
    assert plan["selection"] == ["munich-1/fcr/*"]
    assert {key.split("/", 1)[0] for key in plan["fingerprints"]} == {"7c1e0d4e-0000-4000-8000-000000000001"}

    days = run(capsys, "plan", str(project), "--only", "*/afrr/2026-11-24_*", "--only", "hamburg-3/wholesale")
    assert days.exit_code == 0, days.err
    head = days.out.splitlines()[:3]
    assert any(
        "Selection in effect (--only */afrr/2026-11-24_* --only hamburg-3/wholesale)" in h for h in head
    )
    # 6 aFRR bids: hamburg-3's two capacity bids share a POST (D18), the others differ in phase
    assert "Plan: 6 to create, 1 to update, 0 to delete — 6 requests" in days.out


def test_a_saved_plan_records_its_selection_and_apply_writes_only_it(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url)
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--only", "berlin-2", "--out", str(plan_file)).exit_code == 0
    assert json.loads(plan_file.read_text())["selection"] == ["berlin-2"]
    shown = run(capsys, "show", str(plan_file))
    assert "Selection in effect (--only berlin-2)" in shown.out

    mixed = run(capsys, "apply", str(plan_file), "--only", "munich-1")
    assert mixed.exit_code == 2 and "a saved plan is applied as it was planned" in mixed.err
    applied = run(capsys, "apply", str(plan_file), "--target", "local")
    assert applied.exit_code == 0, applied.out + applied.err
    assert "selection berlin-2" in applied.out
    assert {w["path"].split("/virtual-assets/")[1].split("/")[0] for w in writes(sandbox.requests())} == {
        "7c1e0d4e-0000-4000-8000-000000000002"
    }


def test_apply_and_drift_take_the_selection_too(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url)
    applied = run(capsys, "apply", str(project), "--only", "hamburg-3/wholesale", "--auto-approve")
    assert applied.exit_code == 0, applied.out + applied.err
    assert "Apply: 1 applied" in applied.out
    assert [w["path"].rsplit("/", 2)[-2] for w in writes(sandbox.requests())] == ["blocks"]

    drift = run(capsys, "drift", str(project), "--only", "hamburg-3", "--format", "json")
    document = drift.json()
    assert document["selection"] == ["hamburg-3"]
    assert {e["address"].split("/")[0] for e in document["drift"]} == {"hamburg-3"}  # its bids, not applied
    assert not [e for e in document["drift"] if e["address"] == "hamburg-3/wholesale"]
    text = run(capsys, "drift", str(project), "--only", "hamburg-3/wholesale")
    assert "Selection in effect (--only hamburg-3/wholesale)" in text.out
    assert "No drift: the selected objects match." in text.out


def test_a_selection_of_nothing_is_said(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url)
    nowhere = run(capsys, "plan", str(project), "--only", "munich-9")
    assert nowhere.exit_code == 1 and "--only munich-9 selects no asset of the manifests" in nowhere.err
    typo = run(capsys, "plan", str(project), "--only", "munich-1/fcrr")
    assert typo.exit_code == 0
    assert "warning[only-matches-nothing]" in typo.out
    assert "No changes: the selected objects match." in typo.out
