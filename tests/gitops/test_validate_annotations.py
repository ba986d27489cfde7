"""`reconciler validate --format github`: each finding becomes an annotation on its file and line.

The annotations are read back the way the Actions runner parses workflow commands
(``::name key=value,…::data``, values unescaped ``%0D %0A %3A %2C`` then ``%25``), so a test
fails if a message or a file name could break out of its command.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.render.github import annotation, escape_data, escape_property
from tests.support.harness import run

ROOT = Path(__file__).resolve().parents[2]
COMMAND = re.compile(r"^::(?P<name>[a-z]+)(?: (?P<properties>[^:]*))?::(?P<data>.*)$")


def unescape(text: str, *, prop: bool) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for escaped, plain in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, plain)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """What the runner makes of one line: the command, its properties and its message."""
    match = COMMAND.match(line)
    assert match, line
    properties = {}
    for item in filter(None, (match.group("properties") or "").split(",")):
        key, _, value = item.partition("=")
        properties[key] = unescape(value, prop=True)
    return match.group("name"), properties, unescape(match.group("data"), prop=False)


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext%3A a%2C b"
    hostile = Diagnostic(
        Severity.WARNING,
        "x",
        "line one\n::error::forged, 100%",
        file="odd, name: 100%.yaml",
        line=3,
        column=7,
        path="spec.fcr",
        expected="a, b",
        found=None,
    )
    [line] = annotation(hostile).splitlines()
    assert parse(line) == (
        "warning",
        {"file": "odd, name: 100%.yaml", "line": "3", "col": "7", "title": "reconciler x"},
        "(spec.fcr) line one\n::error::forged, 100%\nexpected a, b, found ?",
    )


def test_broken_manifests_become_error_annotations_at_their_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "examples" / "portfolio", tmp_path / "manifests")
    munich = tmp_path / "manifests" / "munich-1.yaml"
    text = munich.read_text(encoding="utf-8").replace('to: "2026-11-24T04:00"', 'to: "2026-11-24T04:05"')
    munich.write_text(text.replace("capacity: 2,", "capacity: 1.5,", 1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # paths in annotations are relative to the repository root

    result = run(capsys, "validate", "manifests/", "--format", "github")
    assert result.exit_code == 1
    *annotations, summary = result.out.splitlines()
    assert summary == "3 valid manifests in 4 files, 2 errors, 0 warnings"
    found = [parse(line) for line in annotations]
    lines = text.splitlines()
    off_grid, bid = (1 + next(n for n, x in enumerate(lines) if s in x) for s in ("04:05", "NEGPOS_00_04"))
    assert [(name, p["file"], int(p["line"]), p["title"]) for name, p, _ in found] == [
        ("error", "manifests/munich-1.yaml", off_grid, "reconciler time-off-grid"),
        ("error", "manifests/munich-1.yaml", bid, "reconciler bid-capacity-step"),
    ]
    assert found[0][2].startswith("(spec.wholesale.schedule[0].to) 2026-11-24T04:05 is not the start")

    quiet = run(capsys, "validate", "manifests/", "--format", "github", "--quiet")
    assert quiet.out.splitlines() == annotations


def test_clean_manifests_print_only_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "validate", str(ROOT / "examples"), "--format", "github")
    assert (result.exit_code, result.out) == (0, "4 manifests, 0 errors, 0 warnings\n")
    assert run(capsys, "validate", str(ROOT / "examples"), "--format", "github", "-q").out == ""
