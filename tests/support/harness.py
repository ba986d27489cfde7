"""A project folder (reconciler.yaml + manifests) aimed at a running sandbox, and a CLI runner."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main

MUNICH = "7c1e0d4e-0000-4000-8000-000000000001"
BERLIN = "7c1e0d4e-0000-4000-8000-000000000002"
HAMBURG = "7c1e0d4e-0000-4000-8000-000000000003"
LEIPZIG_PORTFOLIO = "5f3a9c2e-0000-4000-8000-00000000a004"  # one-day assets, examples/sandbox-fixture.yaml
LEIPZIG_TODAY = "7c1e0d4e-0000-4000-8000-000000001123"  # lives 2026-11-23 (the fixture's today)
LEIPZIG_TOMORROW = "7c1e0d4e-0000-4000-8000-000000001124"  # lives 2026-11-24
ORG = "org-demo"


@dataclass
class Result:
    exit_code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run the real CLI entry point (with its error handler) in-process."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def write_project(root: Path, url: str, manifests: dict[str, str], ancillary_api: str | None = None) -> Path:
    """A project whose default target is the running sandbox at ``url`` (kind emulator), speaking
    ``ancillary_api`` (``unified`` or ``legacy``; the default when None)."""
    root.mkdir(parents=True, exist_ok=True)
    api = f", ancillaryApi: {ancillary_api}" if ancillary_api else ""
    (root / "reconciler.yaml").write_text(
        f"default: local\ntargets:\n  local: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}{api}}}\n"
    )
    for name, text in manifests.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


def manifest(name: str, va: str, body: str) -> str:
    """A VirtualAsset document with ``body`` (YAML, already indented for ``spec:``)."""
    head = f"apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata:\n  name: {name}\nspec:\n  virtualAsset: {va}\n"
    return head + textwrap.indent(textwrap.dedent(body), "  ")


def writes(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["method"] in ("PUT", "POST") and not r["path"].startswith("/auth")]


def written_bids(requests: list[dict[str, Any]]) -> list[str]:
    """The productDateCodes the bid writes of a request log name, in order, whichever ancillary
    API sent them: one per legacy PUT (the path's last segment), one per item of a unified POST."""
    codes: list[str] = []
    for entry in writes(requests):
        body, path = entry.get("body"), str(entry["path"])
        if path.endswith("/ancillary/bids") and isinstance(body, list):
            codes += [f"{item['deliveryDay']}_{item['product']}" for item in body if isinstance(item, dict)]
        elif "/ancillary/" in path:
            codes.append(path.rsplit("/", 1)[1])
    return codes
