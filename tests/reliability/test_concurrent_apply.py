"""Two `apply` processes on the same target at once.

Apply holds the target's lock from before it reads live state until it ends, so two applies on one
target serialise: the second fails at once naming the first (``--lock-timeout 0``, the default) or
waits for it (``--lock-timeout``) and then plans against what the first wrote, so the final state
is the later run's manifests. A saved plan is applied once, even when two applies of it start
together. (An out-of-band writer that does not take the lock can still interleave: the platform
has no conditional writes.)
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path
from typing import IO

import pytest

from reconciler.sandbox.server import RunningSandbox
from tests.processes import reconciler_argv
from tests.reliability.reliability_helpers import (
    PORTFOLIO_REQUESTS,
    applied_count,
    credentials_env,
    portfolio_project,
    processed_writes,
    spawn,
    units_written_twice,
    wait_for,
)
from tests.support.harness import BERLIN, MUNICH, manifest, run, write_project


def exact_project(root: Path, url: str, kw: int) -> Path:
    """munich-1 in mode exact at ``kw`` from 10:00 to 12:00 (every other editable period 0), and
    berlin-2 at ``kw // 2`` for an hour."""
    munich = f'wholesale: {{mode: exact, schedule: [{{from: "2026-11-24T10:00", to: "2026-11-24T12:00", power: {kw}}}]}}\n'
    berlin = f'wholesale: {{mode: partial, schedule: [{{from: "2026-11-24T10:00", to: "2026-11-24T11:00", power: {kw // 2}}}]}}\n'
    return write_project(
        root,
        url,
        {
            "munich.yaml": manifest("munich-1", MUNICH, munich),
            "berlin.yaml": manifest("berlin-2", BERLIN, berlin),
        },
    )


class Reader:
    """What a process writes to one of its pipes, read as it comes."""

    def __init__(self, pipe: IO[bytes] | IO[str]) -> None:
        self.fd = pipe.fileno()
        self.text = ""

    def until(self, wanted: str) -> bool:
        deadline = time.monotonic() + 30
        while wanted not in self.text and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    break
                self.text += chunk.decode(errors="replace")
        return wanted in self.text


class ApplyAtATerminal:
    """``reconciler apply ARGS`` with standard input on a terminal: it shows the plan and then
    waits at its question, holding the target's lock, until :meth:`answer`."""

    def __init__(self, *args: str) -> None:
        self.controller, terminal = pty.openpty()
        self.process = subprocess.Popen(
            reconciler_argv("apply", *args),
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=credentials_env(),
        )
        os.close(terminal)
        assert self.process.stdout is not None and self.process.stderr is not None
        self.out, self.err = Reader(self.process.stdout), Reader(self.process.stderr)

    def answer(self, text: str) -> tuple[int, str]:
        os.write(self.controller, text.encode() + b"\n")
        rest, errors = self.process.communicate(timeout=60)
        os.close(self.controller)
        return self.process.returncode, self.out.text + rest.decode() + self.err.text + errors.decode()


def test_a_second_apply_on_the_same_target_fails_at_once_naming_the_first(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = (
        exact_project(tmp_path / "a", sandbox.url, -1000),
        exact_project(tmp_path / "b", sandbox.url, 1000),
    )
    asking = ApplyAtATerminal(str(first))
    try:
        assert asking.out.until("[y/N]"), asking.out.text + asking.err.text  # read, planned, holds the lock
        refused = spawn("apply", str(second), "--auto-approve")
        refused_out, refused_err = refused.communicate(timeout=60)
        code, output = asking.answer("yes")
    finally:
        asking.process.kill()
    assert refused.returncode == 1, refused_out + refused_err
    assert "is locked by another apply" in refused_err and f"pid {asking.process.pid}" in refused_err
    assert code == 0, output
    assert len(processed_writes(sandbox.requests())) == applied_count(output) == 2  # only the first wrote
    assert run(capsys, "plan", str(first), "--detailed-exitcode").exit_code == 0  # its state stands


def test_with_a_lock_timeout_the_second_apply_waits_and_its_manifests_are_the_final_state(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = (
        exact_project(tmp_path / "a", sandbox.url, -1000),
        exact_project(tmp_path / "b", sandbox.url, 1000),
    )
    asking = ApplyAtATerminal(str(first))
    try:
        assert asking.out.until("[y/N]"), asking.out.text + asking.err.text
        waiting = spawn("apply", str(second), "--auto-approve", "--lock-timeout", "60")
        assert waiting.stderr is not None
        waited = Reader(waiting.stderr)
        assert waited.until("Waiting up to 60 s for the lock"), waited.text
        assert f"pid {asking.process.pid}" in waited.text
        code, output = asking.answer("yes")
        later_out, later_err = waiting.communicate(timeout=60)
    finally:
        asking.process.kill()
    assert code == 0, output
    assert waiting.returncode == 0, later_out + waited.text + later_err
    assert run(capsys, "plan", str(second), "--detailed-exitcode").exit_code == 0  # the later run's state
    assert run(capsys, "plan", str(first), "--detailed-exitcode").exit_code == 2


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        return process.communicate(timeout=60)
    finally:
        process.kill()


def test_one_saved_plan_applied_twice_at_once_is_written_once(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "project", sandbox.url)
    plan_file = project / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    sandbox.set_faults(latencyMs=20)
    both = [spawn("apply", str(plan_file), "--target", "local", "--lock-timeout", "60") for _ in range(2)]
    outputs = [finish(process) for process in both]
    sandbox.set_faults()
    codes = sorted(process.returncode for process in both)
    assert codes == [0, 1], outputs
    refused_err = next(
        err for process, (_, err) in zip(both, outputs, strict=True) if process.returncode == 1
    )
    assert "stale" in refused_err or "applied to" in refused_err, refused_err
    assert len(processed_writes(sandbox.requests())) == PORTFOLIO_REQUESTS
    assert units_written_twice(sandbox.requests()) == {}


def test_a_saved_plan_is_refused_as_stale_when_the_other_apply_changed_its_objects(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = portfolio_project(tmp_path / "ours", sandbox.url)
    theirs = portfolio_project(tmp_path / "theirs", sandbox.url)
    munich = theirs / "munich-1.yaml"
    munich.write_text(munich.read_text().replace("capacityPrice: 95.5", "capacityPrice: 96"))
    our_plan, their_plan = ours / "plan.json", theirs / "plan.json"
    for project_dir, plan_file in ((ours, our_plan), (theirs, their_plan)):  # both from the same state
        assert run(capsys, "plan", str(project_dir), "--out", str(plan_file)).exit_code == 0

    sandbox.set_faults(latencyMs=60)  # our apply takes well over a second after its first write
    our_apply = spawn("apply", str(our_plan), "--target", "local")
    try:
        assert wait_for(lambda: processed_writes(sandbox.requests()) != [])
        assert our_apply.poll() is None  # still writing when theirs starts
        their_apply = spawn("apply", str(their_plan), "--target", "local", "--lock-timeout", "60")
        their_out, their_err = their_apply.communicate(timeout=60)
        our_out, our_err = our_apply.communicate(timeout=60)
    finally:
        our_apply.kill()
    assert their_apply.returncode == 1 and "stale" in their_err, their_out + their_err
    assert our_apply.returncode == 0, our_out + our_err
    assert len(processed_writes(sandbox.requests())) == PORTFOLIO_REQUESTS  # only ours were written
