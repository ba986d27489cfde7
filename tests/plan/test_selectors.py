"""Asset selectors over HTTP against the sandbox: ``spec.virtualAsset: {portfolio, day}`` plans and
applies to the one asset of the portfolio whose lifetime covers the day, with one read of the
asset list per run; no match or several hold back that manifest only; two manifests naming one
asset stop the run; a saved plan is refused when its selector would now name another asset; the
day is counted in local calendar days on the DST days too.

The example fixture's clock is 2026-11-23 06:55 CET; its Leipzig portfolio has one-day assets for
the 23rd (LEIPZIG_TODAY) and the 24th (LEIPZIG_TOMORROW), the 25th's is created at 17:00 today.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jsonschema
import pytest

from reconciler.core.schemas import load_schema
from reconciler.market import day_bounds, isoformat_z, quarter_hours
from reconciler.sandbox.server import RunningSandbox
from tests.conftest import MakeSandbox
from tests.plan.test_planfile_trust import edit, refused
from tests.platform.client_helpers import asset_spec
from tests.support.harness import (
    LEIPZIG_PORTFOLIO,
    LEIPZIG_TODAY,
    LEIPZIG_TOMORROW,
    MUNICH,
    ORG,
    manifest,
    run,
    write_project,
    writes,
)

TOMORROW = f"{{portfolio: {LEIPZIG_PORTFOLIO}, day: tomorrow}}"
CHARGE_MUNICH = 'wholesale: {mode: partial, schedule: [{at: "2026-11-24T10:00", power: -1000}]}\n'
CHARGE_TOMORROW = 'wholesale: {mode: exact, schedule: [{at: "2026-11-24T10:00", power: -1000}]}\n'
LIST_PATH = f"/organisations/{ORG}/virtual-assets"


pytestmark = pytest.mark.usefixtures("demo_credentials")


def listing_reads(sandbox: RunningSandbox) -> list[dict[str, list[str]]]:
    """The query of every read of the organisation's asset list (V1)."""
    return [
        parse_qs(r.get("query", ""))
        for r in sandbox.requests()
        if r["method"] == "GET" and r["path"] == LIST_PATH
    ]


def written_assets(sandbox: RunningSandbox) -> set[str]:
    return {w["path"].split("/virtual-assets/", 1)[1].split("/", 1)[0] for w in writes(sandbox.requests())}


