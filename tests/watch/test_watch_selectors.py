"""watch resolves asset selectors again in every cycle, with the target's clock: ``tomorrow`` is
another asset after midnight, and a selector that names none is told as ``read_failed`` for that
asset while the others are still watched."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from reconciler.project.workflow import open_session
from reconciler.sandbox.server import RunningSandbox
from reconciler.watch.loop import Watcher
from reconciler.watch.output import Outputs
from tests.support.harness import (
    LEIPZIG_PORTFOLIO,
    LEIPZIG_TOMORROW,
    MUNICH,
    ORG,
    manifest,
    run,
    write_project,
)
from tests.watch.test_watch_cycles import events_of

DAILY = manifest(
    "leipzig-daily",
    f"{{portfolio: {LEIPZIG_PORTFOLIO}, day: tomorrow}}",
    'wholesale: {mode: partial, schedule: [{at: "2026-11-24T10:00", power: -1000}]}\n',
)
MUNICH_BID = manifest(
    "munich-1",
    MUNICH,
    "fcr: {bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 1000, capacityPrice: 90}]}\n",
)


pytestmark = pytest.mark.usefixtures("demo_credentials")


def test_once_watches_the_asset_a_selector_names(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"d.yaml": DAILY})
    result = run(capsys, "watch", str(project), "--once")
    assert result.exit_code == 2, result.err  # not applied yet: out of band
    [event] = events_of(result.out)
    assert (event["kind"], event["address"]) == ("out_of_band", "leipzig-daily/wholesale")
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    assert run(capsys, "watch", str(project), "--once").exit_code == 0


def test_each_cycle_resolves_again_and_a_missing_asset_is_told_for_that_asset(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"d.yaml": DAILY, "m.yaml": MUNICH_BID})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    stdout = io.StringIO()
    with open_session(
        [project], target=None, api_url=None, organisation=None, config=None, parallelism=4
    ) as s:
        watcher = Watcher(
            [project], s.manifests, s.connection, s.target_info, Outputs(stdout, io.StringIO(), human=False),
            interval=60, emulated=True,
        )  # fmt: skip
        assert watcher.cycle().ok and events_of(stdout.getvalue()) == []
        lists = [r for r in sandbox.requests() if r["path"] == f"/organisations/{ORG}/virtual-assets"]
        assert len(lists) == 2  # apply's plan, then this cycle: one read each

        sandbox.set_clock("2026-11-24T00:10:00+01:00")  # tomorrow is the 25th: no asset yet
        cycle = watcher.cycle()
        told = events_of(stdout.getvalue())
        failed = [e for e in told if e["kind"] == "read_failed"]
        assert [e["asset"] for e in failed] == ["leipzig-daily"]
        assert "no virtual asset matches" in failed[0]["message"]
        assert "created at about 2026-11-23 17:00 CET" not in failed[0]["message"]  # that time is past
        assert cycle.ok  # munich-1 is still read and watched
        assert LEIPZIG_TOMORROW not in {e.get("virtual_asset") for e in told}
