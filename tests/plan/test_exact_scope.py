"""``mode: exact`` manages whole days: those its schedule sets a period on and those ``days:``
lists. Over HTTP against the example sandbox (2026-11-23 06:55 CET), where munich-1 has live
positions today: -2 MW 10:00-12:00 and +2 MW 17:00-19:00 (8 + 8 quarter-hours, all editable)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from reconciler.market import MARKET_TZ, delivery_day, parse_instant
from reconciler.platform import Credentials, PlatformClient
from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import portfolio_project
from tests.support.harness import MUNICH, ORG, manifest, run, write_project

TOMORROW_ONLY = 'wholesale: {unit: MW, mode: exact, schedule: [{at: "2026-11-24T10:00", power: -1}]}\n'


pytestmark = pytest.mark.usefixtures("demo_credentials")


def todays_live_schedule(sandbox: RunningSandbox) -> dict[datetime, Decimal]:
    with PlatformClient(sandbox.url, ORG, Credentials(username="demo", password="demo-password")) as client:
        va = client.get_virtual_asset(MUNICH)
        assert va.wholesale_block_id is not None
        block = client.get_block(
            MUNICH,
            va.wholesale_block_id,
            datetime(2026, 11, 22, 23, tzinfo=UTC),
            datetime(2026, 11, 23, 22, 45, tzinfo=UTC),
        )
    return {t: p for t, p in block.schedule.items() if p != 0}


def test_exact_listing_only_tomorrow_leaves_todays_positions_untouched(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today_before = todays_live_schedule(sandbox)
    assert len(today_before) == 16
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, TOMORROW_ONLY)})
    plan = run(capsys, "plan", str(project), "--format", "json").json()
    [change] = plan["changes"]
    assert change["after"] == {"2026-11-24T09:00:00Z": -1000}  # the one listed period; today's stay
    assert plan["exact_scope"] == {"munich-1": ["2026-11-24"]}
    assert {d["code"] for d in plan["diagnostics"]} == {"end-of-life-imbalance"}  # no word of today
    text = run(capsys, "plan", str(project)).out
    assert "  ~ munich-1/wholesale  exact on 2026-11-24: 1 period (deadline" in text

    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    assert todays_live_schedule(sandbox) == today_before
    assert "No changes" in run(capsys, "plan", str(project)).out


def test_a_day_listed_in_days_is_managed_whole(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = TOMORROW_ONLY.replace("mode: exact,", "mode: exact, days: [2026-11-23],")
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    plan = run(capsys, "plan", str(project), "--format", "json").json()
    [change] = plan["changes"]
    zeroed = {t for t, kw in change["after"].items() if kw == 0}
    # today's 16 live periods go to 0, tomorrow's listed one is written: 16 + 1
    assert len(change["after"]) == 17 and len(zeroed) == 16
    assert {delivery_day(parse_instant(t), MARKET_TZ).isoformat() for t in zeroed} == {"2026-11-23"}
    assert plan["exact_scope"] == {"munich-1": ["2026-11-23", "2026-11-24"]}
    assert "exact on 2026-11-23–2026-11-24: 17 periods" in run(capsys, "plan", str(project)).out

    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    assert todays_live_schedule(sandbox) == {}


def test_partial_is_unchanged_and_states_no_exact_scope(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = TOMORROW_ONLY.replace("mode: exact", "mode: partial")
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    plan = run(capsys, "plan", str(project), "--format", "json").json()
    assert plan["exact_scope"] == {}
    assert [list(c["after"]) for c in plan["changes"]] == [["2026-11-24T09:00:00Z"]]


def test_the_example_portfolio_plans_without_cancelling_today(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "p", sandbox.url)
    plan = run(capsys, "plan", str(project), "--format", "json").json()
    assert not [d for d in plan["diagnostics"] if d["code"] == "exact-cancels-unlisted-day"]
    munich = next(c for c in plan["changes"] if c["address"] == "munich-1/wholesale")
    assert {delivery_day(parse_instant(t)).isoformat() for t in munich["after"]} == {"2026-11-24"}
    assert plan["exact_scope"] == {
        "hamburg-3": ["2026-11-24"],
        "leipzig-daily": ["2026-11-24"],
        "munich-1": ["2026-11-24"],
    }
    # the only warning left is berlin-2's end of life; none about munich-1
    assert [(d["code"], d["address"]) for d in plan["diagnostics"]] == [
        ("end-of-life-imbalance", "berlin-2/wholesale")
    ]
