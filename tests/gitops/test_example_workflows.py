"""The example GitHub workflows: their reconciler steps run for real against a sandbox.

A repository like a user's (``manifests/`` + ``reconciler.yaml`` whose ``production`` target is a
running sandbox, protected as a real one would be) gets the steps of each workflow in order:
what a pull request, a push to main and the hourly drift check would do.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.core.schemas import load_schema
from reconciler.platform.client import PlatformClient
from reconciler.platform.credentials import Credentials
from reconciler.render.markdown import MARKER
from tests.gitops.workflows import INSTALL_STEP, ROOT, Runner, load_workflow, only_job, triggers
from tests.support.harness import MUNICH, ORG, run, writes

USER, PASSWORD = "demo", "demo-password"  # the example fixture's user, as repository secrets


def user_repository(root: Path, api_url: str) -> Path:
    shutil.copytree(ROOT / "examples" / "portfolio", root / "manifests")
    (root / "reconciler.yaml").write_text(
        "targets:\n"
        f"  production: {{kind: emulator, apiUrl: '{api_url}', organisation: {ORG}, protected: true}}\n",
        encoding="utf-8",
    )
    return root


def runner(name: str, sandbox: Any, tmp_path: Path) -> Runner:
    expressions = {
        "secrets.LAYR_USERNAME": USER,
        "secrets.LAYR_PASSWORD": PASSWORD,
        "secrets.LAYR_TOKEN": "",  # not set in this repository
        "matrix.target": "production",
    }
    workspace = tmp_path / "repo"
    if not workspace.exists():
        user_repository(workspace, sandbox.url)
    runs = tmp_path / f"runner-{name}"
    runs.mkdir()
    return Runner(load_workflow(name), workspace, expressions, runs)


def test_each_workflow_installs_reconciler_once_and_runs_only_reconciler_commands() -> None:
    for name in ("reconciler-plan.yml", "reconciler-apply.yml", "reconciler-drift.yml"):
        steps = only_job(load_workflow(name))["steps"]
        install = [s for s in steps if s.get("id") == INSTALL_STEP]
        assert [s["run"] for s in install] == ['python -m pip install "$RECONCILER_PACKAGE"'], name
        assert steps[0]["uses"].startswith("actions/checkout@"), name


def test_pull_request_plan_posts_markdown_and_keeps_the_json_plan(sandbox: Any, tmp_path: Path) -> None:
    job = runner("reconciler-plan.yml", sandbox, tmp_path)
    assert set(triggers(job.workflow)) == {"pull_request"}
    assert "manifests/**" in job.workflow["on"]["pull_request"]["paths"]

    assert [s["name"] for s in job.run_steps()] == [
        "Validate the manifests",
        "Plan",
        "Fail when the plan failed",
    ]
    validated = job.run("Validate the manifests")
    assert validated.exit_code == 0, validated.stderr
    assert validated.stdout.strip() == "3 manifests, 0 errors, 0 warnings"
    planned = job.run("Plan")
    assert planned.exit_code == 0, planned.stderr
    assert planned.outputs == {"exitcode": "0"}

    comment = (job.workspace / "plan.md").read_text()
    assert comment.startswith(MARKER)
    assert "**Plan: 10 to create, 3 to update, 0 to delete — 13 requests**" in comment
    assert "```mermaid" in comment
    assert comment in job.summary.read_text()
    plan = json.loads((job.workspace / "plan.json").read_text())  # what the artifact step uploads
    jsonschema.validate(plan, load_schema("plan.schema.json"))
    assert plan["target"] == {
        "name": "production",
        "api_url": sandbox.url,
        "organisation": ORG,
        "embedded": False,
        "kind": "emulator",
        "config": str((job.workspace / "reconciler.yaml").resolve()),
        "protected": True,
    }
    assert job.step("Keep the full plan as an artifact")["with"]["path"] == "plan.json"
    assert writes(sandbox.requests()) == []  # a plan writes nothing


def test_pull_request_with_a_broken_manifest_still_updates_the_comment(sandbox: Any, tmp_path: Path) -> None:
    job = runner("reconciler-plan.yml", sandbox, tmp_path)
    munich = job.workspace / "manifests" / "munich-1.yaml"
    munich.write_text(munich.read_text().replace("capacity: 2,", "capacity: 1.5,", 1))

    assert job.run("Validate the manifests").exit_code == 1
    planned = job.run("Plan")  # runs after a failed validation too (`!cancelled()`)
    assert "!cancelled()" in job.step("Plan")["if"]
    assert planned.exit_code == 0 and planned.outputs == {"exitcode": "1"}
    comment = (job.workspace / "plan.md").read_text()
    assert comment.startswith(MARKER)
    assert "**No plan:** `reconciler plan` stopped (exit 1)" in comment
    assert "munich-1.yaml" in comment and "bid-capacity-step" in comment
    assert not (job.workspace / "plan.json").exists()
    failed = job.run("Fail when the plan failed")
    assert failed.exit_code == 1
    assert "::error title=reconciler plan::the plan failed (exit 1)" in failed.stdout


def test_push_to_main_plans_on_the_merge_commit_and_applies_exactly_that_plan(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    job = runner("reconciler-apply.yml", sandbox, tmp_path)
    assert job.workflow["on"]["push"]["branches"] == ["main"]
    assert job.job["concurrency"] == {
        "group": "reconciler-apply-${{ matrix.target }}",
        "cancel-in-progress": False,
    }
    assert {k: v for k, v in job.job["env"].items() if k.startswith("LAYR_")} == {
        "LAYR_USERNAME": "${{ secrets.LAYR_USERNAME }}",
        "LAYR_PASSWORD": "${{ secrets.LAYR_PASSWORD }}",
        "LAYR_TOKEN": "${{ secrets.LAYR_TOKEN }}",
    }

    names = [s["name"] for s in job.run_steps()]
    assert names == ["Validate the manifests", "Plan on the merge commit", "Apply exactly that plan"]
    for name in names:
        result = job.run(name)
        assert result.exit_code == 0, f"{name}: {result.stdout}{result.stderr}"

    assert "Apply: 13 applied, 0 failed, 0 missed, 0 not attempted." in result.stdout
    assert len(writes(sandbox.requests())) == 13
    assert job.summary.read_text().startswith(MARKER)  # the plan, for the run's summary page
    assert (job.workspace / "plan.json").is_file()  # the artifact

    monkeypatch.setenv("LAYR_USERNAME", USER)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    again = run(capsys, "plan", str(job.workspace / "manifests"), "--target", "production")
    assert again.exit_code == 0, again.err
    assert "No changes" in again.out


def test_scheduled_drift_fails_visibly_and_passes_once_live_matches(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    job = runner("reconciler-drift.yml", sandbox, tmp_path)
    assert [entry["cron"] for entry in job.workflow["on"]["schedule"]] == ["17 * * * *"]
    assert [s["name"] for s in job.run_steps()] == ["Drift"]

    drifted = job.run("Drift")  # the fresh sandbox has none of the manifests' values
    assert drifted.exit_code == 2
    assert "::error title=Drift on production::" in drifted.stdout
    assert "changed outside reconciler" in job.summary.read_text()

    monkeypatch.setenv("LAYR_USERNAME", USER)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    manifests = str(job.workspace / "manifests")
    applied = run(capsys, "apply", manifests, "--target", "production", "--auto-approve")
    assert applied.exit_code == 0, applied.err
    clean = job.run("Drift")
    assert clean.exit_code == 0, clean.stdout + clean.stderr
    assert "No drift" in clean.stdout and "::error" not in clean.stdout

    credentials = Credentials(username=USER, password=PASSWORD)
    with PlatformClient(sandbox.url, ORG, credentials) as someone_else:
        block = someone_else.get_virtual_asset(MUNICH).wholesale_block_id
        assert block is not None
        someone_else.put_schedule(MUNICH, block, {datetime(2026, 11, 24, 12, 0, tzinfo=UTC): Decimal(1000)})
    again = job.run("Drift")
    assert again.exit_code == 2
    assert "munich-1/wholesale 2026-11-24 13:00 CET" in again.stdout
