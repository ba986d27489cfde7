"""Apply under injected faults: 5xx answers, connection resets, latency spikes, refusals.

The sandbox answers 30 % of requests with 500/503 (unprocessed) and cuts 5 % of connections
after processing the request (the client never sees the answer). Each `apply` run either finishes
or stops with exit 1 and says what it did; within three runs it converges (issue 17: reads retry
within the plan's time, a read that still fails blocks only its asset, the login is retried), no
period or bid is ever written twice as a separate write, and no run claims a write that did not
land.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import Status, apply_changes
from reconciler.plan.model import Change, ScheduleChange
from reconciler.plan.recorded import changes_from_json
from reconciler.plan.requests import requests_for
from reconciler.platform import DEFAULT_ANCILLARY_API, Credentials, PlatformClient, RetryPolicy
from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import (
    PASSWORD,
    PORTFOLIO_WRITES,
    USERNAME,
    applied_count,
    delivered,
    fleet_fixture,
    fleet_project,
    is_write,
    portfolio_project,
    processed_writes,
    units_written_twice,
    values_per_unit,
    write_units,
)
from tests.support.harness import ORG, run

MAX_RUNS = 3  # the target of issue 17 at 30 % 5xx and 5 % resets
FAULTS: dict[str, Any] = {"errorRate": 0.3, "statuses": [500, 503], "resetRate": 0.05}


def planned_changes(capsys: pytest.CaptureFixture[str], project: Path) -> list[Change]:
    result = run(capsys, "plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.err
    document = json.loads(result.out, parse_float=Decimal)
    return list(changes_from_json(document["changes"], document["fingerprints"]))


@pytest.mark.parametrize("seed", [8, 15])  # two fault sequences (which request fails differs by seed)
def test_apply_converges_under_5xx_and_resets_without_writing_anything_twice(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
    seed: int,
) -> None:
    project = portfolio_project(tmp_path / "project", sandbox.url)
    converge_under_faults(sandbox, project, capsys, seed, PORTFOLIO_WRITES, replan_under_faults=True)


def test_a_fleet_of_50_converges_within_three_runs_writing_each_object_once(
    make_sandbox: Callable[[dict[str, Any]], RunningSandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
) -> None:
    sandbox = make_sandbox(fleet_fixture(50))
    project = fleet_project(tmp_path / "project", sandbox.url, 50)
    converge_under_faults(sandbox, project, capsys, 11, 100)


def converge_under_faults(
    sandbox: RunningSandbox,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    seed: int,
    writes: int,
    *,
    replan_under_faults: bool = False,
) -> None:
    changes = planned_changes(capsys, project)
    assert len(changes) == writes
    wanted = {(path, what): value for c in changes for path, what, value in _units(c)}
    sandbox.set_faults(**FAULTS, seed=seed)

    outcomes = []
    for _ in range(MAX_RUNS):
        result = run(capsys, "apply", str(project), "--auto-approve")
        outcomes.append(result)
        assert result.exit_code in (0, 1), result.out + result.err
        assert "Traceback" not in result.err and "internal error" not in result.err
        if result.exit_code == 1:
            assert "error: " in result.err or "Apply: " in result.out, result.out + result.err
        else:
            break
    assert outcomes[-1].exit_code == 0, f"no convergence in {MAX_RUNS} runs:\n" + outcomes[-1].out

    log = sandbox.requests()
    assert any(e.get("fault") == "error" for e in log) and any(e.get("fault") == "reset" for e in log)
    assert units_written_twice(log) == {}
    # every period and bid got exactly the planned value, and only that one, whatever the retries
    assert values_per_unit(log) == {unit: {value} for unit, value in wanted.items()}
    # no false success: what the runs say they applied, plus what was processed while an answer was
    # lost, is every planned write, and nothing was claimed that was not processed
    reported = sum(applied_count(r.out) for r in outcomes if "Apply: " in r.out)
    assert reported <= writes <= reported + sum(not delivered(e) for e in processed_writes(log))

    if replan_under_faults:  # the next plan, still under faults, sees nothing left to do
        again = run(capsys, "plan", str(project), "--detailed-exitcode")
        assert again.exit_code == 0, again.out + again.err
    sandbox.set_faults()
    final = run(capsys, "plan", str(project), "--detailed-exitcode")
    assert final.exit_code == 0 and "No changes" in final.out, final.out + final.err


def _units(change: Change) -> list[tuple[str, str, str]]:
    [(request, _)] = requests_for([change], ORG, DEFAULT_ANCILLARY_API)
    return write_units({"path": request.path, "body": request.body})


def _client(sandbox: RunningSandbox, **options: Any) -> PlatformClient:
    return PlatformClient(sandbox.url, ORG, Credentials(username=USERNAME, password=PASSWORD), **options)


def test_a_latency_spike_beyond_the_client_timeout_is_retried(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changes = planned_changes(capsys, portfolio_project(tmp_path / "project", sandbox.url))
    schedule = next(c for c in changes if isinstance(c, ScheduleChange))
    fast = RetryPolicy(base_delay=0.05, max_delay=0.1)
    with _client(sandbox, timeout=0.3, retry=fast) as client:
        client.list_virtual_assets()  # logged in before the spike
        sandbox.set_faults(latencyMs=800)  # every answer now comes after the client gave up
        calm = threading.Timer(0.5, sandbox.set_faults)  # the spike passes after half a second
        calm.start()
        report = apply_changes([schedule], client, sandbox.now)
        calm.join()
    assert [o.status for o in report.outcomes] == [Status.APPLIED]
    assert report.mismatches == ()
    time.sleep(0.9)  # let the server reach the attempts the client abandoned
    attempts = [e for e in sandbox.requests() if (e["method"], e["path"]) == ("PUT", _units(schedule)[0][0])]
    assert len(attempts) >= 2  # timed out (800 ms > 300 ms), then sent again after the spike
    assert [e.get("status") for e in attempts].count(200) == 1  # the abandoned ones never wrote


def test_a_4xx_answer_is_never_retried(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changes = planned_changes(capsys, portfolio_project(tmp_path / "project", sandbox.url))
    munich = [c for c in changes if c.asset == "munich-1"]
    assert len(munich) > 1
    with _client(sandbox, max_attempts=5, retry=RetryPolicy(base_delay=0.01, max_delay=0.02)) as client:
        client.list_virtual_assets()
        for status in (400, 403, 404, 409, 422):
            before = len(sandbox.requests())
            sandbox.set_faults(errorRate=1, statuses=[status])
            report = apply_changes(munich, client, sandbox.now)
            sandbox.set_faults()
            attempted = [o for o in report.outcomes if o.status is not Status.NOT_ATTEMPTED]
            assert attempted and all(
                o.status is Status.FAILED and f"refused it: {status} " in o.message for o in attempted
            )
            # only writes that may need a refused one's capacity wait; each attempted write went once
            held = [o for o in report.outcomes if o.status is Status.NOT_ATTEMPTED]
            assert all("would have freed" in o.message for o in held)
            assert all(o.attempts == 1 for o in attempted)  # one attempt each, no retry
            sent = [e for e in sandbox.requests()[before:] if is_write(e)]
            assert 1 <= len(sent) <= len(attempted)  # a grouped bid POST carries several (D18)
