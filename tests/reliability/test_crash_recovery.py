"""`apply` killed with SIGKILL at random points: whatever landed is whole, a re-run converges, and
the re-run's report says exactly what it did.

The apply runs in its own process (``python -m reconciler``) against a sandbox served by this
one; every request takes 25 ms, so a kill after the k-th write request plus a random delay falls inside
the run: during the reads, between writes, during a write, or during the re-read.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import (
    PORTFOLIO_REQUESTS,
    PORTFOLIO_WRITES,
    applied_count,
    changes_written,
    planned_count,
    portfolio_project,
    processed_writes,
    spawn,
    units_written_twice,
    wait_for,
)
from tests.support.harness import run

LATENCY_MS = 25


def kill_apply_midway(sandbox: RunningSandbox, seed: int, *args: str) -> int:
    """Start ``reconciler apply ARGS``, SIGKILL it after a seeded number of writes plus a seeded
    delay; return how many writes the sandbox had processed when everything settled."""
    rng = random.Random(seed)
    after_writes, delay = rng.randint(0, PORTFOLIO_REQUESTS - 1), rng.uniform(0, 0.06)
    sandbox.set_faults(latencyMs=LATENCY_MS)
    process = spawn("apply", *args)
    try:
        started = wait_for(
            lambda: (log := sandbox.requests()) != [] and len(processed_writes(log)) >= after_writes
        )
        assert started, "the apply process never reached its kill point"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL  # it was killed mid-run, not finished
    time.sleep(3 * LATENCY_MS / 1000)  # requests already sent finish at the server
    sandbox.set_faults()
    return changes_written(sandbox.requests())


@pytest.mark.parametrize("seed", [2, 9, 10])  # kill after 0, 7 and 9 of 11 write requests (plus 2-37 ms)
def test_a_killed_apply_is_completed_by_a_rerun_with_an_accurate_report(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    project = portfolio_project(tmp_path / "project", sandbox.url)
    landed = kill_apply_midway(sandbox, seed, str(project), "--auto-approve")

    rerun = run(capsys, "apply", str(project), "--auto-approve")
    assert rerun.exit_code == 0, rerun.out + rerun.err
    left = PORTFOLIO_WRITES - landed
    if left == 0:  # killed while re-reading what it wrote
        assert "Nothing to apply." in rerun.out
    else:
        assert planned_count(rerun.out) == left  # what the killed run left
        assert applied_count(rerun.out) == left
        assert "0 failed, 0 missed, 0 not attempted" in rerun.out and "Re-read matches" in rerun.out
    log = sandbox.requests()
    assert changes_written(log) == PORTFOLIO_WRITES  # the re-run wrote each remaining change once
    assert units_written_twice(log) == {}

    final = run(capsys, "plan", str(project), "--detailed-exitcode")
    assert final.exit_code == 0 and "No changes" in final.out, final.out


@pytest.mark.parametrize("seed", [3])  # kill after 3 write requests (plus 36 ms)
def test_a_saved_plan_whose_apply_was_killed_is_refused_as_stale_once_anything_landed(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    project = portfolio_project(tmp_path / "project", sandbox.url)
    plan_file = project / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    landed = kill_apply_midway(sandbox, seed, str(plan_file), "--target", "local")
    assert landed >= 1

    again = run(capsys, "apply", str(plan_file), "--target", "local")
    assert again.exit_code == 1 and "stale" in again.err, again.out + again.err
    assert changes_written(sandbox.requests()) == landed  # refused before writing anything

    fresh = run(capsys, "apply", str(project), "--auto-approve")
    assert fresh.exit_code == 0, fresh.out + fresh.err
    assert applied_count(fresh.out) == PORTFOLIO_WRITES - landed
    assert run(capsys, "plan", str(project), "--detailed-exitcode").exit_code == 0
