"""A saved plan is applied exactly as reviewed, or not at all: every edit is refused before any write.

Each test saves a real plan against the sandbox (munich-1: a schedule change and an FCR bid),
edits the file as someone might, and checks that `apply` refuses the whole file, says why, and
writes nothing. Some edits also re-sign the file (recompute its digest, as an attacker with the
file could): the re-derived requests, deadlines and the live block must still catch them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconciler.plan import planfile
from reconciler.plan.planfile import MAX_PLAN_FILE_BYTES, content_digest
from reconciler.sandbox.server import RunningSandbox
from tests.plan.test_plan_apply import SCHEDULE_AND_BID
from tests.support.harness import BERLIN, MUNICH, run, write_project, writes

Document = dict[str, Any]


pytestmark = pytest.mark.usefixtures("demo_credentials")


def saved_plan(sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    project = write_project(tmp_path / "project", sandbox.url, {"munich.yaml": SCHEDULE_AND_BID})
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    return plan_file


def edit(plan_file: Path, change: Callable[[Document], None], *, resign: bool = False) -> None:
    document = json.loads(plan_file.read_text(), parse_float=Decimal)
    change(document)
    if resign:
        document["digest"] = content_digest(document)
    plan_file.write_text(json.dumps(document, indent=2, default=lambda d: float(d)))


def bid(document: Document) -> Document:
    found: Document = next(c for c in document["changes"] if c["kind"] == "fcr_bid")
    return found


def schedule(document: Document) -> Document:
    found: Document = next(c for c in document["changes"] if c["kind"] == "schedule")
    return found


def request(document: Document, change: Document) -> Document:
    """The recorded request that carries ``change``."""
    found: Document = document["requests"][change["request"]]
    return found


def refused(capsys: pytest.CaptureFixture[str], sandbox: RunningSandbox, plan_file: Path, *words: str) -> str:
    result = run(capsys, "apply", str(plan_file), "--target", "local")
    assert result.exit_code == 1, result.out + result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    for word in words:
        assert word in result.err, result.err
    assert writes(sandbox.requests()) == []  # not one write
    return result.err


def test_the_digest_is_printed_by_plan_show_and_apply_alike(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)
    digest = json.loads(plan_file.read_text())["digest"]
    short = digest[: len("sha256:") + 12]
    # the digest is the SHA-256 of the file's content without it, keys sorted, numbers canonical
    assert digest == content_digest(json.loads(plan_file.read_text(), parse_float=Decimal))
    for output_format in ("text", "markdown"):
        shown = run(capsys, "show", str(plan_file), "--format", output_format)
        assert short in "\n".join(shown.out.splitlines()[:5]), shown.out
    applied = run(capsys, "apply", str(plan_file), "--target", "local")
    assert applied.exit_code == 0 and f"Applying plan {short}" in applied.out


def test_a_request_path_edited_to_another_asset_is_refused(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)

    def to_berlin(document: Document) -> None:
        carrier = request(document, bid(document))
        carrier["path"] = carrier["path"].replace(MUNICH, BERLIN)

    edit(plan_file, to_berlin)
    refused(capsys, sandbox, plan_file, "recorded request's path is not what the plan's changes give")
    edit(plan_file, lambda d: None, resign=True)  # a fresh digest does not make it the plan's request
    refused(capsys, sandbox, plan_file, "recorded request's path")


def test_an_edited_request_body_is_refused(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)

    def more(document: Document) -> None:
        request(document, bid(document))["body"][0]["bids"][0]["offeredCapacity"] = 5000

    edit(plan_file, more, resign=True)
    refused(capsys, sandbox, plan_file, "recorded request's body is not what the plan's changes give")


def test_a_request_power_edited_to_a_boolean_is_refused(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``true`` is not the power 1 (nor ``false`` 0), though Python's ``==`` says they are equal."""
    plan_file = saved_plan(sandbox, tmp_path, capsys)

    def boolean(document: Document) -> None:
        change = schedule(document)
        first = next(iter(change["after"]))
        change["after"][first] = 1
        point = next(p for p in request(document, change)["body"]["schedule"] if p["time"] == first)
        point["power"] = True

    edit(plan_file, boolean, resign=True)
    refused(capsys, sandbox, plan_file, "recorded request's body is not what the plan's changes give")


