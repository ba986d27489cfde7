"""Random secrets through every command's error paths: no form of them in any output or file.

Each secret (control characters, quotes, backslashes, ``%``, ``+``, unicode) is the password or the
token in the environment while the commands run against a sandbox over HTTP: refused
credentials, a token a header cannot carry, an unreachable platform, a platform answering 503,
and a manifest that echoes the secret back in its diagnostics (what a hostile file would do).
``-v`` logs every request; outputs are text, JSON and markdown; ``plan --out`` writes a file.
"""

from __future__ import annotations

import functools
import json
import socket
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from reconciler.platform import RetryPolicy
from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import PASSWORD, USERNAME, portfolio_project
from tests.security.secret_forms import SECRETS, leaks
from tests.support.harness import MUNICH, ORG, Result, run

SCENARIOS = ["refused password", "refused token", "unreachable", "platform down", "echoed by a manifest"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def header_safe(secret: str) -> bool:
    return all(0x20 <= ord(char) < 0x7F for char in secret)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=SECRETS)
@example(secret='ab\r\ncd-ef"gh')
@example(secret="p%2Bass'wo\\rd é😀+ ")
def test_no_form_of_a_random_secret_reaches_any_output(
    scenario: str,
    secret: str,
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = secret.strip()
    root = portfolio_project(tmp_path / uuid.uuid4().hex, sandbox.url)
    plan_file = root / "plan.json"
    for name in ("LAYR_USERNAME", "LAYR_PASSWORD", "LAYR_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAYR_USERNAME", USERNAME)
    monkeypatch.setenv("LAYR_PASSWORD", secret)
    fast = functools.partial(RetryPolicy, base_delay=0.001, max_delay=0.005)
    monkeypatch.setattr("reconciler.platform.client.RetryPolicy", fast)
    monkeypatch.setattr("reconciler.platform.reading.READ_RETRY_SECONDS", 0.5)  # a down platform, sooner
    results: list[Result] = []

    def cli(*args: str) -> int:
        results.append(run(capsys, *args))
        return results[-1].exit_code

    if scenario == "refused password":
        assert cli("plan", str(root), "-v", "--format", "json", "--out", str(plan_file)) == 1
        assert cli("apply", str(root), "--auto-approve", "-v") == 1
        assert cli("import", "--virtual-asset", MUNICH, "--config", str(root / "reconciler.yaml")) == 1
        assert cli("status", str(root), "--format", "json") == 1
    elif scenario == "refused token":  # sent first, refused, then a fresh login works
        monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
        monkeypatch.setenv("LAYR_TOKEN", secret)
        expected = 0 if header_safe(secret) else 1
        assert cli("plan", str(root), "-v", "--format", "json", "--out", str(plan_file)) == expected
        assert cli("drift", str(root), "-v", "--format", "markdown") in ((0, 2) if expected == 0 else (1,))
        monkeypatch.delenv("LAYR_USERNAME")
        monkeypatch.delenv("LAYR_PASSWORD")
        assert cli("plan", str(root), "-v", "--format", "markdown") == 1  # the token alone: refused
    elif scenario == "unreachable":
        elsewhere = ("--api-url", f"http://127.0.0.1:{closed_port()}", "--organisation", ORG)
        assert cli("plan", str(root), "-v", "--format", "json", *elsewhere) == 1
        assert cli("apply", str(root), "--auto-approve", "-v", *elsewhere) == 1
        assert cli("watch", str(root), "--once", *elsewhere) == 1
    elif scenario == "platform down":
        sandbox.set_faults(errorRate=1, statuses=[503])
        try:
            assert cli("plan", str(root), "-v", "--format", "markdown", "--out", str(plan_file)) == 1
            assert cli("drift", str(root), "-v", "--format", "json") == 1
            assert cli("status", str(root), "--format", "markdown") == 1
        finally:
            sandbox.set_faults()
    else:
        hostile = (root / "munich-1.yaml").read_text().replace(MUNICH, json.dumps(secret), 1)
        (root / "munich-1.yaml").write_text(hostile, encoding="utf-8")
        assert cli("validate", str(root)) == 1
        assert cli("validate", str(root), "--format", "json") == 1
        assert cli("plan", str(root), "-v", "--format", "json") == 1

    assert all("Traceback" not in r.err and "internal error" not in r.err for r in results), results
    texts = [r.out + r.err for r in results]
    if plan_file.exists():
        texts.append(plan_file.read_text(encoding="utf-8"))
    assert not leaks(secret, texts)
