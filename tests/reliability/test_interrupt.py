"""Ctrl-C during `apply`: the writes in flight finish, no new write starts, the exit code is 130,
and a re-run writes exactly what is left."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import (
    PORTFOLIO_WRITES,
    applied_count,
    changes_written,
    portfolio_project,
    processed_writes,
    spawn,
    units_written_twice,
    wait_for,
)
from tests.support.harness import run

LATENCY_MS = 200


def test_ctrl_c_stops_apply_between_writes_and_a_rerun_completes_it(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "project", sandbox.url)
    sandbox.set_faults(latencyMs=LATENCY_MS)
    process = spawn("apply", str(project), "--auto-approve")
    try:
        assert wait_for(lambda: len(processed_writes(sandbox.requests())) >= 1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    time.sleep(3 * LATENCY_MS / 1000)  # nothing more arrives once the process is gone
    sandbox.set_faults()
    landed = changes_written(sandbox.requests())

    assert process.returncode == 130, out + err
    assert "no new write started" in err and "Traceback" not in err
    assert 1 <= landed < PORTFOLIO_WRITES  # the writes in flight (one per asset at most) and no more
    reported = [line for line in out.splitlines() if line.split()[1:2] == ["applied"]]
    assert len(reported) == landed  # every write that landed was reported

    rerun = run(capsys, "apply", str(project), "--auto-approve")
    assert rerun.exit_code == 0, rerun.out + rerun.err
    assert applied_count(rerun.out) == PORTFOLIO_WRITES - landed
    assert units_written_twice(sandbox.requests()) == {}