def test_a_selector_plans_and_applies_to_tomorrows_asset_of_its_portfolio(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(
        tmp_path,
        sandbox.url,
        {
            "daily.yaml": manifest("leipzig-daily", TOMORROW, CHARGE_TOMORROW),
            "munich.yaml": manifest("munich-1", MUNICH, CHARGE_MUNICH),
        },
    )
    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 0, planned.out + planned.err
    plan = planned.json()
    jsonschema.validate(plan, load_schema("plan.schema.json"))
    assert {c["asset"]: c["virtual_asset"] for c in plan["changes"]} == {
        "leipzig-daily": LEIPZIG_TOMORROW,
        "munich-1": MUNICH,
    }
    assert plan["resolved_assets"] == [
        {
            "asset": "leipzig-daily",
            "portfolio": LEIPZIG_PORTFOLIO,
            "day": "tomorrow",
            "timezone": "Europe/Berlin",
            "resolved_day": "2026-11-24",
            "virtual_asset": LEIPZIG_TOMORROW,
        }
    ]
    # one read of the list, over the one day asked for: 2026-11-24 00:00 to 24:00 CET
    assert listing_reads(sandbox) == [{"start": ["2026-11-23T23:00:00Z"], "end": ["2026-11-24T23:00:00Z"]}]

    text = run(capsys, "plan", str(project)).out
    assert (
        f"Resolved: leipzig-daily is virtual asset {LEIPZIG_TOMORROW} (portfolio {LEIPZIG_PORTFOLIO}, "
        "day tomorrow = 2026-11-24)." in text
    )
    applied = run(capsys, "apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.out + applied.err
    assert written_assets(sandbox) == {LEIPZIG_TOMORROW, MUNICH}  # today's asset is not touched
    again = run(capsys, "plan", str(project), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes" in again.out


def test_one_listing_read_serves_every_selector_of_a_run(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = f"{{portfolio: {LEIPZIG_PORTFOLIO}, day: today}}"
    project = write_project(
        tmp_path,
        sandbox.url,
        {
            "a.yaml": manifest("tomorrow", TOMORROW, CHARGE_TOMORROW),
            "b.yaml": manifest(
                "today",
                today,
                'wholesale: {mode: partial, schedule: [{at: "2026-11-23T20:00", power: 500}]}\n',
            ),
        },
    )
    plan = run(capsys, "plan", str(project), "--format", "json").json()
    assert {c["asset"]: c["virtual_asset"] for c in plan["changes"]} == {
        "tomorrow": LEIPZIG_TOMORROW,
        "today": LEIPZIG_TODAY,
    }
    # both days in one read: 2026-11-23 00:00 CET to 2026-11-25 00:00 CET
    assert listing_reads(sandbox) == [{"start": ["2026-11-22T23:00:00Z"], "end": ["2026-11-24T23:00:00Z"]}]


def test_a_day_whose_assets_are_not_created_yet_says_when_they_will_be(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = f"{{portfolio: {LEIPZIG_PORTFOLIO}, day: D+2}}"
    project = write_project(
        tmp_path,
        sandbox.url,
        {
            "daily.yaml": manifest("leipzig-d2", later, CHARGE_TOMORROW),
            "m.yaml": manifest("munich-1", MUNICH, CHARGE_MUNICH),
        },
    )
    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 1
    plan = planned.json()
    [error] = [d for d in plan["diagnostics"] if d["severity"] == "error"]
    assert (error["code"], error["address"], error["line"], error["path"]) == (
        "selector-no-match",
        "leipzig-d2",
        6,
        "spec.virtualAsset",
    )
    assert error["file"].endswith("daily.yaml")
    assert "day D+2 (2026-11-25)" in error["message"]
    # D-2 at about 17:00: 2026-11-23 17:00 CET, still ahead at 06:55
    assert "the assets for 2026-11-25 are created at about 2026-11-23 17:00 CET" in error["message"]
    assert [c["asset"] for c in plan["changes"]] == ["munich-1"]  # the rest is planned
    assert [n["address"] for n in plan["not_planned"]] == ["leipzig-d2"]

    sandbox.set_clock("2026-11-23T17:30:00+01:00")  # past their time, and still no asset
    error = next(
        d
        for d in run(capsys, "plan", str(project), "--format", "json").json()["diagnostics"]
        if d["severity"] == "error"
    )
    assert "created at" not in error["message"]
    assert (
        "the portfolios with an asset that day are 5f3a9c2e-0000-4000-8000-00000000a001" in error["message"]
    )

    applied = run(capsys, "apply", str(project), "--auto-approve")
    assert applied.exit_code == 1 and "leipzig-d2" in applied.out
    assert written_assets(sandbox) == {MUNICH}


def day_asset(va: str, day: date, portfolio: str = "pf-daily", **extra: Any) -> dict[str, Any]:
    """A one-day asset of ``portfolio``: local midnight to midnight (23, 24 or 25 hours)."""
    start, end = day_bounds(day)
    return asset_spec(
        id=va,
        portfolioID=portfolio,
        start=isoformat_z(start),
        end=isoformat_z(end),
        energyCapacity=4000,
        ratedChargePower=2000,
        ratedDischargePower=2000,
        initialStateOfEnergy=2000,
        **extra,
    )


def demo_fixture(*assets: dict[str, Any], now: str) -> dict[str, Any]:
    return {
        "now": now,
        "organisations": [
            {
                "id": ORG,
                "users": [{"username": "demo", "password": "demo-password"}],
                "virtualAssets": list(assets),
            }
        ],
    }


def test_two_assets_covering_the_day_hold_back_that_manifest_and_list_both(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one_day = day_asset("7c1e0d4e-0000-4000-8000-0000000000d1", date(2026, 11, 24))
    three_days = day_asset("7c1e0d4e-0000-4000-8000-0000000000d3", date(2026, 11, 23))
    three_days["end"] = isoformat_z(day_bounds(date(2026, 11, 25))[1])
    alone = day_asset("7c1e0d4e-0000-4000-8000-0000000000e1", date(2026, 11, 24), portfolio="pf-other")
    sandbox = make_sandbox(demo_fixture(one_day, three_days, alone, now="2026-11-23T06:55:00+01:00"))
    project = write_project(
        tmp_path,
        sandbox.url,
        {
            "a.yaml": manifest("daily", "{portfolio: pf-daily, day: tomorrow}", CHARGE_TOMORROW),
            "b.yaml": manifest("other", "{portfolio: pf-other, day: 2026-11-24}", CHARGE_TOMORROW),
        },
    )
    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 1
    plan = planned.json()
    [error] = [d for d in plan["diagnostics"] if d["severity"] == "error"]
    assert (error["code"], error["address"]) == ("selector-ambiguous", "daily")
    assert (
        "2 virtual assets match portfolio pf-daily, day tomorrow (2026-11-24) in Europe/Berlin"
        in error["message"]
    )
    assert (
        "7c1e0d4e-0000-4000-8000-0000000000d1 (2026-11-24 00:00 CET – 2026-11-25 00:00 CET)"
        in error["message"]
    )
    assert (
        "7c1e0d4e-0000-4000-8000-0000000000d3 (2026-11-23 00:00 CET – 2026-11-26 00:00 CET)"
        in error["message"]
    )
    assert error["found"] == "7c1e0d4e-0000-4000-8000-0000000000d1, 7c1e0d4e-0000-4000-8000-0000000000d3"

    applied = run(capsys, "apply", str(project), "--auto-approve")
    assert applied.exit_code == 1
    assert "Held back, not written: 1 object with errors in the plan:" in applied.out
    assert written_assets(sandbox) == {"7c1e0d4e-0000-4000-8000-0000000000e1"}  # nothing for "daily"


def test_a_uuid_and_a_selector_naming_one_asset_stop_the_run(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(
        tmp_path,
        sandbox.url,
        {
            "a.yaml": manifest("by-id", LEIPZIG_TOMORROW, CHARGE_TOMORROW),
            "b.yaml": manifest("by-selector", TOMORROW, CHARGE_TOMORROW),
        },
    )
    for command in (["plan", str(project)], ["apply", str(project), "--auto-approve"]):
        result = run(capsys, *command)
        assert result.exit_code == 1
        assert "error[duplicate-virtual-asset]" in result.err
        assert (
            f"virtual asset {LEIPZIG_TOMORROW} is named by by-selector (portfolio {LEIPZIG_PORTFOLIO}, "
            "day tomorrow) and already by by-id" in result.err
        )
        assert "only the list of virtual assets was read; nothing was written" in result.err
    assert writes(sandbox.requests()) == []


def test_two_selectors_naming_one_asset_stop_the_run(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dated = f"{{portfolio: {LEIPZIG_PORTFOLIO}, day: 2026-11-24}}"
    project = write_project(
        tmp_path,
        sandbox.url,
        {"a.yaml": manifest("a", TOMORROW, CHARGE_TOMORROW), "b.yaml": manifest("b", dated, CHARGE_TOMORROW)},
    )
    result = run(capsys, "drift", str(project))
    assert result.exit_code == 1 and "error[duplicate-virtual-asset]" in result.err
    assert "b.yaml:6:" in result.err  # the later one, at its field


def spring_and_autumn_fixture(now: str) -> dict[str, Any]:
    """One-day assets of pf-daily on the days around both DST changes; the DST days' assets have
    -100 kW scheduled in every quarter-hour (92 and 100 of them)."""
    assets = []
    for first in (date(2026, 3, 28), date(2026, 10, 24)):
        for offset in range(3):
            day = first + timedelta(days=offset)
            schedule = (
                [{"time": isoformat_z(t), "power": -100} for t in quarter_hours(day)] if offset == 1 else []
            )
            assets.append(day_asset(f"7c1e0d4e-0000-4000-8000-0000{day:%Y%m%d}", day, schedule=schedule))
    return demo_fixture(*assets, now=now)


@pytest.mark.parametrize(
    ("now", "day", "asset", "writes_expected"),
    [
        # 00:30 CET on 2026-03-29 is 23:30Z on the 28th: today is the 23-hour 29th (92 quarter-hours),
        # and exact sets the 92 - 3 still editable ones (from 00:45) to 0 kW
        ("2026-03-29T00:30:00+01:00", "today", "20260329", 92 - 3),
        # 23:30 CEST on the 29th (21:30Z): tomorrow is the 30th, whose asset starts at 22:00Z
        ("2026-03-29T23:30:00+02:00", "tomorrow", "20260330", 0),
        # 00:30 CEST on 2026-10-25 is 22:30Z on the 24th: today is the 25-hour 25th (100 quarter-hours)
        ("2026-10-25T00:30:00+02:00", "today", "20261025", 100 - 3),
        # 23:30 CET on the 25th (22:30Z), 24.5 hours after its midnight: still the 25th, one period left
        ("2026-10-25T23:30:00+01:00", "today", "20261025", 1),
    ],
)
def test_relative_days_resolve_in_local_calendar_days_on_dst_days(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    now: str,
    day: str,
    asset: str,
    writes_expected: int,
) -> None:
    sandbox = make_sandbox(spring_and_autumn_fixture(now))
    resolved_day = f"{asset[:4]}-{asset[4:6]}-{asset[6:]}"
    body = f"wholesale: {{mode: exact, days: [{resolved_day}], schedule: []}}\n"
    project = write_project(
        tmp_path, sandbox.url, {"d.yaml": manifest("daily", f"{{portfolio: pf-daily, day: {day}}}", body)}
    )
    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 0, planned.out + planned.err
    plan = planned.json()
    [resolution] = plan["resolved_assets"]
    assert (resolution["resolved_day"], resolution["virtual_asset"]) == (
        resolved_day,
        f"7c1e0d4e-0000-4000-8000-0000{asset}",
    )
    after = {k: v for c in plan["changes"] for k, v in c["after"].items()}
    assert len(after) == writes_expected and set(after.values()) <= {0}
    assert plan["exact_scope"] == {"daily": [resolved_day]}


def saved_daily_plan(sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    sandbox.set_clock("2026-11-23T23:50:00+01:00")  # tomorrow is the 24th for ten more minutes
    project = write_project(
        tmp_path / "project",
        sandbox.url,
        {"daily.yaml": manifest("leipzig-daily", TOMORROW, CHARGE_TOMORROW)},
    )
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    return plan_file


def test_a_saved_plan_applies_while_its_selector_names_the_same_asset(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_daily_plan(sandbox, tmp_path, capsys)
    sandbox.advance(5 * 60)  # 23:55: still the 23rd
    applied = run(capsys, "apply", str(plan_file), "--target", "local")
    assert applied.exit_code == 0, applied.out + applied.err
    assert written_assets(sandbox) == {LEIPZIG_TOMORROW}


def test_a_saved_plan_is_refused_once_its_selector_names_another_day(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_daily_plan(sandbox, tmp_path, capsys)
    sandbox.advance(20 * 60)  # 00:10 on the 24th: tomorrow is the 25th, whose asset is not created yet
    err = refused(capsys, sandbox, plan_file, "the plan's selectors would now resolve differently")
    assert (
        f"leipzig-daily: portfolio {LEIPZIG_PORTFOLIO}, day tomorrow now means 2026-11-25 and no virtual "
        f"asset; the plan resolved it to 2026-11-24 and virtual asset {LEIPZIG_TOMORROW}" in err
    )


def test_a_saved_plan_whose_resolution_was_edited_is_refused(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_daily_plan(sandbox, tmp_path, capsys)

    def elsewhere(document: dict[str, Any]) -> None:
        document["resolved_assets"][0]["virtual_asset"] = LEIPZIG_TODAY

    edit(plan_file, elsewhere, resign=True)
    refused(
        capsys,
        sandbox,
        plan_file,
        f"writes virtual asset {LEIPZIG_TOMORROW}, but the plan resolved leipzig-daily to {LEIPZIG_TODAY}",
    )

    plan_file = saved_daily_plan(sandbox, tmp_path / "again", capsys)
    edit(plan_file, lambda d: d["resolved_assets"][0].update(timezone="../../etc/passwd"), resign=True)
    refused(capsys, sandbox, plan_file, "invalid plan file at resolved_assets/0/timezone")

    plan_file = saved_daily_plan(sandbox, tmp_path / "third", capsys)
    edit(plan_file, lambda d: d["resolved_assets"][0].update(timezone="Mars/Olympus"), resign=True)
    refused(capsys, sandbox, plan_file, "resolved_assets[0]: timezone 'Mars/Olympus' is not a time zone")


def test_drift_and_status_show_the_resolved_asset_beside_the_name(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(
        tmp_path, sandbox.url, {"daily.yaml": manifest("leipzig-daily", TOMORROW, CHARGE_TOMORROW)}
    )
    said = f"leipzig-daily is virtual asset {LEIPZIG_TOMORROW} (portfolio {LEIPZIG_PORTFOLIO}, day tomorrow = 2026-11-24)"
    drift = run(capsys, "drift", str(project))
    assert drift.exit_code == 0 and f"Resolved: {said}." in drift.out
    drift_json = json.loads(run(capsys, "drift", str(project), "--format", "json").out)
    assert [r["virtual_asset"] for r in drift_json["resolved_assets"]] == [LEIPZIG_TOMORROW]
    assert {d["address"] for d in drift_json["drift"]} == {"leipzig-daily/wholesale"}  # not applied yet

    status = run(capsys, "status", str(project))
    assert status.exit_code == 0
    assert (
        f"leipzig-daily ({LEIPZIG_TOMORROW}; portfolio {LEIPZIG_PORTFOLIO}, day tomorrow = 2026-11-24)"
        in status.out
    )
    status_json = json.loads(run(capsys, "status", str(project), "--format", "json").out)
    jsonschema.validate(status_json, load_schema("status.schema.json"))
    [asset] = status_json["assets"]
    assert (asset["virtual_asset"], asset["selected_by"]) == (
        LEIPZIG_TOMORROW,
        f"portfolio {LEIPZIG_PORTFOLIO}, day tomorrow = 2026-11-24",
    )


def test_status_fails_naming_a_selector_that_names_no_asset(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = f"{{portfolio: {LEIPZIG_PORTFOLIO}, day: D+3}}"
    project = write_project(tmp_path, sandbox.url, {"daily.yaml": manifest("later", later, CHARGE_TOMORROW)})
    result = run(capsys, "status", str(project))
    assert result.exit_code == 1
    assert "error[selector-no-match]" in result.err and "later: no virtual asset matches" in result.err


def test_import_by_portfolio_and_day_writes_the_selector_form(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_project(
        tmp_path / "source", sandbox.url, {"daily.yaml": manifest("leipzig-daily", TOMORROW, CHARGE_TOMORROW)}
    )
    assert run(capsys, "apply", str(source), "--auto-approve").exit_code == 0

    imported = write_project(tmp_path / "imported", sandbox.url, {})
    out = imported / "daily.yaml"
    result = run(capsys, "import", "--portfolio", LEIPZIG_PORTFOLIO, "--day", "tomorrow", "--out", str(out))
    assert result.exit_code == 0, result.err
    assert (
        f"Wrote {out}: virtual asset {LEIPZIG_TOMORROW} (portfolio {LEIPZIG_PORTFOLIO}, day tomorrow)"
        in result.err
    )
    text = out.read_text()
    assert f'  virtualAsset: {{portfolio: "{LEIPZIG_PORTFOLIO}", day: tomorrow}}\n' in text
    assert "    mode: exact\n    days: [2026-11-24]\n" in text
    assert "    unit: MW\n" in text and '      - {at: "2026-11-24T10:00", power: -1}\n' in text
    assert f"  name: {LEIPZIG_PORTFOLIO}-tomorrow\n" in text
    planned = run(capsys, "plan", str(imported), "--detailed-exitcode")
    assert planned.exit_code == 0 and "No changes" in planned.out

    missing = run(
        capsys, "import", "--portfolio", LEIPZIG_PORTFOLIO, "--day", "D+2", "--out", str(imported / "x.yaml")
    )
    assert missing.exit_code == 1 and "created at about 2026-11-23 17:00 CET" in missing.err
    assert not (imported / "x.yaml").exists()
    both = run(
        capsys, "import", "--portfolio", LEIPZIG_PORTFOLIO, "--day", "tomorrow", "--virtual-asset", MUNICH
    )
    assert (
        both.exit_code == 2 and "--virtual-asset ID, or by --portfolio PORTFOLIO with --day DAY" in both.err
    )
    bad_day = run(capsys, "import", "--portfolio", LEIPZIG_PORTFOLIO, "--day", "next week")
    assert bad_day.exit_code == 2 and "--day 'next week': expected a date like 2026-11-24" in bad_day.err


def test_a_pinned_day_the_selected_asset_does_not_live_on_is_a_warning_not_silence(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # what `import --portfolio P --day tomorrow` writes: a relative selector, an absolute `days:`
    assets = [day_asset(f"7c1e0d4e-0000-4000-8000-0000000011{d}", date(2026, 11, d)) for d in (24, 25)]
    sandbox = make_sandbox(demo_fixture(*assets, now="2026-11-23T06:55:00+01:00"))
    body = "wholesale: {unit: kW, mode: exact, days: [2026-11-24], schedule: []}\n"
    project = write_project(
        tmp_path, sandbox.url, {"d.yaml": manifest("daily", "{portfolio: pf-daily, day: tomorrow}", body)}
    )
    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 0 and planned.json()["diagnostics"] == []

    sandbox.set_clock("2026-11-24T06:55:00+01:00")  # tomorrow is now the 25th: another asset
    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 0  # nothing would be written wrongly: a warning, not an error
    [warning] = planned.json()["diagnostics"]
    assert (warning["code"], warning["severity"], warning["path"], warning["line"]) == (
        "days-outside-lifetime",
        "warning",
        "spec.wholesale.days",
        7,
    )
    assert warning["found"] == "2026-11-24"
    assert warning["expected"] == "days within [2026-11-25 00:00 CET, 2026-11-26 00:00 CET)"
    assert "mode: exact manages nothing there" in warning["message"]