def test_an_edited_body_and_shown_value_is_refused_by_the_digest(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)

    def consistent(document: Document) -> None:  # request and `after` agree: only the digest knows
        request(document, bid(document))["body"][0]["bids"][0]["offeredCapacity"] = 5000
        bid(document)["after"][0]["offeredCapacity"] = 5000

    edit(plan_file, consistent)
    refused(capsys, sandbox, plan_file, "does not match its digest", "changed after `plan` wrote it")
    shown = run(capsys, "show", str(plan_file))
    assert shown.exit_code == 1 and "does not match its digest" in shown.err


def test_deadlines_are_recomputed_not_trusted(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)
    sandbox.set_clock("2026-11-23T07:31:00+01:00")  # the FCR bid's deadline, 07:30, has passed

    def later(document: Document) -> None:
        bid(document)["deadline"] = "2030-01-01T00:00:00Z"
        document["expires_at"] = "2030-01-01T00:00:00Z"

    edit(plan_file, later, resign=True)
    refused(
        capsys,
        sandbox,
        plan_file,
        "the plan records the deadline 2030-01-01 01:00 CET, but it is 2026-11-23 07:30 CET",
    )

    def schedule_only(document: Document) -> None:  # a schedule's deadline needs the live asset
        document["requests"] = [request(document, schedule(document))]
        document["changes"] = [{**schedule(document), "request": 0, "deadline": "2030-01-01T00:00:00Z"}]

    edit(plan_file, schedule_only, resign=True)
    refused(capsys, sandbox, plan_file, "the plan records the deadline 2030-01-01 01:00 CET")


def test_every_object_a_change_touches_needs_a_fingerprint(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)
    original = plan_file.read_text()

    edit(plan_file, lambda d: d.update(fingerprints={}), resign=True)
    refused(capsys, sandbox, plan_file, f"writes virtual asset {MUNICH}, which the plan did not read")

    plan_file.write_text(original)
    edit(plan_file, lambda d: d["fingerprints"].pop(f"{MUNICH}/fcr/2026-11-24"), resign=True)
    refused(capsys, sandbox, plan_file, f"touches {MUNICH}/fcr/2026-11-24 without a fingerprint")


def test_a_change_for_an_asset_the_plan_did_not_read_is_refused(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)

    def to_berlin(document: Document) -> None:  # consistent in every field the file has
        change = bid(document)
        change["virtual_asset"] = BERLIN
        carrier = request(document, change)
        carrier["path"] = carrier["path"].replace(MUNICH, BERLIN)

    edit(plan_file, to_berlin, resign=True)
    refused(capsys, sandbox, plan_file, f"writes virtual asset {BERLIN}, which the plan did not read")


def test_a_schedule_for_another_block_is_refused_against_the_live_asset(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)

    def other_block(document: Document) -> None:
        change = schedule(document)
        carrier = request(document, change)
        carrier["path"] = carrier["path"].replace(change["block"], "other-block")
        change["block"] = "other-block"

    edit(plan_file, other_block, resign=True)
    refused(
        capsys, sandbox, plan_file, "the plan writes block other-block, but the asset's wholesale block is"
    )


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_at_load(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], constant: str
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)
    text = plan_file.read_text()
    plan_file.write_text(text.replace('"offeredCapacity": 2000', f'"offeredCapacity": {constant}', 1))
    refused(capsys, sandbox, plan_file, f"{constant} is not a number a plan can hold")


def test_plan_files_over_the_cap_are_refused_before_parsing(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:  # sparse: no disk is used, and nothing reads it
        handle.truncate(MAX_PLAN_FILE_BYTES + 1)
    shown = run(capsys, "show", str(huge))
    assert shown.exit_code == 1 and "over the 64 MiB a plan file may have" in shown.err

    plan_file = saved_plan(sandbox, tmp_path, capsys)
    monkeypatch.setattr(planfile, "MAX_PLAN_FILE_BYTES", plan_file.stat().st_size - 1)
    refused(capsys, sandbox, plan_file, "a plan file may have; refused without reading it")


def test_a_plan_of_another_format_version_is_refused(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)
    edit(plan_file, lambda d: d.update(format_version="1"))
    refused(capsys, sandbox, plan_file, "expected a plan with format_version '3', found '1'")
