"""Time during apply: a token that expires mid-run is renewed once; a write whose gate closes while
it is being retried is reported as missed and never sent after its gate."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import Status, apply_changes
from reconciler.market import parse_instant
from reconciler.plan.model import ScheduleChange
from reconciler.plan.recorded import changes_from_json
from reconciler.platform import Credentials, PlatformClient, RetryPolicy
from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import (
    EXAMPLES,
    PASSWORD,
    PORTFOLIO_REQUESTS,
    PORTFOLIO_WRITES,
    USERNAME,
    applied_count,
    is_write,
    on_first_write,
    portfolio_project,
    processed_writes,
    ticking_clock,
    units_written_twice,
    wait_for,
)
from tests.support.harness import MUNICH, ORG, manifest, run, write_project
from tests.support.trickle import trickling_server

AUTH = "/auth/public/authenticate"
MakeSandbox = Callable[[Any], RunningSandbox]


def example_fixture(tmp_path: Path, old: str, new: str) -> Path:
    """examples/sandbox-fixture.yaml with every ``old`` replaced by ``new``."""
    text = (EXAMPLES / "sandbox-fixture.yaml").read_text()
    assert old in text
    path = tmp_path / "fixture.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_a_token_expiring_mid_apply_is_renewed_with_one_login(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(example_fixture(tmp_path, "tokenExpiresIn: 3600", "tokenExpiresIn: 120"))
    project = portfolio_project(tmp_path / "project", sandbox.url)
    sandbox.set_faults(latencyMs=30)  # the writes take a while: the clock jumps between them

    with on_first_write(sandbox, lambda: sandbox.advance(121)) as expired:
        result = run(capsys, "apply", str(project), "--auto-approve")
    assert expired.is_set()
    assert result.exit_code == 0, result.out + result.err
    assert applied_count(result.out) == PORTFOLIO_WRITES and "Re-read matches" in result.out

    log = sandbox.requests()
    first_write = log.index(processed_writes(log)[0])
    assert [e["path"] for e in log].count(AUTH) == 2  # the first login, and one renewal
    assert [e.get("status") for e in log[first_write:]].count(401) >= 1
    assert len(processed_writes(log)) == PORTFOLIO_REQUESTS and units_written_twice(log) == {}


def test_a_write_whose_gate_closes_while_retrying_is_missed_and_not_sent_after_its_gate(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Gate closure 10 minutes ahead, before re-validation (7 minutes): a period stays editable until
    # its gate, so a write can be planned two seconds before it closes.
    sandbox = make_sandbox(
        example_fixture(tmp_path, "dispatchGateClosureSeconds: 330", "dispatchGateClosureSeconds: 600")
    )
    sandbox.set_clock("2026-11-23T07:04:58+01:00")  # the 07:15 period's gate closes at 07:05:00
    body = "wholesale: {mode: partial, schedule: [{at: '2026-11-23T07:15', power: -1000}]}\n"
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    planned = run(capsys, "plan", str(project), "--format", "json")
    assert planned.exit_code == 0, planned.err
    document = planned.json()
    [change] = changes_from_json(document["changes"], document["fingerprints"])
    assert isinstance(change, ScheduleChange)
    gate = datetime(2026, 11, 23, 6, 5, tzinfo=UTC)
    assert change.deadline == gate

    steady = RetryPolicy(base_delay=0.2, max_delay=0.4)  # waits of 0.1-0.4 s, unlimited attempts
    credentials = Credentials(username=USERNAME, password=PASSWORD)
    with PlatformClient(sandbox.url, ORG, credentials, max_attempts=100, retry=steady) as client:
        client.list_virtual_assets()
        sandbox.set_faults(errorRate=1, statuses=[503])  # the platform is down for the whole window
        with ticking_clock(sandbox):
            report = apply_changes([change], client, sandbox.now)
            attempts = write_requests(sandbox)
            time.sleep(1.5)  # the gate passes: nothing more may arrive
            assert sandbox.now() > gate and write_requests(sandbox) == attempts
        sandbox.set_faults()
        block = client.get_block(MUNICH, change.block, gate, gate)

    [outcome] = report.outcomes
    assert outcome.status is Status.MISSED and "passed while retrying" in outcome.message
    # it retried through the two seconds left and stopped at the gate, not 100 attempts later
    assert 4 <= len(attempts) < 100
    assert all(parse_instant(e["time"]) <= gate for e in attempts)  # by the platform's clock too
    assert block.schedule.get(parse_instant("2026-11-23T06:15:00Z"), 0) == 0  # nothing was written


def write_requests(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return [e for e in sandbox.requests() if is_write(e)]


@pytest.mark.parametrize("aimed", ["by its config", "by --api-url"])
def test_a_trickling_platform_ends_the_command_at_its_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], aimed: str
) -> None:
    # every byte comes within the 10 s socket timeout: only the --timeout of the command ends it
    body = "wholesale: {mode: partial, schedule: [{at: '2026-11-24T07:15', power: -1000}]}\n"
    with trickling_server(interval=0.2) as url:
        if aimed == "by its config":  # an emulator target: the clock read trickles
            project = write_project(tmp_path, url, {"m.yaml": manifest("munich-1", MUNICH, body)})
            args = ["plan", str(project)]
        else:  # no emulator found by the probe: a platform, whose login trickles
            (tmp_path / "m.yaml").write_text(manifest("munich-1", MUNICH, body))
            args = ["plan", str(tmp_path / "m.yaml"), "--api-url", url, "--organisation", ORG]
        result = run(capsys, *args, "--timeout", "3")
    assert result.exit_code == 1, result.out + result.err
    assert "the command's time limit ran out (--timeout)" in result.err
    assert "Traceback" not in result.err


def test_writes_past_the_commands_timeout_are_reported_failed_and_never_sent_late(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = portfolio_project(tmp_path / "project", sandbox.url)
    # every write (schedule PUTs, grouped bid POSTs) hangs beyond the time limit; the login does not
    sandbox.set_faults(latencyMs=4000, methods=["PUT", "POST"], paths=["/organisations"])
    result = run(capsys, "apply", str(project), "--auto-approve", "--timeout", "3")
    assert result.exit_code == 1, result.out + result.err
    assert "the command's time limit ran out (--timeout)" in result.out + result.err
    assert "Traceback" not in result.err
    if "Apply: " in result.out:  # the writes started before the limit: none is claimed
        assert applied_count(result.out) == 0
    if "Apply: " in result.out:  # what the client gave up on never ran, once the sandbox is done
        assert wait_for(lambda: write_requests(sandbox) != [])
        assert {e.get("fault") for e in write_requests(sandbox)} == {"abandoned"}
        assert processed_writes(sandbox.requests()) == []
