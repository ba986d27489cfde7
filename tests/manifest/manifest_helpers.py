"""Shared helpers of the manifest tests (a unique module name: tests have no packages)."""

from __future__ import annotations

import textwrap

from reconciler.core.diagnostics import Diagnostic
from reconciler.manifest import LoadResult

ASSET_1 = "7c1e0d4e-0000-4000-8000-000000000001"
ASSET_2 = "7c1e0d4e-0000-4000-8000-000000000002"


def manifest_text(spec: str, *, name: str = "munich-1", asset: str = ASSET_1) -> str:
    """A complete manifest document whose ``spec`` continues with the given (dedented) YAML."""
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    return (
        "apiVersion: reconciler/v1\n"
        "kind: VirtualAsset\n"
        "metadata:\n"
        f"  name: {name}\n"
        "spec:\n"
        f"  virtualAsset: {asset}\n"
        f"{body}\n"
    )


def only(result: LoadResult, code: str) -> Diagnostic:
    """The single diagnostic with ``code``; fails listing all diagnostics otherwise."""
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, "\n".join(d.render() for d in result.diagnostics)
    return found[0]


def codes(result: LoadResult) -> list[str]:
    return [d.code for d in result.diagnostics]
