"""``apply --format json`` over HTTP against the sandbox: one document a script can trust.

Each write carries its status, how often its request was sent (compared with what the sandbox's
request log saw), and why it was not applied; the summary, what was held back and why, and a
refusal are in the document too. Every document is checked against schemas/apply.schema.json.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import MUNICH, manifest, run, write_project, writes
from tests.support.schemas import assert_matches_schema

SCHEDULE_AND_BID = manifest(
    "munich-1",
    MUNICH,
    """\
    wholesale: {mode: partial, schedule: [{at: "2026-11-24T10:00", power: -1000}]}
    fcr: {bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 1000, capacityPrice: 100}]}
    """,
)
# an FCR bid for 2026-11-23 closed at 07:30 on 2026-11-22: an error that holds back only that bid
LATE_BID = manifest(
    "munich-1",
    MUNICH,
    """\
    wholesale: {mode: partial, schedule: [{at: "2026-11-24T10:00", power: -1000}]}
    fcr: {bids: [{day: 2026-11-23, product: NEGPOS_08_12, capacity: 1000, capacityPrice: 100}]}
    """,
)


pytestmark = pytest.mark.usefixtures("demo_credentials")


def applied_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    result = run(capsys, "apply", *args, "--format", "json")
    document = json.loads(result.out)  # standard output is the document and nothing else
    assert_matches_schema(document, "apply.schema.json")
    assert document["ok"] is (result.exit_code == 0)
    return result.exit_code, document, result.err


def test_each_write_reports_how_often_it_was_sent_as_the_platform_saw_it(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": SCHEDULE_AND_BID})
    sandbox.set_faults(errorRate=0.5, statuses=[503], methods=["PUT", "POST"], seed=1)
    code, document, err = applied_json(capsys, str(project), "--auto-approve")
    assert code == 0, err
    assert [(w["address"], w["kind"], w["action"], w["status"], w["error"]) for w in document["writes"]] == [
        ("munich-1/wholesale", "schedule", "update", "applied", None),
        ("munich-1/fcr/2026-11-24_NEGPOS_08_12", "fcr_bid", "create", "applied", None),
    ]
    sent = Counter((r["method"], r["path"]) for r in writes(sandbox.requests()))
    schedule = next(request for request in sent if request[0] == "PUT")
    bids = next(request for request in sent if request[0] == "POST")  # the unified API's grouped write (D18)
    attempts = [w["attempts"] for w in document["writes"]]
    assert attempts == [sent[schedule], sent[bids]]
    assert sum(attempts) > 2  # this seed makes the platform answer 503 at least once: retried
    assert document["summary"] == {"applied": 2, "failed": 0, "missed": 0, "not_attempted": 0, "held_back": 0}
    assert (document["refused"], document["held_back"], document["reread_mismatches"]) == (None, [], [])
    assert document["target"]["api_url"] == sandbox.url and document["plan_digest"].startswith("sha256:")
    # what people read goes to standard error: the plan, one line per write and the summary
    assert "Plan: 1 to create, 1 to update" in err and "Apply: 2 applied, 0 failed" in err


def test_a_write_the_platform_refuses_is_failed_with_its_error_and_exit_1(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": SCHEDULE_AND_BID})
    sandbox.set_faults(errorRate=1, statuses=[400], methods=["PUT"], seed=1)
    code, document, _ = applied_json(capsys, str(project), "--auto-approve")
    assert code == 1
    schedule = document["writes"][0]
    assert (schedule["address"], schedule["status"], schedule["attempts"]) == (
        "munich-1/wholesale",
        "failed",
        1,
    )
    assert schedule["error"].startswith("the platform refused it: 400 ")  # a 400 is never retried
    assert (
        document["summary"]["applied"] == 1 and document["ok"] is False
    )  # the bid's POST still went through


def test_what_the_plan_held_back_is_listed_with_why(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": LATE_BID})
    code, document, _ = applied_json(capsys, str(project), "--auto-approve")
    assert code == 1
    assert [(w["address"], w["status"]) for w in document["writes"]] == [("munich-1/wholesale", "applied")]
    [held] = document["held_back"]
    assert held["address"] == "munich-1/fcr/2026-11-23_NEGPOS_08_12"
    assert held["reasons"] == [
        "bidding for 2026-11-23_NEGPOS_08_12 closed at 2026-11-22 07:30 CET; this bid can't be placed any more"
    ]
    assert document["summary"]["held_back"] == 1


def test_a_refused_plan_is_a_document_too(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": SCHEDULE_AND_BID})
    plan_file = tmp_path / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    first, applied, _ = applied_json(capsys, str(plan_file), "--target", "local")
    assert first == 0 and applied["summary"]["applied"] == 2

    again, refused, err = applied_json(capsys, str(plan_file), "--target", "local")
    assert again == 1
    assert refused["refused"] is not None and "stale" in refused["refused"]
    assert (refused["writes"], refused["plan_digest"]) == ([], applied["plan_digest"])
    assert f"error: {refused['refused']}" in err
    assert len(writes(sandbox.requests())) == 2  # the refusal wrote nothing


def test_manifest_errors_are_a_refusal_before_any_request(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": SCHEDULE_AND_BID, "n.yaml": SCHEDULE_AND_BID})
    code, document, err = applied_json(capsys, str(project), "--auto-approve")
    assert code == 1 and document["target"] is None and document["writes"] == []
    assert "error(s) in the manifests" in document["refused"] and "declared" in err
    assert sandbox.requests() == []
