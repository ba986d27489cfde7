"""Progress, --quiet, --verbose and colours, as a person at a terminal and a CI log see them.

A terminal is a real pseudo-terminal (``pty``) around the installed command; everything else runs
the CLI in-process against a sandbox on a loopback port.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply import Outcome, Status
from reconciler.cli.apply import Output, outcome_printer
from reconciler.cli.progress import Reporter, Verbosity
from reconciler.plan.model import ScheduleChange
from reconciler.platform.client import PlatformClient
from reconciler.platform.credentials import Credentials
from reconciler.platform.reading import ReadScope, read_live
from tests.support.harness import BERLIN, MUNICH, ORG, manifest, run, write_project

ROOT = Path(__file__).resolve().parents[2]
COLOUR = re.compile(rb"\x1b\[[0-9;]*(3[0-9]|9[0-7])m")  # an SGR sequence that sets a foreground colour
BODY = "wholesale: {mode: partial, schedule: [{at: '2026-11-24T10:00', power: -1000}]}\n"


def at_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Run ``reconciler ARGS`` with stdout and stderr on one pseudo-terminal; return what it drew."""
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    environ.update(env or {})
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        cwd=ROOT,
        env=environ,
    )
    os.close(terminal)
    drawn = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process has ended
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    return process.wait(timeout=60), drawn


pytestmark = pytest.mark.usefixtures("demo_credentials")


def test_a_terminal_shows_a_bar_while_reading_then_the_plan() -> None:
    code, drawn = at_a_terminal("plan", "examples/")
    assert code == 0, drawn.decode(errors="replace")
    assert b"Reading live state" in drawn
    assert re.search(rb"\d+/\d+", drawn)  # reads done of reads known
    assert drawn.index(b"Reading live state") < drawn.index(b"Plan: 10 to create, 4 to update")
    assert COLOUR.search(drawn)


def test_apply_at_a_terminal_shows_each_write_above_the_bar() -> None:
    code, drawn = at_a_terminal("apply", "examples/", "--auto-approve")  # the embedded sandbox
    text = drawn.decode(errors="replace")
    assert code == 0, text
    assert "Writing" in text
    assert "applied       munich-1/fcr/2026-11-24_NEGPOS_00_04" in text
    assert "Apply: 14 applied, 0 failed, 0 missed, 0 not attempted." in text


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--no-color",), {}), ((), {"NO_COLOR": "1"})],
    ids=["--no-color", "NO_COLOR"],
)
def test_no_color_keeps_the_bar_without_colours(args: tuple[str, ...], env: dict[str, str]) -> None:
    code, drawn = at_a_terminal("plan", "examples/", *args, env=env)
    assert code == 0
    assert b"Reading live state" in drawn
    assert not COLOUR.search(drawn)


@pytest.mark.parametrize("args", [("--quiet",), ("--verbose",)])
def test_no_bar_with_quiet_or_verbose(args: tuple[str, ...]) -> None:
    code, drawn = at_a_terminal("plan", "examples/", *args)
    assert code == 0
    assert b"Reading live state" not in drawn
    assert b"Plan: 10 to create" in drawn


def test_no_bar_in_ci_even_at_a_terminal() -> None:
    code, drawn = at_a_terminal("plan", "examples/", env={"CI": "true"})
    assert code == 0
    assert b"Reading live state" not in drawn
    assert b"Plan: 10 to create" in drawn


def test_a_pipe_gets_the_plan_and_nothing_else() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "examples/", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "CI"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith(b"{") and b"\x1b" not in done.stdout
    assert done.stderr == b""


def test_quiet_keeps_the_result_and_drops_the_notes(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "p", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, BODY)})
    plan_file = project / "plan.json"

    loud = run(capsys, "plan", str(project), "--out", str(plan_file))
    quiet = run(capsys, "plan", str(project), "--out", str(plan_file), "--quiet")
    assert loud.exit_code == quiet.exit_code == 0
    assert "Saved the plan" in loud.err and quiet.err == ""
    assert quiet.out == loud.out

    applied = run(capsys, "apply", str(plan_file), "--quiet", "--auto-approve")
    assert applied.exit_code == 0, applied.err
    assert applied.out == "Apply: 1 applied, 0 failed, 0 missed, 0 not attempted.\n"


