"""The moments watch wakes at (D7 re-validation, gate closure, D14 deadlines and publications),
computed from live state read over HTTP, with times written from DECISIONS.md."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.market import parse_instant
from reconciler.project.workflow import open_session, read_session_live
from reconciler.watch.moments import next_wake
from tests.conftest import MakeSandbox
from tests.support.harness import MUNICH, manifest, write_project
from tests.watch.watch_helpers import BIDS_BODY, CUT_BODY, CUT_MANIFEST, docs_example_fixture


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")


def wakes(make_sandbox: MakeSandbox, tmp_path: Path, text: str, after: list[str]) -> list[str | None]:
    sandbox = make_sandbox(docs_example_fixture())
    project = write_project(tmp_path, sandbox.url, {"m.yaml": text})
    with open_session(
        [project], target=None, api_url=None, organisation=None, config=None, parallelism=4
    ) as s:
        live = read_session_live(s, s.connection.now())
        found = [next_wake(s.manifests, live, parse_instant(moment)) for moment in after]
    return [m.astimezone().isoformat() if m else None for m in found]


def test_a_managed_period_wakes_watch_near_its_gate_at_re_validation_and_at_the_gate(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    # 10:00 CET: gate 330 s before (09:54:30), re-validation 7 min before (09:53), and the
    # pending-write warning 30 min before the gate (09:24:30)
    found = wakes(
        make_sandbox,
        tmp_path,
        CUT_MANIFEST,
        [
            "2026-11-23T06:55:00+01:00",
            "2026-11-23T09:24:30+01:00",
            "2026-11-23T09:53:00+01:00",
            "2026-11-23T09:54:30+01:00",
        ],
    )
    assert [parse_instant(m) if m else None for m in found] == [
        parse_instant("2026-11-23T09:24:30+01:00"),
        parse_instant("2026-11-23T09:53:00+01:00"),
        parse_instant("2026-11-23T09:54:30+01:00"),
        None,  # nothing managed is ahead: only the interval wakes it
    ]


def test_bids_wake_watch_before_and_at_their_deadline_and_at_publication(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    text = manifest("munich-1", MUNICH, textwrap.dedent(CUT_BODY) + textwrap.dedent(BIDS_BODY))
    after = [
        "2026-11-23T06:55:00+01:00",  # FCR deadline 07:30 D-1, warned from 07:00
        "2026-11-23T07:30:00+01:00",  # aFRR capacity deadline 08:30 D-1, warned from 08:00
        "2026-11-23T08:00:00+01:00",  # FCR results 08:20 D-1
        "2026-11-23T08:30:00+01:00",  # aFRR capacity results 09:20 D-1
        "2026-11-23T09:54:30+01:00",  # aFRR energy POS_033 (08:00 D): deadline 07:30, warned from 07:00
    ]
    found = wakes(make_sandbox, tmp_path, text, after)
    assert [parse_instant(m) if m else None for m in found] == [
        parse_instant(t)
        for t in (
            "2026-11-23T07:00:00+01:00",
            "2026-11-23T08:00:00+01:00",
            "2026-11-23T08:20:00+01:00",
            "2026-11-23T09:20:00+01:00",
            "2026-11-24T07:00:00+01:00",
        )
    ]
