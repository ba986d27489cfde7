"""An editor catches what `reconciler validate` catches, where a schema can: the real YAML language
server (the one VS Code, Neovim and JetBrains use), spoken to over LSP, on an example manifest.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import run
from tests.support.lsp import LanguageServer

ROOT = Path(__file__).resolve().parents[2]
MUNICH = ROOT / "examples" / "portfolio" / "munich-1.yaml"
SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/manifest.schema.json"
SETTINGS = {
    "yaml": {
        "validate": True,
        "completion": True,
        "hover": True,
        "schemaStore": {"enable": False},  # no network: only the schema the file names
        "format": {"enable": False},
    }
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout-like folder: the schemas, and the example's folder where the manifest goes."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "examples" / "portfolio").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def server(node_bin: Path, workspace: Path) -> Iterator[LanguageServer]:
    with LanguageServer([str(node_bin / "yaml-language-server"), "--stdio"], workspace, SETTINGS) as ls:
        yield ls


def flagged(diagnostics: list[dict[str, Any]]) -> dict[int, str]:
    """1-based line -> message, as an editor underlines them."""
    return {d["range"]["start"]["line"] + 1: d["message"] for d in diagnostics}


def line_of(text: str, fragment: str) -> int:
    [line] = [n for n, content in enumerate(text.splitlines(), 1) if fragment in content]
    return line


def test_the_example_manifest_is_clean_in_the_editor(server: LanguageServer, workspace: Path) -> None:
    path = workspace / "examples" / "portfolio" / "munich-1.yaml"
    uri = server.open(path, MUNICH.read_text(encoding="utf-8"))
    assert server.diagnostics_of(uri) == []


def test_an_off_grid_time_and_a_product_that_does_not_exist_are_flagged_where_validate_flags_them(
    server: LanguageServer, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        MUNICH.read_text(encoding="utf-8")
        .replace('to: "2026-11-24T04:00"', 'to: "2026-11-24T04:05"')
        .replace("product: NEGPOS_00_04", "product: NEGPOS_00_03")
        .replace("product: NEG_073", "product: NEG_101")
    )
    path = workspace / "examples" / "portfolio" / "munich-1.yaml"
    path.write_text(text, encoding="utf-8")
    off_grid, fcr, afrr = (line_of(text, s) for s in ("04:05", "NEGPOS_00_03", "NEG_101"))

    editor = flagged(server.diagnostics_of(server.open(path, text)))
    assert set(editor) == {off_grid, fcr, afrr}
    assert "quarter-hour" in editor[off_grid]
    assert "NEGPOS_00_04" in editor[fcr] and "aFRR product" in editor[afrr]

    validated = run(capsys, "validate", str(path))
    assert validated.exit_code == 1
    errors = [line for line in validated.out.splitlines() if ": error[" in line]
    assert {int(line.split(":")[1]) for line in errors} == set(editor)
    assert f":{off_grid}:" in validated.out and "time-off-grid" in validated.out
    assert "bid-product-unknown" in validated.out


def test_completion_offers_every_product_of_the_section(server: LanguageServer, workspace: Path) -> None:
    text = MUNICH.read_text(encoding="utf-8")
    uri = server.open(workspace / "examples" / "portfolio" / "munich-1.yaml", text)
    lines = text.splitlines()

    def offered(product: str) -> set[str]:
        [(number, content)] = [(n, c) for n, c in enumerate(lines) if f"product: {product}" in c]
        return set(server.completion_labels(uri, number, content.index(product)))

    assert {f"NEGPOS_{h:02d}_{h + 4:02d}" for h in range(0, 24, 4)} <= offered("NEGPOS_00_04")
    capacity = {f"{d}_{h:02d}_{h + 4:02d}" for d in ("POS", "NEG") for h in range(0, 24, 4)}
    assert capacity <= offered("POS_16_20")


def test_each_document_of_a_file_is_checked_when_it_carries_the_schema_line(
    server: LanguageServer, workspace: Path
) -> None:
    body = MUNICH.read_text(encoding="utf-8").removeprefix(SCHEMA_LINE + "\n")
    second = body.replace("name: munich-1", "name: munich-2").replace("0001", "0009")
    second = second.replace('at: "2026-11-24T19:00+01:00"', 'at: "2026-11-24T19:10+01:00"')

    with_lines = f"{SCHEMA_LINE}\n{body}---\n{SCHEMA_LINE}\n{second}"
    uri = server.open(workspace / "examples" / "portfolio" / "two.yaml", with_lines)
    assert set(flagged(server.diagnostics_of(uri))) == {line_of(with_lines, "19:10+01:00")}

    # The language server reads the schema line from each document's own header: a document
    # without one is not checked at all (the README says to repeat the line).
    first_only = f"{SCHEMA_LINE}\n{body}---\n{second}"
    uri = server.open(workspace / "examples" / "portfolio" / "first-only.yaml", first_only)
    assert flagged(server.diagnostics_of(uri)) == {}
