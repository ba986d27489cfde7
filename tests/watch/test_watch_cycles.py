"""One watch cycle at a time, in-process against the sandbox over HTTP: ``--once`` exit codes,
what is told once, bad input that watch survives (manifests, platform, webhooks)."""

from __future__ import annotations

import io
import json
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.core.schemas import load_schema
from reconciler.project.workflow import Session, open_session
from reconciler.sandbox.server import RunningSandbox
from reconciler.watch.events import Event, EventKind
from reconciler.watch.loop import Watcher
from reconciler.watch.output import Outputs
from reconciler.watch.webhooks import Webhooks
from tests.conftest import MakeSandbox
from tests.support.harness import MUNICH, manifest, run, write_project, writes
from tests.watch.watch_helpers import (
    AFTER_REVALIDATION,
    BEFORE_REVALIDATION,
    BIDS_BODY,
    CUT_BODY,
    CUT_MANIFEST,
    CUT_PERIOD,
    RESULTS_PUBLISHED,
    docs_example_fixture,
    webhook_receiver,
)

SCHEMA = jsonschema.Draft202012Validator(load_schema("watch-event.schema.json"))


pytestmark = pytest.mark.usefixtures("demo_credentials")


@pytest.fixture
def docs_sandbox(make_sandbox: MakeSandbox) -> RunningSandbox:
    return make_sandbox(docs_example_fixture())


def events_of(text: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in text.splitlines() if line.strip()]
    for event in found:
        SCHEMA.validate(event)
    return found


class Harness:
    def __init__(self, project: Path, session: Session) -> None:
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        self.outputs = Outputs(self.stdout, self.stderr, human=True)
        self.watcher = Watcher(
            [project],
            session.manifests,
            session.connection,
            session.target_info,
            self.outputs,
            interval=60,
            emulated=True,
        )
        self._read = 0

    def cycle(self) -> list[dict[str, Any]]:
        self.watcher.cycle()
        text = self.stdout.getvalue()
        new, self._read = text[self._read :], len(text)
        return events_of(new)


