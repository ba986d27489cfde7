"""Apply's guard rails over HTTP: protected targets, platform rejections, nothing half-applied unreported."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import Status, apply_changes, may_need
from reconciler.market import parse_product_date_code
from reconciler.plan.model import BidChange, ScheduleChange, write_order
from reconciler.plan.recorded import changes_from_json
from reconciler.plan.requests import requests_for
from reconciler.platform.client import PlatformClient
from reconciler.platform.credentials import Credentials
from reconciler.platform.models import Bid
from reconciler.platform.session import RetryPolicy
from reconciler.platform.transport import Answer, HttpTransport
from tests.reliability.reliability_helpers import portfolio_project
from tests.support.harness import BERLIN, MUNICH, ORG, manifest, run, write_project, writes, written_bids

BODY = "wholesale: {mode: partial, schedule: [{at: '2026-11-24T10:00', power: -1000}]}\n"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")


def protected_project(root: Path, url: str, default: str = "local") -> Path:
    project = write_project(root, url, {"m.yaml": manifest("munich-1", MUNICH, BODY)})
    (project / "reconciler.yaml").write_text(
        f"default: {default}\ntargets:\n"
        f"  local: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}}}\n"
        f"  production: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}, protected: true}}\n"
    )
    return project


def test_protected_target_needs_auto_approve(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = protected_project(tmp_path, sandbox.url)
    refused = run(capsys, "apply", str(project), "--target", "production")
    assert refused.exit_code == 1
    assert "--auto-approve" in refused.err
    assert writes(sandbox.requests()) == []

    approved = run(capsys, "apply", str(project), "--target", "production", "--auto-approve")
    assert approved.exit_code == 0, approved.out + approved.err
    assert len(writes(sandbox.requests())) == 1


def test_protected_target_is_never_the_default(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = protected_project(tmp_path, sandbox.url, default="production")
    result = run(capsys, "plan", str(project))
    assert result.exit_code != 0
    assert "production" in result.err and "protected" in result.err


def test_apply_without_a_terminal_asks_for_auto_approve(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, BODY)})
    result = run(capsys, "apply", str(project))
    assert result.exit_code == 1
    assert "--auto-approve" in result.err
    assert writes(sandbox.requests()) == []


NINE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _schedule_change(va: str, block: str, power: int, deadline: datetime) -> ScheduleChange:
    return ScheduleChange(
        asset=va,
        virtual_asset=va,
        block=block,
        before={NINE: Decimal(0)},
        after={NINE: Decimal(power)},
        deadline=deadline,
    )


def test_platform_rejection_is_reported_with_its_message_and_stops_that_asset(sandbox: Any) -> None:
    credentials = Credentials.from_env({"LAYR_USERNAME": "demo", "LAYR_PASSWORD": "demo-password"})
    with PlatformClient(sandbox.url, ORG, credentials) as client:
        munich = client.get_virtual_asset(MUNICH).wholesale_block_id
        berlin = client.get_virtual_asset(BERLIN).wholesale_block_id
        assert munich and berlin
        deadline = datetime(2026, 11, 24, 8, 54, 30, tzinfo=UTC)
        too_much = _schedule_change(MUNICH, munich, -9000, deadline)  # munich-1 charges at most 5000 kW
        too_much = replace(too_much, before={NINE: Decimal(500)})  # would have freed discharge capacity
        # a later write that takes capacity (phase 2) depends on it; an unrelated asset does not
        later = _fcr_change(MUNICH, "2026-11-24_NEGPOS_08_12", 1000, deadline.replace(minute=55))
        other = _schedule_change(BERLIN, berlin, -500, deadline)
        report = apply_changes([too_much, later, other], client, sandbox.now)

    by_status = {o.change.address: o for o in report.outcomes}
    failed = by_status[f"{MUNICH}/wholesale"]
    assert failed.status is Status.FAILED
    assert "400" in failed.message and "invalid operation error" in failed.message
    assert by_status[later.address].status is Status.NOT_ATTEMPTED
    assert by_status[f"{BERLIN}/wholesale"].status is Status.APPLIED
    assert not report.ok
    assert sorted(r["path"].rsplit("/", 3)[1] for r in writes(sandbox.requests())) == sorted([MUNICH, BERLIN])


def _fcr_change(va: str, code: str, kw: int, deadline: datetime) -> BidChange:
    return BidChange(
        asset=va,
        virtual_asset=va,
        product=parse_product_date_code(code),
        before=(),
        after=(Bid(Decimal(kw), Decimal(100), None),),
        deadline=deadline,
    )


def test_a_failed_schedule_write_stops_only_the_bids_that_needed_what_it_freed() -> None:
    deadline = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    in_window, elsewhere = "2026-11-24_NEGPOS_08_12", "2026-11-24_NEGPOS_16_20"  # 09:00Z is 10:00 CET
    adds = _schedule_change(MUNICH, "m", -1000, deadline)  # 0 -> -1000 kW: takes room, frees none
    frees = replace(adds, before={NINE: Decimal(-3000)})  # -3000 -> -1000 kW: frees 2000 kW
    flips = replace(adds, before={NINE: Decimal(500)})  # discharge -> charge: frees discharge
    assert not may_need(_fcr_change(MUNICH, in_window, 1000, deadline), adds)
    assert may_need(_fcr_change(MUNICH, in_window, 1000, deadline), frees)
    assert may_need(_fcr_change(MUNICH, in_window, 1000, deadline), flips)
    assert not may_need(_fcr_change(MUNICH, elsewhere, 1000, deadline), frees)  # outside its window
    assert may_need(adds, _fcr_change(MUNICH, in_window, 1000, deadline))  # anything but a schedule: assumed


def test_fcr_bids_are_still_placed_when_a_schedule_write_they_do_not_need_fails(sandbox: Any) -> None:
    # at 07:25 a refused schedule must not cost the FCR auction when the bids fit without it
    credentials = Credentials(username="demo", password="demo-password")
    with PlatformClient(sandbox.url, ORG, credentials) as client:
        block = client.get_virtual_asset(MUNICH).wholesale_block_id
        assert block
        deadline = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
        refused = _schedule_change(MUNICH, block, -9000, deadline)  # beyond munich-1's 5000 kW
        bid = _fcr_change(MUNICH, "2026-11-24_NEGPOS_08_12", 2000, deadline)
        report = apply_changes([refused, bid], client, sandbox.now)
    assert [o.status for o in report.outcomes] == [Status.FAILED, Status.APPLIED], report.outcomes
    refused_put, *bid_writes = writes(sandbox.requests())
    assert refused_put["path"].endswith(block) and written_bids(bid_writes) == ["2026-11-24_NEGPOS_08_12"]


def test_missed_deadline_is_not_written(sandbox: Any) -> None:
    credentials = Credentials.from_env({"LAYR_USERNAME": "demo", "LAYR_PASSWORD": "demo-password"})
    with PlatformClient(sandbox.url, ORG, credentials) as client:
        block = client.get_virtual_asset(MUNICH).wholesale_block_id
        assert block
        past = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # before the sandbox's 05:55Z
        report = apply_changes([_schedule_change(MUNICH, block, -1000, past)], client, sandbox.now)
    [outcome] = report.outcomes
    assert outcome.status is Status.MISSED and "passed" in outcome.message
    assert writes(sandbox.requests()) == []


def test_a_write_whose_answer_was_lost_is_confirmed_by_reading_it_back(sandbox: Any) -> None:
    # every PUT is processed and then its connection breaks: the client never sees an answer
    sandbox.set_faults(resetRate=1, methods=["PUT"], seed=3)
    credentials = Credentials.from_env({"LAYR_USERNAME": "demo", "LAYR_PASSWORD": "demo-password"})
    with PlatformClient(
        sandbox.url, ORG, credentials, max_attempts=2, retry=RetryPolicy(base_delay=0.01)
    ) as client:
        block = client.get_virtual_asset(MUNICH).wholesale_block_id
        assert block
        deadline = datetime(2026, 11, 24, 8, 54, tzinfo=UTC)
        report = apply_changes([_schedule_change(MUNICH, block, -1000, deadline)], client, sandbox.now)
    [outcome] = report.outcomes
    assert outcome.status is Status.APPLIED, outcome.message
    assert "re-read shows it arrived" in outcome.message
    assert report.ok


def test_urgent_bids_are_not_kept_behind_other_assets_schedules() -> None:
    early = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    late = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    other_schedule = _schedule_change(BERLIN, "b", -500, late)
    own_schedule = _schedule_change(MUNICH, "m", -500, late)
    fcr_bid = _fcr_change(MUNICH, "2026-11-24_NEGPOS_08_12", 1000, early)
    ordered = write_order([other_schedule, fcr_bid, own_schedule])
    # munich's schedule must precede its bid (capacity); both precede berlin's later schedule
    assert ordered == [own_schedule, fcr_bid, other_schedule]


class WriteTimeline(HttpTransport):
    """A real transport that notes when each write (PUT, POST) started and ended: ``(path, start, end)``."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, max_connections=10, timeout=10)
        self._lock = threading.Lock()
        self.writes: list[tuple[str, float, float]] = []

    def send(self, method: str, target: str, **kwargs: Any) -> Answer:
        started = time.monotonic()
        try:
            return super().send(method, target, **kwargs)
        finally:
            if method in ("PUT", "POST") and "/virtual-assets/" in target:
                with self._lock:
                    self.writes.append((target.partition("?")[0], started, time.monotonic()))


