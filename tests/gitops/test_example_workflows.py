"""The example GitHub workflows: their reconciler steps run for real against a sandbox.

A repository like a user's (``manifests/`` + ``reconciler.yaml`` whose ``production`` target is a
running sandbox, protected as a real one would be) gets the steps of each workflow in order:
what a pull request, a push to main and the hourly drift check would do.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
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
from tests.gitops.workflows import (
    EXAMPLE_WORKFLOWS,
    INSTALL_STEP,
    ROOT,
    Runner,
    load_workflow,
    only_job,
    triggers,
)
from tests.reliability.reliability_helpers import PORTFOLIO_REQUESTS
from tests.support.harness import MUNICH, ORG, run, writes

USER, PASSWORD = "demo", "demo-password"  # the example fixture's user, as repository secrets
WORKFLOWS = ("reconciler-plan.yml", "reconciler-apply.yml", "reconciler-drift.yml")
CI_WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"  # the project's own CI is pinned the same way
PLATFORM_COMMANDS = re.compile(r"^\s*reconciler (plan|apply|drift)\b", re.MULTILINE)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def user_repository(root: Path, api_url: str) -> Path:
    """The user's repository as actions/checkout leaves it: a clone of ``origin`` at main's head."""
    shutil.copytree(ROOT / "examples" / "portfolio", root / "manifests")
    (root / "reconciler.yaml").write_text(
        "targets:\n"
        f"  production: {{kind: emulator, apiUrl: '{api_url}', organisation: {ORG}, protected: true}}\n",
        encoding="utf-8",
    )
    origin = root.parent / "origin.git"
    git(root.parent, "init", "-q", "--bare", "-b", "main", str(origin))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "manifests")
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main")
    return root


def runner(name: str, sandbox: Any, tmp_path: Path) -> Runner:
    expressions = {
        "secrets.LAYR_USERNAME": USER,
        "secrets.LAYR_PASSWORD": PASSWORD,
        "secrets.LAYR_TOKEN": "",  # not set in this repository
        "matrix.target": "production",
        "github.token": "",  # the checkout's origin is a local folder: no token needed
    }
    workspace = tmp_path / "repo"
    if not workspace.exists():
        user_repository(workspace, sandbox.url)
    runs = tmp_path / f"runner-{name}"
    runs.mkdir()
    defaults = {
        "GITHUB_SHA": git(workspace, "rev-parse", "HEAD"),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
    }
    return Runner(load_workflow(name), workspace, expressions, runs, defaults)


def test_each_workflow_installs_reconciler_once_and_runs_only_reconciler_commands() -> None:
    for name in WORKFLOWS:
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
    assert validated.stdout.strip() == "4 manifests, 0 errors, 0 warnings"
    planned = job.run("Plan")
    assert planned.exit_code == 0, planned.stderr
    assert planned.outputs == {"exitcode": "0"}

    comment = (job.workspace / "plan.md").read_text()
    assert comment.startswith(MARKER)
    assert "**Plan: 10 to create, 4 to update, 0 to delete — 12 requests**" in comment  # bids grouped (D18)
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
        "ancillary_api": "unified",
    }
    assert job.step("Keep the full plan as an artifact")["with"]["path"] == "plan.json"
    assert writes(sandbox.requests()) == []  # a plan writes nothing


def test_pull_request_with_a_broken_manifest_comments_the_rest_and_fails(
    sandbox: Any, tmp_path: Path
) -> None:
    job = runner("reconciler-plan.yml", sandbox, tmp_path)
    munich = job.workspace / "manifests" / "munich-1.yaml"
    munich.write_text(munich.read_text().replace("capacity: 2,", "capacity: 1.5,", 1))

    validated = job.run("Validate the manifests")
    assert validated.exit_code == 1
    assert validated.stdout.startswith("::error file=manifests/munich-1.yaml,line=")  # an annotation
    assert "title=reconciler bid-capacity-step::" in validated.stdout
    planned = job.run("Plan")  # runs after a failed validation too (`!cancelled()`)
    assert "!cancelled()" in job.step("Plan")["if"]
    assert planned.exit_code == 0 and planned.outputs == {"exitcode": "1"}
    comment = (job.workspace / "plan.md").read_text()
    assert comment.startswith(MARKER)
    assert "> [!CAUTION]" in comment and "> - munich-1: " in comment  # named as not planned
    assert "munich-1.yaml" in comment and "bid-capacity-step" in comment
    plan = json.loads((job.workspace / "plan.json").read_text())
    assert {c["asset"] for c in plan["changes"]} == {"berlin-2", "hamburg-3", "leipzig-daily"}  # the rest
    failed = job.run("Fail when the plan failed")
    assert failed.exit_code == 1
    assert "::error title=reconciler plan::the plan failed (exit 1)" in failed.stdout


def test_pull_request_whose_manifests_stop_the_run_says_there_is_no_plan(
    sandbox: Any, tmp_path: Path
) -> None:
    job = runner("reconciler-plan.yml", sandbox, tmp_path)
    manifests = job.workspace / "manifests"
    copy = (manifests / "munich-1.yaml").read_text().replace("name: munich-1", "name: munich-copy")
    (manifests / "copy.yaml").write_text(copy)  # one asset declared twice: nothing can be planned

    planned = job.run("Plan")
    assert planned.exit_code == 0 and planned.outputs == {"exitcode": "1"}
    comment = (job.workspace / "plan.md").read_text()
    assert "**No plan:** `reconciler plan` stopped (exit 1)" in comment
    assert "duplicate-virtual-asset" in comment
    assert not (job.workspace / "plan.json").exists()


def test_push_to_main_plans_on_the_merge_commit_and_applies_exactly_that_plan(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    job = runner("reconciler-apply.yml", sandbox, tmp_path)
    assert job.workflow["on"]["push"]["branches"] == ["main"]
    assert job.job["concurrency"] == {
        "group": "reconciler-apply-${{ matrix.target }}",
        "cancel-in-progress": False,
    }
    assert job.job["environment"] == "${{ matrix.target }}"

    names = [s["name"] for s in job.run_steps()]
    assert names == [
        "Refuse a commit that is no longer the head of its branch",
        "Validate the manifests",
        "Plan on the merge commit",
        "Apply exactly that plan",
    ]
    for name in names:
        result = job.run(name)
        assert result.exit_code == 0, f"{name}: {result.stdout}{result.stderr}"

    assert "Apply: 14 applied, 0 failed, 0 missed, 0 not attempted." in result.stdout
    assert len(writes(sandbox.requests())) == PORTFOLIO_REQUESTS
    assert job.summary.read_text().startswith(MARKER)  # the plan, for the run's summary page
    assert (job.workspace / "plan.json").is_file()  # the artifact

    monkeypatch.setenv("LAYR_USERNAME", USER)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    again = run(capsys, "plan", str(job.workspace / "manifests"), "--target", "production")
    assert again.exit_code == 0, again.err
    assert "No changes" in again.out


def test_push_to_main_with_an_erroring_asset_writes_the_others_and_fails(
    sandbox: Any, tmp_path: Path
) -> None:
    job = runner("reconciler-apply.yml", sandbox, tmp_path)
    csv = job.workspace / "manifests" / "schedules" / "hamburg-3.csv"
    csv.write_text(csv.read_text().replace("2026-11-24T01:15,-1500", "2026-11-24T01:15,oops", 1))

    assert job.run("Validate the manifests").exit_code == 1
    for name in ("Plan on the merge commit", "Apply exactly that plan"):
        assert "!cancelled()" in job.step(name)["if"]  # they run after a failed step too
    planned = job.run("Plan on the merge commit")
    assert planned.exit_code == 1 and (job.workspace / "plan.json").is_file()
    assert job.summary.read_text().startswith(MARKER)

    applied = job.run("Apply exactly that plan")
    assert applied.exit_code == 1  # the run fails ...
    assert "Apply: 10 applied, 0 failed, 0 missed, 0 not attempted." in applied.stdout  # ... after the rest
    assert "  hamburg-3: " in applied.stdout
    paths = [w["path"] for w in writes(sandbox.requests())]
    # munich-1 4, berlin-2 4, leipzig-daily 1
    assert len(paths) == 9 and not [p for p in paths if "000000000003" in p]


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


def test_a_rerun_of_an_old_apply_run_refuses_once_the_branch_has_moved_on(
    sandbox: Any, tmp_path: Path
) -> None:
    job = runner("reconciler-apply.yml", sandbox, tmp_path)
    check = "Refuse a commit that is no longer the head of its branch"
    current = job.run(check)
    assert current.exit_code == 0, current.stderr
    old = job.defaults["GITHUB_SHA"]

    newer = tmp_path / "newer"  # someone merges another change meanwhile
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(newer))
    (newer / "manifests" / "notes.txt").write_text("later\n", encoding="utf-8")
    git(newer, "add", "-A")
    git(newer, "commit", "-q", "-m", "later")
    git(newer, "push", "-q", "origin", "main")
    head = git(newer, "rev-parse", "HEAD")

    rerun = job.run(check)  # the old run, re-run: same GITHUB_SHA
    assert rerun.exit_code == 1
    assert rerun.stdout.startswith(
        f"::error title=Not the head of main::this run is for {old} but main is at {head}"
    )
    assert writes(sandbox.requests()) == []


def test_credentials_reach_only_the_steps_that_call_the_platform() -> None:
    for name in WORKFLOWS:
        workflow = load_workflow(name)
        job = only_job(workflow)
        for scope in (workflow, job):
            assert not [k for k in scope.get("env", {}) if k.startswith("LAYR_")], name
        for step in job["steps"]:
            with_credentials = {k for k in step.get("env", {}) if k.startswith("LAYR_")}
            calls = bool(PLATFORM_COMMANDS.search(step.get("run", "")))
            assert with_credentials == (
                {"LAYR_USERNAME", "LAYR_PASSWORD", "LAYR_TOKEN"} if calls else set()
            ), (
                name,
                step.get("name"),
            )
            assert "secrets." not in json.dumps(step.get("with", {})), (name, step.get("name"))
    # apply and drift reach production: their jobs run in an environment (approvals, scoped secrets)
    assert only_job(load_workflow("reconciler-apply.yml"))["environment"] == "${{ matrix.target }}"
    assert only_job(load_workflow("reconciler-drift.yml"))["environment"] == "${{ matrix.target }}-drift"


def test_third_party_actions_are_pinned_by_commit_and_reconciler_by_release() -> None:
    for path in [*(EXAMPLE_WORKFLOWS / name for name in WORKFLOWS), CI_WORKFLOW]:
        text = path.read_text(encoding="utf-8")
        uses = re.findall(r"uses: (\S+)(.*)", text)
        assert uses, path.name
        for action, comment in uses:
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", action), (path.name, action)
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), (path.name, action, comment)
    for name in WORKFLOWS:
        package = load_workflow(name)["env"]["RECONCILER_PACKAGE"]
        assert re.fullmatch(
            r"reconciler @ git\+https://github\.com/terralayr/reconciler@v\d+\.\d+\.\d+", package
        )
