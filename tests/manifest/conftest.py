"""Fixtures for manifest tests: real files in a temporary directory, read by the real loader."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.manifest import LoadResult, load_manifests
from tests.manifest.manifest_helpers import manifest_text

WriteFile = Callable[[str, str], Path]


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """Write ``text`` to ``tmp_path / relative`` (dedented) and return the path."""

    def _write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def load_spec(write: WriteFile) -> Callable[[str], LoadResult]:
    """Write one manifest with the given spec body to ``m.yaml`` and load it."""

    def _load(spec: str) -> LoadResult:
        return load_manifests([write("m.yaml", manifest_text(spec))])

    return _load