def test_assets_are_written_in_parallel_and_each_assets_writes_in_order(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned = run(capsys, "plan", str(portfolio_project(tmp_path / "p", sandbox.url)), "--format", "json")
    document = json.loads(planned.out, parse_float=Decimal)
    changes = list(changes_from_json(document["changes"], document["fingerprints"]))
    ordered = write_order(changes)
    timeline = WriteTimeline(sandbox.url)
    sandbox.set_faults(latencyMs=100)
    credentials = Credentials(username="demo", password="demo-password")
    with PlatformClient(sandbox.url, ORG, credentials, transport=timeline) as client:
        report = apply_changes(changes, client, sandbox.now)
    assert report.ok and [o.change for o in report.outcomes] == ordered

    def asset_of(path: str) -> str:
        return path.split("/virtual-assets/", 1)[1].split("/", 1)[0]

    assets = {c.virtual_asset for c in changes}
    assert len(assets) > 1
    for asset in assets:
        own = sorted((w for w in timeline.writes if asset_of(w[0]) == asset), key=lambda w: w[1])
        assert [path for path, _, _ in own] == [
            request.path
            for request, carried in requests_for(ordered, ORG, client.ancillary_api)
            if carried[0].virtual_asset == asset
        ]
        assert all(before[2] <= after[1] for before, after in itertools.pairwise(own))  # one at a time
    assert any(
        a[1] < b[2] and b[1] < a[2]
        for a in timeline.writes
        for b in timeline.writes
        if asset_of(a[0]) != asset_of(b[0])
    )  # different assets' writes were in flight together
