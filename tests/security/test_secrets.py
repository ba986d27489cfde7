"""No password or token ever appears: in any command's output, in any format, with ``--verbose``,
in plan files and written manifests, or in error messages.

The secrets are known exactly: the password of the fixture and the environment, the token given in
``LAYR_TOKEN``, and every token the sandbox issued (read from its state after the runs, so a
token the client forgot to mask is caught too). Every byte the commands print or write is scanned.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.platform import RetryPolicy
from reconciler.sandbox.fixture import FixtureError, load_fixture
from reconciler.sandbox.server import RunningSandbox
from reconciler.sandbox.state import SandboxState
from tests.processes import serve_sandbox_then_interrupt
from tests.reliability.reliability_helpers import portfolio_project
from tests.support.harness import MUNICH, Result, run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
USER = "demo"
PASSWORD = "pw-Zq9rT4-never-print-7731"  # nothing else in any output could contain this by chance
MakeSandbox = Callable[[Any], RunningSandbox]


def fixture_with_secret(tmp_path: Path, token_seconds: int = 60) -> Path:
    text = (EXAMPLES / "sandbox-fixture.yaml").read_text(encoding="utf-8")
    text = text.replace("password: demo-password", f"password: {PASSWORD}")
    text = text.replace("tokenExpiresIn: 3600", f"tokenExpiresIn: {token_seconds}")
    path = tmp_path / "fixture.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def issued_tokens() -> set[str]:
    """Every access token any live sandbox of this process has handed out."""
    return {token for obj in gc.get_objects() if isinstance(obj, SandboxState) for token in obj.tokens}


def login(sandbox: RunningSandbox) -> str:
    answer = httpx.post(
        f"{sandbox.url}/auth/public/authenticate", json={"username": USER, "password": PASSWORD}
    )
    return str(answer.json()["access_token"])


class Transcript:
    """Everything the commands printed, and the files they wrote."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.texts: list[str] = []
        self.codes: list[tuple[tuple[str, ...], int]] = []

    def run(self, *args: str) -> Result:
        result = run(self.capsys, *args)
        self.texts.append(result.out + result.err)
        self.codes.append((args, result.exit_code))
        return result

    def assert_free_of(self, secrets: set[str], files: list[Path]) -> None:
        texts = self.texts + [f.read_text(encoding="utf-8", errors="replace") for f in files]
        assert len(secrets) >= 3 and all(len(s) >= 16 for s in secrets)
        for text in texts:
            for secret in secrets:
                assert secret not in text, f"a secret leaked into:\n{text[:2000]}"


@pytest.mark.slow
def test_no_command_format_or_verbosity_prints_a_secret(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = make_sandbox(fixture_with_secret(tmp_path))
    env_token = login(sandbox)
    monkeypatch.setenv("LAYR_USERNAME", USER)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    monkeypatch.setenv("LAYR_TOKEN", env_token)  # used first; expires mid-way, then a fresh login
    root = portfolio_project(tmp_path / "project", sandbox.url)
    plan_file, imported = root / "plan.json", tmp_path / "imported.yaml"
    log = Transcript(capsys)

    # --verbose adds the request log on standard error to exactly the output of a plain run
    log.run("validate", str(root))
    log.run("plan", str(root))
    for output_format in ("text", "json"):
        log.run("validate", str(root), "--format", output_format, "--verbose")
    for output_format in ("text", "json", "markdown"):
        log.run("plan", str(root), "--format", output_format, "--verbose")
        log.run("drift", str(root), "--format", output_format, "--verbose")
    sandbox.advance(61)  # every token so far has expired: the next command renews its login
    assert log.run("plan", str(root), "--out", str(plan_file), "--verbose").exit_code == 0
    for output_format in ("text", "json", "markdown"):
        log.run("show", str(plan_file), "--format", output_format)
    assert log.run("apply", str(plan_file), "--target", "local", "--verbose").exit_code == 0
    log.run(
        "import", "--virtual-asset", MUNICH, "--target", "local", "--config", str(root / "reconciler.yaml")
    )
    log.run(
        "import", "--virtual-asset", MUNICH, "--out", str(imported), "--config", str(root / "reconciler.yaml")
    )
    sandbox.advance(61)
    log.run("drift", str(root), "--adopt", "--verbose")
    log.run("apply", str(root), "--auto-approve", "--verbose")

    # failures: a refused password, an expired token alone, a platform that is down
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD[::-1])
    monkeypatch.delenv("LAYR_TOKEN")
    assert log.run("plan", str(root), "--verbose").exit_code == 1
    monkeypatch.delenv("LAYR_USERNAME")
    monkeypatch.delenv("LAYR_PASSWORD")
    monkeypatch.setenv("LAYR_TOKEN", env_token)
    assert log.run("apply", str(root), "--auto-approve", "--verbose").exit_code == 1
    monkeypatch.setenv("LAYR_USERNAME", USER)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    fast = functools.partial(RetryPolicy, base_delay=0.01, max_delay=0.05)
    monkeypatch.setattr("reconciler.platform.client.RetryPolicy", fast)  # the same retries, sooner
    monkeypatch.setattr("reconciler.platform.reading.READ_RETRY_SECONDS", 0.5)  # and for less long
    sandbox.set_faults(errorRate=1, statuses=[503])
    assert log.run("drift", str(root), "--verbose").exit_code == 1
    assert log.run("apply", str(plan_file), "--target", "local", "--verbose").exit_code == 1
    sandbox.set_faults()

    assert all(code in (0, 1, 2) for _, code in log.codes), log.codes
    assert any("debug: " in text for text in log.texts)  # --verbose did log the requests
    secrets = {PASSWORD, PASSWORD[::-1], env_token} | issued_tokens()
    assert len(secrets) >= 6  # the logins of many commands, and the renewals
    written = [p for p in root.rglob("*") if p.is_file()] + [imported]
    log.assert_free_of(secrets, written)


def test_the_sandbox_command_prints_no_password_even_when_the_fixture_is_wrong(tmp_path: Path) -> None:
    fixture = fixture_with_secret(tmp_path)
    lines, rest = serve_sandbox_then_interrupt(fixture)
    banner = "".join(lines)
    assert "users demo" in banner and PASSWORD not in banner + rest

    # passwords that YAML reads as numbers, or that are not text at all: refused, never echoed
    for numeric in ("42424242", "4242424242424242", "42.4242", "1e9"):
        for mistake in (numeric, f"[{numeric}]", f"{{x: {numeric}}}"):
            broken = tmp_path / "broken.yaml"
            broken.write_text(fixture.read_text().replace(f"password: {PASSWORD}", f"password: {mistake}"))
            with pytest.raises(FixtureError) as refused:
                load_fixture(broken)
            assert numeric not in str(refused.value), str(refused.value)