def _change(address: str) -> ScheduleChange:
    nine = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    return ScheduleChange(
        asset=address.split("/", 1)[0],
        virtual_asset=MUNICH,
        block="b",
        before={nine: Decimal(0)},
        after={nine: Decimal(-1000)},
        deadline=datetime(2026, 11, 24, 8, 55, tzinfo=UTC),
    )


def test_quiet_apply_still_shows_the_writes_that_did_not_succeed(capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = [
        Outcome(_change("munich-1/wholesale"), Status.APPLIED),
        Outcome(
            _change("berlin-2/wholesale"), Status.FAILED, "the platform refused it: 400 invalid operation"
        ),
        Outcome(_change("hamburg-3/wholesale"), Status.MISSED, "its deadline passed; not written"),
    ]
    for verbosity in (Verbosity.NORMAL, Verbosity.QUIET):
        show = outcome_printer(Reporter(), Output(as_json=False, color=False, verbosity=verbosity))
        for outcome in outcomes:
            show(outcome)
    normal, quiet = capsys.readouterr().out.split("  ✓ applied       munich-1/wholesale\n")
    assert normal == ""
    assert (
        quiet.splitlines()
        == [
            "  ✗ failed        berlin-2/wholesale: the platform refused it: 400 invalid operation",
            "  ✗ missed        hamburg-3/wholesale: its deadline passed; not written",
        ]
        * 2
    )


def test_validate_quiet_is_silent_when_clean_and_verbose_lists_files(
    capsys: pytest.CaptureFixture[str],
) -> None:
    quiet = run(capsys, "validate", str(ROOT / "examples"), "-q")
    assert (quiet.exit_code, quiet.out, quiet.err) == (0, "", "")
    verbose = run(capsys, "validate", str(ROOT / "examples"), "-v")
    lines = verbose.out.splitlines()
    assert any(line.startswith("read ") and line.endswith("munich-1.yaml") for line in lines)
    assert any(line.startswith("skipped ") and "reconciler.yaml" in line for line in lines)
    assert lines[-1] == "4 manifests, 0 errors, 0 warnings"


def test_quiet_and_verbose_together_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "plan", "examples/", "--quiet", "--verbose")
    assert result.exit_code == 2
    assert "--quiet and --verbose exclude each other" in result.err


def test_verbose_logs_every_request_and_never_a_secret(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, BODY)})
    result = run(capsys, "plan", str(project), "--verbose")
    assert result.exit_code == 0, result.err
    assert "debug: POST /auth/public/authenticate -> 200" in result.err
    assert "debug: logged in as demo" in result.err
    assert f"debug: GET /organisations/{ORG}/virtual-assets/{MUNICH} -> 200" in result.err
    assert "demo-password" not in result.out + result.err

    token = httpx.post(
        f"{sandbox.url}/auth/public/authenticate", json={"username": "demo", "password": "demo-password"}
    ).json()["access_token"]
    monkeypatch.delenv("LAYR_USERNAME")
    monkeypatch.delenv("LAYR_PASSWORD")
    monkeypatch.setenv("LAYR_TOKEN", token)
    with_token = run(capsys, "plan", str(project), "--verbose")
    assert with_token.exit_code == 0, with_token.err
    assert "debug: GET" in with_token.err
    assert token not in with_token.out + with_token.err

    silent = run(capsys, "plan", str(project))
    assert "debug:" not in silent.err  # the log handler is gone after the verbose run


def test_read_progress_counts_every_read_up_to_the_total(sandbox: Any) -> None:
    seen: list[tuple[int, int]] = []
    credentials = Credentials(username="demo", password="demo-password")
    with PlatformClient(sandbox.url, ORG, credentials, parallelism=4) as client:
        scopes = {MUNICH: ReadScope(), BERLIN: ReadScope()}
        live = read_live(client, scopes, sandbox.now(), lambda done, total: seen.append((done, total)))
    assert set(live.assets) == {MUNICH, BERLIN}
    done = [d for d, _ in seen]
    assert done == list(range(1, len(seen) + 1))  # one report per read, none lost across threads
    assert all(d <= t for d, t in seen)
    assert seen[-1][0] == seen[-1][1] > 2  # the two assets, then everything each of them needs
