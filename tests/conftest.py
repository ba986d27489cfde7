"""Shared fixtures: real sandboxes on ephemeral loopback ports (tests talk HTTP to them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.core.redaction import secrets_scope
from reconciler.sandbox.server import RunningSandbox, running_sandbox

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

MakeSandbox = Callable[[dict[str, Any] | Path | str], RunningSandbox]


class _FixtureDumper(yaml.SafeDumper):
    """Writes ``Decimal`` as a YAML number, so test fixtures can hold exact values."""


_FixtureDumper.add_representer(
    Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value))
)


@pytest.fixture(autouse=True)
def apply_locks_of_this_test(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Apply locks and applied-plan records in a folder of this test's own (also for the commands it
    runs as subprocesses): sandboxes of different tests may reuse a loopback port."""
    folder = tmp_path_factory.mktemp("locks")
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def secrets_of_this_test() -> Iterator[None]:
    """The secrets a test's commands register (passwords, every token a login hands out) are
    forgotten after it, as they are when a command's process ends: else each worker's redaction
    pattern grows with every login of the suite, and every output line pays for it."""
    with secrets_scope():
        yield


@pytest.fixture
def demo_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example fixture's user and password in the environment, and no token."""
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")
    monkeypatch.delenv("LAYR_TOKEN", raising=False)


@pytest.fixture
def example_fixture_path() -> Path:
    """``examples/sandbox-fixture.yaml``: the embedded sandbox of ``reconciler plan examples/``."""
    return EXAMPLES / "sandbox-fixture.yaml"


@pytest.fixture
def sandbox(example_fixture_path: Path) -> Iterator[RunningSandbox]:
    """A fresh sandbox of the example fixture, served over HTTP for this one test."""
    with running_sandbox(example_fixture_path) as running:
        yield running


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[MakeSandbox]:
    """Factory: ``make_sandbox(fixture_dict_or_path)`` serves a sandbox of that fixture until the
    test ends. A dict is written as YAML into ``tmp_path`` first, so it is loaded like a file."""
    with ExitStack() as stack:
        count = 0

        def make(fixture: dict[str, Any] | Path | str) -> RunningSandbox:
            nonlocal count
            if isinstance(fixture, dict):
                count += 1
                path = tmp_path / f"sandbox-fixture-{count}.yaml"
                path.write_text(yaml.dump(fixture, Dumper=_FixtureDumper, sort_keys=False), encoding="utf-8")
                fixture = path
            return stack.enter_context(running_sandbox(fixture))

        yield make


SLOW_FOLDERS = ("reliability", "gitops")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Scenario folders (faults, kills, workflows run as CI runs them) are ``slow`` as a whole."""
    for item in items:
        if any(part in SLOW_FOLDERS for part in item.path.parent.relative_to(Path(__file__).parent).parts):
            item.add_marker(pytest.mark.slow)
