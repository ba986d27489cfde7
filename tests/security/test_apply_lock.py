"""One apply per target at a time: the lock itself (exclusion, waiting, release on every kind of
end, one lock per platform and organisation) and saved plans applied once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.plan.model import Plan, TargetInfo
from reconciler.project.config import Target
from reconciler.project.lock import PlanAppliedError, TargetLockedError, hold_target_lock
from reconciler.sandbox.server import RunningSandbox, running_sandbox
from tests.support.harness import MUNICH, manifest, run, write_project, writes

URL = "http://127.0.0.1:8321"


def target(name: str = "local", url: str = URL, organisation: str = "org-demo") -> Target:
    return Target(name, "emulator", url, organisation, None, False, "reconciler.yaml:3")


def ignore(_: str) -> None:
    pass


@pytest.fixture
def holding() -> Iterator[threading.Event]:
    """A thread holds the lock of ``target()`` until the event is set."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with hold_target_lock(target(), timeout=0, note=ignore):
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(10)
    try:
        yield release
    finally:
        release.set()
        thread.join(10)


def test_a_second_apply_fails_at_once_naming_the_holder(holding: threading.Event) -> None:
    other_name_same_platform = target("alias", "http://localhost:8321/")
    with (
        pytest.raises(TargetLockedError) as locked,
        hold_target_lock(other_name_same_platform, timeout=0, note=ignore),
    ):
        pass
    message = str(locked.value)
    assert f"pid {os.getpid()}" in message and "is locked by another apply" in message
    assert "--lock-timeout" in message and "Nothing was read or written" in message
    with hold_target_lock(target(organisation="org-other"), timeout=0, note=ignore):
        pass  # another organisation on the same platform is another lock


def test_with_a_lock_timeout_the_second_apply_waits_for_the_first(holding: threading.Event) -> None:
    notes: list[str] = []

    def heard(text: str) -> None:
        notes.append(text)
        holding.set()  # the first apply ends once the second one is waiting

    with hold_target_lock(target(), timeout=60, note=heard):
        assert len(notes) == 1 and notes[0].startswith("Waiting up to 60 s for the lock")
        assert f"pid {os.getpid()}" in notes[0]


HOLD_THEN_WAIT = textwrap.dedent(
    """
    import signal, sys, threading
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from reconciler.project.config import Target
    from reconciler.project.lock import hold_target_lock
    target = Target("local", "emulator", sys.argv[1], "org-demo", None, False, "reconciler.yaml:3")
    with hold_target_lock(target, timeout=0, note=print):
        print("held", flush=True)
        threading.Event().wait()
    """
)


@pytest.mark.parametrize("ending", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_or_interrupted_holder_releases_the_lock(ending: signal.Signals) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THEN_WAIT, URL], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with (
            pytest.raises(TargetLockedError, match=f"pid {holder.pid}"),
            hold_target_lock(target(), timeout=0, note=ignore),
        ):
            pass
        holder.send_signal(ending)
        holder.communicate(timeout=10)
    finally:
        holder.kill()
    notes: list[str] = []
    with hold_target_lock(target(), timeout=0, note=notes.append):
        pass
    if ending == signal.SIGKILL:  # its details were left behind: taken over, with a note
        assert len(notes) == 1 and "took over the lock" in notes[0]
        assert f"pid {holder.pid}" in notes[0] and "(no longer running)" in notes[0]
    else:  # Ctrl-C releases it cleanly
        assert notes == []


def test_lock_files_live_in_the_lock_folder_and_name_the_platform(apply_locks_of_this_test: Path) -> None:
    with hold_target_lock(target(), timeout=0, note=ignore) as lock:
        assert lock.path is not None and lock.path.parent == apply_locks_of_this_test
        assert lock.path.name.startswith("localhost-8321-org-demo-")
        assert f'"pid": {os.getpid()}' in lock.path.read_text()
    assert lock.path.read_text() == ""  # released cleanly: nothing left to take over


