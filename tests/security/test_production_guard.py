"""The production guard follows the platform (API URL and organisation), not a target's name.

A running sandbox stands in for production (``protected: true`` in reconciler.yaml). Every way
around the guard the issue found is tried over HTTP and must be refused with no write: the
protected URL given with ``--api-url`` (spelled differently), a second unprotected target with
the same URL, a default that resolves to it, a saved plan edited to forget its config and its
protection. Approving with the target named, or its name typed at a terminal, writes.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import httpx
import pytest

from reconciler.plan.planfile import content_digest
from reconciler.project.config import resolve_target
from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import PORTFOLIO_REQUESTS, portfolio_project
from tests.support.harness import ORG, Result, run, writes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


pytestmark = pytest.mark.usefixtures("demo_credentials")


def guarded_project(root: Path, url: str, default: str = "local") -> Path:
    """The example portfolio; ``production`` is the sandbox at ``url``, protected; ``alias`` is the
    same platform and organisation under another name and spelling, not marked protected."""
    project = portfolio_project(root, url)
    port = httpx.URL(url).port
    (project / "reconciler.yaml").write_text(
        f"default: {default}\ntargets:\n"
        f"  local: {{kind: embedded, fixture: '{EXAMPLES / 'sandbox-fixture.yaml'}', organisation: {ORG}}}\n"
        f"  production: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}, protected: true}}\n"
        f"  alias: {{kind: emulator, apiUrl: 'http://LOCALHOST:{port}/', organisation: {ORG}}}\n"
    )
    return project


def refused_without_a_write(result: Result, sandbox: RunningSandbox, *expected: str) -> None:
    assert result.exit_code == 1, result.out + result.err
    assert "Traceback" not in result.err
    for text in expected:
        assert text in result.err, result.err
    assert writes(sandbox.requests()) == []


class Terminal(io.StringIO):
    """Standard input at a terminal where the person types ``answer``."""

    def isatty(self) -> bool:
        return True


def test_the_protected_url_given_with_api_url_is_protected(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = guarded_project(tmp_path / "p", sandbox.url)
    port = httpx.URL(sandbox.url).port
    for url in (sandbox.url, f"http://localhost:{port}/"):
        result = run(capsys, "apply", str(project), "--api-url", url, "--organisation", ORG, "--auto-approve")
        refused_without_a_write(result, sandbox, "protected", "--target production --auto-approve")
        assert not [r for r in sandbox.requests() if r["path"].startswith("/organisations")]  # before reads
    spelled = resolve_target(  # the sandbox listens on 127.0.0.1 only: this spelling is resolved, not run
        [project], config=None, target=None, api_url=f"http://[::1]:{port}", organisation=ORG
    )
    assert spelled.protection is not None and spelled.protection.names == ("production",)
    other_org = resolve_target([project], config=None, target=None, api_url=sandbox.url, organisation="org-x")
    assert other_org.protection is None  # protection belongs to the URL *and* the organisation


def test_another_target_with_the_same_url_and_organisation_is_protected(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = guarded_project(tmp_path / "p", sandbox.url)
    result = run(capsys, "apply", str(project), "--target", "alias", "--auto-approve")
    refused_without_a_write(result, sandbox, "target 'production'", "--target production --auto-approve")

    as_default = guarded_project(tmp_path / "d", sandbox.url, default="alias")
    result = run(capsys, "apply", str(as_default), "--auto-approve")
    refused_without_a_write(result, sandbox, "is protected", "pass --target production")

    named = run(capsys, "apply", str(project), "--target", "production", "--auto-approve")
    assert named.exit_code == 0, named.out + named.err
    assert len(writes(sandbox.requests())) == PORTFOLIO_REQUESTS


@pytest.mark.parametrize("edit", ["config null", "config null and unprotected", "moved out of the project"])
def test_a_saved_plan_edited_to_drop_its_protection_is_still_protected(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: str
) -> None:
    project = guarded_project(tmp_path / "p", sandbox.url)
    plan_file = project / "plan.json"
    assert run(capsys, "plan", str(project), "--target", "production", "--out", str(plan_file)).exit_code == 0
    data = json.loads(plan_file.read_text())
    assert data["target"]["protected"] is True  # the plan records it
    data["target"]["config"] = None
    if edit == "config null and unprotected":  # the project's config, found beside the plan, still protects
        data["target"]["protected"] = False
    if edit == "moved out of the project":  # no config to find there: the recorded protection holds
        plan_file = tmp_path / "elsewhere" / "plan.json"
        plan_file.parent.mkdir()
    data["digest"] = content_digest(data)  # the digest is no signature: whoever edits can recompute it
    plan_file.write_text(json.dumps(data))

    no_terminal = run(capsys, "apply", str(plan_file))
    refused_without_a_write(no_terminal, sandbox, "protected")
    unnamed = run(capsys, "apply", str(plan_file), "--auto-approve")
    refused_without_a_write(unnamed, sandbox, "protected", "--auto-approve")


def test_a_protected_saved_plan_applies_with_its_name_typed_or_named_with_auto_approve(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = guarded_project(tmp_path / "p", sandbox.url)
    plan_file = project / "plan.json"
    assert run(capsys, "plan", str(project), "--target", "production", "--out", str(plan_file)).exit_code == 0

    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    refused_without_a_write(run(capsys, "apply", str(plan_file)), sandbox, "'production' was not typed")
    monkeypatch.setattr(sys, "stdin", Terminal("production\n"))
    typed = run(capsys, "apply", str(plan_file))
    assert typed.exit_code == 0, typed.out + typed.err
    assert "Type 'production' to apply" in typed.out
    assert len(writes(sandbox.requests())) == PORTFOLIO_REQUESTS


def test_an_unprotected_saved_plan_applies_without_a_question_as_the_help_says(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    helped = run(capsys, "apply", "--help")
    assert "A saved plan was reviewed when it was made: it applies without a question" in " ".join(
        helped.out.split()
    )
    project = portfolio_project(tmp_path / "p", sandbox.url)  # its one target is not protected
    plan_file = project / "plan.json"
    assert run(capsys, "plan", str(project), "--out", str(plan_file)).exit_code == 0
    applied = run(capsys, "apply", str(plan_file))  # no --auto-approve, no terminal
    assert applied.exit_code == 0, applied.out + applied.err
    assert len(writes(sandbox.requests())) == PORTFOLIO_REQUESTS


def test_the_production_platform_is_protected_without_any_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "no-config"
    shutil.copytree(EXAMPLES / "portfolio", project)
    monkeypatch.setenv("LAYR_TOKEN", "tok-never-sent-to-production-1")
    for url in ("https://api.trlyr.com", "https://API.trlyr.com:443/"):
        result = run(
            capsys, "apply", str(project), "--api-url", url, "--organisation", "org-x", "--auto-approve"
        )
        assert result.exit_code == 1, result.out + result.err
        assert "api.trlyr.com is the LAYR production platform" in result.err, result.err
        assert "no answer" not in result.err  # refused before any request was sent
    staging = resolve_target(
        [project], config=None, target=None, api_url="https://api.trlyr.com/", organisation="any-org"
    )
    assert staging.protection is not None and staging.protection.names == ()