@pytest.fixture
def applied(docs_sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    project = write_project(tmp_path, docs_sandbox.url, {"m.yaml": CUT_MANIFEST})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    return project


@pytest.fixture
def harness(applied: Path) -> Iterator[Harness]:
    with open_session(
        [applied], target=None, api_url=None, organisation=None, config=None, parallelism=4
    ) as s:
        yield Harness(applied, s)


def test_once_exits_0_without_news_and_2_with_a_correction(
    docs_sandbox: RunningSandbox, applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = run(capsys, "watch", str(applied), "--once")
    assert (quiet.exit_code, quiet.out) == (0, ""), quiet.err
    written = len(writes(docs_sandbox.requests()))

    docs_sandbox.set_clock(AFTER_REVALIDATION)
    news = run(capsys, "watch", str(applied), "--once")
    assert news.exit_code == 2, news.err
    [correction] = events_of(news.out)
    assert (correction["kind"], correction["period"], correction["corrected_kw"]) == (
        "correction",
        CUT_PERIOD,
        -4000,
    )
    assert len(writes(docs_sandbox.requests())) == written  # watch never writes


def test_once_tells_each_published_result_with_its_price_unit_and_revenue_per_d21(
    docs_sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = textwrap.dedent(CUT_BODY) + textwrap.dedent(BIDS_BODY)
    project = write_project(tmp_path, docs_sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    docs_sandbox.set_clock(RESULTS_PUBLISHED)  # FCR clears at 120 EUR/MW/h, aFRR capacity is pay-as-bid
    result = run(capsys, "watch", str(project), "--once")
    assert result.exit_code == 2, result.err
    texts = sorted(e["text"] for e in events_of(result.out) if e["kind"] == "auction_result")
    assert texts == [
        "munich-1/afrr/2026-11-24_POS_16_20: accepted, 1 000 kW of 1 000 kW at capacityPrice 12.5 EUR/MW/h;"
        " revenue 50 EUR",  # 12.5 × 1 MW × 4 h
        "munich-1/fcr/2026-11-24_NEGPOS_16_20: rejected, 0 kW of 2 000 kW at settlementPrice 120 EUR/MW/h;"
        " revenue 0 EUR",  # bid 130 > 120
        "munich-1/fcr/2026-11-24_NEGPOS_20_24: accepted, 2 000 kW of 2 000 kW at settlementPrice 120 EUR/MW/h;"
        " revenue 960 EUR",  # 120 × 2 MW × 4 h
    ]


def test_each_fact_is_told_once_and_a_new_fact_again(harness: Harness, docs_sandbox: RunningSandbox) -> None:
    assert harness.cycle() == []
    docs_sandbox.set_clock(AFTER_REVALIDATION)
    [correction] = harness.cycle()
    assert correction["kind"] == "correction"
    assert harness.cycle() == []  # the same correction is not told twice
    assert "correction: munich-1/wholesale" in harness.stderr.getvalue()  # the human line


def test_a_manifest_that_stops_validating_is_reported_and_the_last_good_one_kept(
    harness: Harness, applied: Path, docs_sandbox: RunningSandbox
) -> None:
    assert harness.cycle() == []
    (applied / "m.yaml").write_text(CUT_MANIFEST.replace("power: -10000", "power: -10000, powr: 1"))
    docs_sandbox.set_clock(AFTER_REVALIDATION)
    told = harness.cycle()
    assert [e["kind"] for e in told] == ["manifest_invalid", "correction"]
    invalid = told[0]
    assert "m.yaml:" in invalid["diagnostics"][0] and "powr" in invalid["diagnostics"][0]
    assert "last valid manifests" in invalid["text"]
    assert harness.cycle() == []  # the same errors are told once


def test_platform_failures_are_told_once_per_streak_and_the_loop_recovers(
    harness: Harness, docs_sandbox: RunningSandbox
) -> None:
    docs_sandbox.set_faults(errorRate=1, statuses=[403], methods=["GET"])  # not retried: fails at once
    [failed] = harness.cycle()
    assert failed["kind"] == "read_failed" and failed["retry_in_seconds"] == 1
    assert "injected fault" in failed["message"] and "-> 403" in failed["message"]
    assert harness.cycle() == []  # still failing: logged, not told again
    assert harness.watcher.backoff() == 2  # and the wait doubles
    assert "still cannot be read (2 tries)" in harness.stderr.getvalue()
    docs_sandbox.set_faults()
    docs_sandbox.set_clock(AFTER_REVALIDATION)
    assert [e["kind"] for e in harness.cycle()] == ["correction"]
    assert harness.watcher.backoff() == 1


def test_an_unreachable_platform_is_an_error_for_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, "http://127.0.0.1:9", {"m.yaml": CUT_MANIFEST})
    result = run(capsys, "watch", str(project), "--once")
    assert result.exit_code == 1, result.out + result.err
    [failed] = events_of(result.out)
    assert failed["kind"] == "read_failed" and "127.0.0.1:9" in failed["message"]
    assert "Traceback" not in result.err


def test_before_apply_watch_tells_what_is_not_applied(
    docs_sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, docs_sandbox.url, {"m.yaml": CUT_MANIFEST})
    docs_sandbox.set_clock(BEFORE_REVALIDATION)  # 09:50: the gate of 10:00 closes at 09:54:30
    result = run(capsys, "watch", str(project), "--once")
    assert result.exit_code == 2
    kinds = {e["kind"]: e for e in events_of(result.out)}
    assert set(kinds) == {"out_of_band", "deadline_near"}
    near = kinds["deadline_near"]
    assert (near["address"], near["deadline"], near["seconds_left"]) == (
        "munich-1/wholesale",
        "2026-11-23T08:53:00Z",  # re-validation at 09:53 CET comes before the gate
        180,
    )


def test_webhooks_get_each_event_and_a_refusing_or_bad_webhook_is_reported_not_fatal(
    docs_sandbox: RunningSandbox, applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs_sandbox.set_clock(AFTER_REVALIDATION)
    with webhook_receiver() as (good, bodies), webhook_receiver(refuse=1) as (refusing, _):
        result = run(
            capsys,
            "watch",
            str(applied),
            "--once",
            "--webhook",
            good,
            "--webhook",
            refusing,
            "--webhook",
            "ftp://x/T0KEN",
        )
        assert result.exit_code == 2, result.err
        told = events_of(result.out)
        assert [e["kind"] for e in told].count("correction") == 1
        failures = sorted((e["webhook"], e["message"]) for e in told if e["kind"] == "webhook_failed")
        assert failures == [
            ("webhook 2 (127.0.0.1)", "HTTP 404"),
            ("webhook 3 (x)", "not used: expected an http:// or https:// URL with a host"),
        ]
        body = bodies.get(timeout=5)
    assert body["event"]["kind"] == "correction" and body["text"].startswith("correction: munich-1/wholesale")
    everything = result.out + result.err + json.dumps(body)
    assert "T0KEN" not in everything and "demo-password" not in everything


def test_a_webhook_that_does_not_answer_holds_up_neither_the_loop_nor_the_other_webhooks(
    harness: Harness, docs_sandbox: RunningSandbox
) -> None:
    release = threading.Event()
    with webhook_receiver(hold=release) as (stuck, held), webhook_receiver() as (good, bodies):
        harness.outputs.webhooks = Webhooks([stuck, good], harness.outputs.webhook_failure)
        try:
            docs_sandbox.set_clock(AFTER_REVALIDATION)
            [correction] = harness.cycle()  # the cycle ends while the first webhook holds its POST
            assert correction["kind"] == "correction"
            assert bodies.get(timeout=10)["event"] == correction  # the other webhook has it already
            assert held.empty()
            release.set()
            assert held.get(timeout=10)["event"] == correction  # and the slow one gets it, late
        finally:
            release.set()
            harness.outputs.webhooks.close(5)


def test_events_a_webhook_had_no_turn_for_before_watch_stopped_are_reported() -> None:
    release = threading.Event()
    failures: list[tuple[str, str, Event | None]] = []
    with webhook_receiver(hold=release) as (stuck, _):
        hooks = Webhooks([stuck], lambda *failure: failures.append(failure))
        try:
            for n in range(3):  # the webhook holds the first; two wait behind it
                hooks.send(Event(EventKind.CORRECTION, datetime(2026, 11, 23, 9, tzinfo=UTC), f"cut {n}"))
            hooks.close(0.2)
        finally:
            release.set()
    assert ("webhook 1 (127.0.0.1)", "2 event(s) not delivered: watch stopped before their turn", None) in (
        failures
    )


def test_watch_help_and_top_level_help_stay_light(capsys: pytest.CaptureFixture[str]) -> None:
    helped = run(capsys, "watch", "--help")
    assert helped.exit_code == 0 and "--webhook" in helped.out and "--metrics-port" in helped.out
    top = run(capsys, "--help")
    assert "watch" in top.out and "status" in top.out


def test_bad_manifests_at_start_are_an_error_before_any_request(
    docs_sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = manifest("munich-1", MUNICH, textwrap.dedent("wholesale: {unit: GW}\n"))
    project = write_project(tmp_path, docs_sandbox.url, {"m.yaml": bad})
    result = run(capsys, "watch", str(project), "--once")
    assert result.exit_code == 1 and "m.yaml:" in result.err
    assert docs_sandbox.requests() == []