def plan(now: datetime) -> Plan:
    return Plan(TargetInfo("local", URL, "org-demo"), now, changes=(), diagnostics=(), predictions=())


def test_a_saved_plan_is_claimed_once_per_target() -> None:
    first, second = (
        plan(datetime(2026, 11, 23, 5, 55, tzinfo=UTC)),
        plan(datetime(2026, 11, 23, 6, 0, tzinfo=UTC)),
    )
    with hold_target_lock(target(), timeout=0, note=ignore) as lock:
        lock.claim_plan(first, "plan.json")
    with hold_target_lock(target("alias", "http://localhost:8321"), timeout=0, note=ignore) as lock:
        with pytest.raises(PlanAppliedError, match=r"plan.json: this plan was applied to .* already"):
            lock.claim_plan(first, "plan.json")
        lock.claim_plan(second, "other.json")  # another plan is another claim
    embedded = Target(
        "embedded", "embedded", None, "org-demo", Path("fixture.yaml"), False, "reconciler.yaml:2"
    )
    for _ in range(2):  # each run has its own in-process sandbox: nothing to lock or remember
        with hold_target_lock(embedded, timeout=0, note=ignore) as lock:
            lock.claim_plan(first, "plan.json")


def test_a_saved_plan_is_refused_the_second_time_even_when_live_state_is_back_to_what_it_read(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")
    body = 'wholesale: {mode: partial, schedule: [{from: "2026-11-24T10:00", to: "2026-11-24T11:00", power: -1000}]}\n'
    project = write_project(tmp_path / "x", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    plan_file = project / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    before = json.loads(plan_file.read_text())["changes"][0]["before"]
    assert run(capsys, "apply", str(plan_file), "--target", "local").exit_code == 0
    # someone sets the periods back: every object the plan read is as it was, so it is not stale
    points = ", ".join(f'{{at: "{time}", power: {kw}}}' for time, kw in before.items())
    revert = write_project(
        tmp_path / "r",
        sandbox.url,
        {"m.yaml": manifest("munich-1", MUNICH, f"wholesale: {{mode: partial, schedule: [{points}]}}\n")},
    )
    assert run(capsys, "apply", str(revert), "--auto-approve").exit_code == 0
    written = len(writes(sandbox.requests()))

    again = run(capsys, "apply", str(plan_file), "--target", "local")
    assert again.exit_code == 1
    assert f"{plan_file}: this plan was applied to target 'local'" in again.err
    assert "a saved plan is applied once" in again.err
    assert len(writes(sandbox.requests())) == written


def test_a_restarted_sandbox_takes_the_same_saved_plan_once_more(
    example_fixture_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its fixture and pinned clock give byte-identical plans: refusing them as applied already
    would leave no plan to apply to the new run."""
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")
    body = 'wholesale: {mode: partial, schedule: [{from: "2026-11-24T10:00", to: "2026-11-24T11:00", power: -1000}]}\n'
    saved: list[str] = []
    with running_sandbox(example_fixture_path) as first:
        port = int(first.url.rsplit(":", 1)[1])
        project = write_project(tmp_path / "x", first.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
        plan_file = project / "first.json"
        assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
        assert run(capsys, "apply", str(plan_file), "--target", "local").exit_code == 0
        saved.append(plan_file.read_text())
    with running_sandbox(example_fixture_path, port=port) as second:
        assert second.url == first.url
        plan_file = project / "second.json"
        assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
        saved.append(plan_file.read_text())
        assert saved[0] == saved[1]  # the same plan, digest and all
        assert run(capsys, "apply", str(plan_file), "--target", "local").exit_code == 0
        assert len(writes(second.requests())) == 1
        assert run(capsys, "apply", str(plan_file), "--target", "local").exit_code == 1  # once per run
        assert len(writes(second.requests())) == 1
