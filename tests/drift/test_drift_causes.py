"""``reconciler drift`` over HTTP with the sandbox clock: every difference, with its cause."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconciler.market import PeriodState, parse_instant
from reconciler.plan.causes import Cause, DriftEntry
from reconciler.platform import Credentials, PlatformClient
from reconciler.render.drift import render_drift_text
from tests.conftest import MakeSandbox
from tests.drift.drift_helpers import (
    MUNICH_SCHEDULE,
    REVALIDATED_AT,
    SCHEDULE_BODY,
    by_cause,
    example_fixture,
)
from tests.support.harness import BERLIN, MUNICH, ORG, manifest, run, write_project, writes
from tests.support.schemas import assert_matches_schema

BIDS_BODY = """\
    fcr:
      unit: MW
      bids:
        - {day: 2026-11-24, product: NEGPOS_16_20, capacity: 2, capacityPrice: 130}   # above clearing 120
        - {day: 2026-11-24, product: NEGPOS_20_24, capacity: 2, capacityPrice: 100}   # clears, 1 MW taken
    afrr:
      unit: MW
      bids:
        - {day: 2026-11-24, product: POS_16_20, capacity: 1, capacityPrice: 12.5, energyPrice: 80}
        - {day: 2026-11-23, product: POS_033, capacity: 1, energyPrice: 150}   # 08:00 today, above 100
    """
BIDS = manifest("munich-1", MUNICH, BIDS_BODY)


def drift_json(capsys: pytest.CaptureFixture[str], project: Path) -> tuple[int, list[dict[str, Any]]]:
    result = run(capsys, "drift", str(project), "--format", "json", "--detailed-exitcode")
    assert result.exit_code in (0, 2), result.out + result.err
    document = result.json()
    assert_matches_schema(document, "drift.schema.json")
    assert document["format_version"] == "1" and document["not_compared"] == []
    return result.exit_code, document["drift"]


def test_no_false_drift_right_after_apply(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = manifest("munich-1", MUNICH, textwrap.dedent(SCHEDULE_BODY) + textwrap.dedent(BIDS_BODY))
    project = write_project(tmp_path, sandbox.url, {"m.yaml": both})
    before, drift = drift_json(capsys, project)
    assert before == 2 and {e["cause"] for e in drift} == {"out_of_band"}  # not applied yet

    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    assert drift_json(capsys, project) == (0, [])
    text = run(capsys, "drift", str(project), "--detailed-exitcode")
    assert text.exit_code == 0 and "No drift" in text.out


def test_revalidation_corrections(sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": MUNICH_SCHEDULE})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    sandbox.set_clock(REVALIDATED_AT)

    code, drift = drift_json(capsys, project)
    assert code == 2
    assert [(e["time"], e["desired"], e["live"]) for e in drift] == [
        ("2026-11-23T07:15:00Z", -5000, -3947),  # 08:15 CET: E0 8 562.5 kWh, 937.5 kWh of room left
        ("2026-11-23T07:30:00Z", -5000, 0),
        ("2026-11-23T07:45:00Z", -5000, 0),
    ]
    assert {(e["address"], e["cause"], e["reason"]) for e in drift} == {
        ("munich-1/wholesale", "revalidation", "STATE_OF_ENERGY_BOUNDARIES")
    }

    text = run(capsys, "drift", str(project))
    assert text.exit_code == 0  # without --detailed-exitcode drift is not an error
    assert "Re-validation corrections [revalidation]" in text.out
    assert (
        "the platform will nominate −3 947 kW for 08:15 CET; close your position or accept the imbalance"
        in text.out
    )
    # 08:30 and 08:45 merge into one run
    assert "2026-11-23 08:30 CET–09:00 CET: desired −5 000 kW, live 0 kW" in text.out
    assert "every quarter-hour 08:30 CET–09:00 CET" in text.out

    markdown = run(capsys, "drift", str(project), "--format", "markdown")
    assert "**Re-validation corrections** (`revalidation`)" in markdown.out
    assert "- **munich-1**" in markdown.out


def test_unavailability_clipping_is_drift_that_plan_leaves_alone(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": MUNICH_SCHEDULE})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    # 10:00-10:30 CET tomorrow: only 1.5 MW of charging left; both periods are still editable
    clipped = sandbox.add_unavailability(
        MUNICH, "2026-11-24T09:00:00Z", "2026-11-24T09:30:00Z", charge_power=1500
    )
    assert len(clipped["clipped"]) == 2

    code, drift = drift_json(capsys, project)
    assert code == 2
    assert [(e["time"], e["cause"], e["reason"], e["live"]) for e in drift] == [
        ("2026-11-24T09:00:00Z", "unavailability", "AVAILABILITY", -1500),
        ("2026-11-24T09:15:00Z", "unavailability", "AVAILABILITY", -1500),
    ]

    written = len(writes(sandbox.requests()))
    plan = run(capsys, "plan", str(project), "--format", "json", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.out + plan.err  # no change: the platform's clipping is not fought
    listed = plan.json()
    assert listed["changes"] == []
    assert [(d["time"], d["cause"]) for d in listed["drift"]] == [
        ("2026-11-24T09:00:00Z", "unavailability"),
        ("2026-11-24T09:15:00Z", "unavailability"),
    ]
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    assert len(writes(sandbox.requests())) == written  # apply wrote nothing either

    text = run(capsys, "drift", str(project))
    assert "Unavailability clipping [unavailability]" in text.out
    assert "the platform will nominate −1 500 kW for every quarter-hour 10:00 CET–10:30 CET" in text.out


def test_rejected_and_partially_accepted_bids(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(example_fixture(partialAcceptance={"2026-11-24_NEGPOS_20_24": 1000}))
    project = write_project(tmp_path, sandbox.url, {"m.yaml": BIDS})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    assert drift_json(capsys, project) == (0, [])  # offered as declared; no results yet

    sandbox.set_clock("2026-11-23T09:25:00+01:00")  # FCR results at 08:20, aFRR capacity at 09:20
    code, drift = drift_json(capsys, project)
    assert code == 2
    assert [(e["address"], e["time"], e["desired"], e["live"], e["reason"]) for e in drift] == [
        ("munich-1/fcr/2026-11-24_NEGPOS_16_20", "2026-11-24T15:00:00Z", 2000, 0, "REJECTED"),
        ("munich-1/fcr/2026-11-24_NEGPOS_20_24", "2026-11-24T19:00:00Z", 2000, 1000, "PARTIALLY_ACCEPTED"),
        ("munich-1/afrr/2026-11-23_POS_033", "2026-11-23T07:00:00Z", 1000, 0, "REJECTED"),  # results 07:37
    ]  # the aFRR capacity bid (12.5 <= 20 EUR/MW/h) was accepted in full: no drift
    assert by_cause(drift, "auction_result") == drift

    text = run(capsys, "drift", str(project))
    assert "Auction results [auction_result]" in text.out
    assert "offered 2 000 kW, accepted 1 000 kW" in text.out
    assert "1 000 kW of wholesale capacity is free again 2026-11-24 20:00 CET–00:00 CET" in text.out
    # an aFRR energy bid holds no wholesale capacity (D16), so none comes back
    assert (
        "munich-1/afrr/2026-11-23_POS_033: offered 1 000 kW, accepted 0 kW — the auction rejected the bid\n"
        in (text.out)
    )

    plan = run(capsys, "plan", str(project), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.out + plan.err  # an auction result is never "fixed" by a write


def test_out_of_band_write_is_reported_and_reverted(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": MUNICH_SCHEDULE})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    with PlatformClient(sandbox.url, ORG, Credentials(username="demo", password="demo-password")) as client:
        block = client.get_virtual_asset(MUNICH).wholesale_block_id
        assert block is not None
        client.put_schedule(MUNICH, block, {parse_instant("2026-11-24T09:30:00Z"): Decimal(-1250)})

    code, drift = drift_json(capsys, project)
    assert code == 2
    assert drift == [
        {
            "address": "munich-1/wholesale",
            "time": "2026-11-24T09:30:00Z",
            "desired": -4000,
            "live": -1250,
            "cause": "out_of_band",
            "reason": "",
            "detail": "nothing on the platform explains it: it was changed outside reconciler, or never applied",
            "period_state": "editable",
            "writable": True,  # apply writes the manifest's value back
            "product": None,
        }
    ]
    text = run(capsys, "drift", str(project))
    assert (
        "the platform will nominate −1 250 kW for 10:30 CET unless `reconciler apply` writes −4 000 kW back"
        in text.out
    )

    plan = run(capsys, "plan", str(project), "--format", "json")
    [change] = plan.json()["changes"]
    assert change["after"] == {"2026-11-24T09:30:00Z": -4000}  # reverted like any change
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    assert drift_json(capsys, project) == (0, [])


def test_an_unknown_asset_is_an_error_on_that_asset_and_the_others_are_still_compared(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = "7c1e0d4e-9999-4000-8000-000000000009"
    project = write_project(
        tmp_path,
        sandbox.url,
        {
            "x.yaml": manifest("ghost", stranger, "wholesale: {schedule: []}\n"),
            "m.yaml": manifest("munich-1", MUNICH, SCHEDULE_BODY),
        },
    )
    result = run(capsys, "drift", str(project), "--format", "json")
    assert result.exit_code == 1
    assert (
        f"x.yaml:1:1: ghost names virtual asset {stranger}, which does not exist in organisation org-demo"
        in (result.err)
    )
    compared = {entry["address"].split("/")[0] for entry in result.json()["drift"]}
    assert compared == {"munich-1"}  # not applied yet: its differences are still reported
    text = run(capsys, "drift", str(project))
    assert text.exit_code == 1 and "No drift" not in text.out
    assert "Traceback" not in result.err + text.err


def test_unreadable_manifest_is_a_clear_error_before_any_request(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = MUNICH_SCHEDULE.replace("power: -4}", "power: -4")  # an unclosed flow mapping
    project = write_project(tmp_path, sandbox.url, {"m.yaml": broken})
    result = run(capsys, "drift", str(project), "--adopt")
    assert result.exit_code == 1
    assert "m.yaml:" in result.err and "error[yaml-syntax]" in result.err
    assert "nothing was read from or written to any platform" in result.err
    assert sandbox.requests() == []
    assert (project / "m.yaml").read_text() == broken


def test_available_below_rated_explains_a_clipped_value_without_adjustment(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": MUNICH_SCHEDULE})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    sandbox.add_unavailability(MUNICH, "2026-11-24T09:00:00Z", "2026-11-24T09:15:00Z", charge_power=1500)
    # another tool writes the clipped value itself: the platform drops the adjustment of that period
    with PlatformClient(sandbox.url, ORG, Credentials(username="demo", password="demo-password")) as client:
        block = client.get_virtual_asset(MUNICH).wholesale_block_id
        assert block is not None
        client.put_schedule(MUNICH, block, {parse_instant("2026-11-24T09:00:00Z"): Decimal(-1500)})

    _, drift = drift_json(capsys, project)
    assert [(e["time"], e["cause"], e["reason"], e["detail"]) for e in drift] == [
        ("2026-11-24T09:00:00Z", "unavailability", "AVAILABLE_BELOW_RATED", "only 1500 kW are available")
    ]
    plan = run(capsys, "plan", str(project), "--format", "json")
    assert plan.json()["changes"] == []  # writing −4 MW back would only be refused


def test_a_revalidated_period_is_soft_locked_and_not_writable(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": MUNICH_SCHEDULE})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    # 08:39 CET: 08:45 was re-validated at 08:38 and closes at 08:39:30 (330 s); 08:15, 08:30 closed
    sandbox.set_clock("2026-11-23T08:39:00+01:00")
    _, drift = drift_json(capsys, project)
    assert [(e["time"], e["cause"], e["period_state"], e["writable"]) for e in drift] == [
        ("2026-11-23T07:15:00Z", "revalidation", "frozen", False),
        ("2026-11-23T07:30:00Z", "revalidation", "frozen", False),
        ("2026-11-23T07:45:00Z", "revalidation", "soft_locked", False),
    ]
    text = run(capsys, "drift", str(project)).out
    assert "reconciler apply" not in text


def test_drift_text_offers_apply_only_where_it_can_still_write() -> None:
    def entry(hour: int, state: PeriodState) -> DriftEntry:
        at = datetime(2026, 11, 23, hour, tzinfo=UTC)
        writable = state is PeriodState.EDITABLE
        return DriftEntry("m/wholesale", "m", at, -1000, 0, Cause.OUT_OF_BAND, "", "x", state, writable)

    lines = render_drift_text(
        [entry(6, PeriodState.FROZEN), entry(8, PeriodState.SOFT_LOCKED), entry(10, PeriodState.EDITABLE)]
    )
    frozen, soft, editable = (
        next(line for line in lines if f" {h}:00 CET:" in line) for h in ("07", "09", "11")
    )
    assert "apply" not in frozen and "frozen since its gate closure" in frozen
    assert (
        "unless" not in soft and "soft-locked since its re-validation, so apply no longer writes it" in soft
    )
    assert "unless `reconciler apply` writes −1 000 kW back before gate closure" in editable


def test_assets_that_cannot_be_compared_are_named_in_the_json_with_why(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = "7c1e0d4e-0000-4000-8000-0000000000ff"
    project = write_project(
        tmp_path,
        sandbox.url,
        {
            "m.yaml": MUNICH_SCHEDULE,
            "ghost.yaml": manifest("ghost", unknown, "fcr: {bids: []}\n"),
            "broken.yaml": manifest("berlin-2", BERLIN, "fcr: {bid: []}\n"),
        },
    )
    result = run(capsys, "drift", str(project), "--format", "json")
    assert result.exit_code == 1, result.out + result.err
    document = result.json()
    assert_matches_schema(document, "drift.schema.json")
    assert {e["address"].split("/")[0] for e in document["drift"]} == {"munich-1"}  # the rest is compared
    reasons = {n["address"]: n["reasons"] for n in document["not_compared"]}
    assert list(reasons) == ["berlin-2", "ghost"]
    assert reasons["berlin-2"] == ["unknown key 'bid' in spec.fcr; did you mean 'bids'?"]
    assert reasons["ghost"] == [
        f"ghost names virtual asset {unknown}, which does not exist in organisation {ORG} "
        "(or this account may not dispatch it)"
    ]
    assert reasons["ghost"][0] in result.err  # the same words people read
