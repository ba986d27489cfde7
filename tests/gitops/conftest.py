"""The third-party tools of the desk, installed once per test session (see tests/support/node_tools.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.node_tools import ToolMissing, chromium, node_tools


@pytest.fixture(scope="session")
def node_bin() -> Path:
    """``node_modules/.bin`` with ``mmdc`` (mermaid-cli) and ``yaml-language-server``."""
    try:
        return node_tools()
    except ToolMissing as missing:
        pytest.skip(f"the JavaScript tools cannot be installed here: {missing}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        return chromium()
    except ToolMissing as missing:
        pytest.skip(f"Chromium cannot be installed here: {missing}")
