"""``reconciler validate`` through the real entry point: exit codes, text and JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main
from tests.support.schemas import assert_matches_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HEADER = (
    "apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata:\n  name: {name}\nspec:\n"
    "  virtualAsset: 7c1e0d4e-0000-4000-8000-00000000000{n}\n"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["validate", *args])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_the_examples_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(EXAMPLES))
    assert (code, out, err) == (0, "4 manifests, 0 errors, 0 warnings\n", "")


def test_the_installed_command_validates_the_examples() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "examples/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "4 manifests, 0 errors, 0 warnings")


def test_errors_name_file_line_column_field_expected_and_found(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        HEADER.format(name="a", n=1)
        + "  fcr:\n    bids:\n      - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 1500, capacityPrice: 1}\n"
        + "  wholesale:\n    schedule:\n      - {at: '2026-11-24T10:05', power: 1}\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, str(bad))
    assert code == 1
    assert out.splitlines() == [
        f"{bad}:9:60: error[bid-capacity-step] (spec.fcr.bids[0].capacity): capacity 1500 kW is not a "
        "positive multiple of 1000 kW after cutting the fraction of a kW",
        "    expected a positive multiple of 1000 kW (1 MW), found 1500 kW",
        f"{bad}:12:14: error[time-off-grid] (spec.wholesale.schedule[0].at): 2026-11-24T10:05 is not the "
        "start of a quarter-hour",
        "    expected the start of a quarter-hour (minute :00, :15, :30 or :45, no seconds), found 2026-11-24T10:05",
        "0 valid manifests in 1 file, 2 errors, 0 warnings",
    ]


def test_json_output_for_scripts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(HEADER.format(name="a", n=1) + "  fcr: {bids: []}\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(HEADER.format(name="b", n=2) + "  fcr: {bid: []}\n", encoding="utf-8")
    code, out, _ = run(capsys, "--format", "json", str(tmp_path))
    report = json.loads(out)
    assert code == 1
    assert (report["format_version"], report["valid"]) == ("2", False)
    assert report["files"] == [str(broken), str(good)]
    assert [(m["name"], m["virtual_asset"], m["file"]) for m in report["manifests"]] == [
        ("a", "7c1e0d4e-0000-4000-8000-000000000001", str(good))
    ]
    unknown = next(d for d in report["diagnostics"] if d["code"] == "schema-unknown-key")
    assert (unknown["severity"], unknown["file"], unknown["line"], unknown["path"]) == (
        "error",
        str(broken),
        7,
        "spec.fcr.bid",
    )
    assert "did you mean 'bids'?" in unknown["message"]


def test_now_turns_near_deadlines_into_warnings_but_stays_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(EXAMPLES), "--now", "2026-11-23T07:10:00+01:00")
    assert code == 0
    assert out.count("warning[bid-deadline-near]") == 4
    assert out.splitlines()[-1] == "4 manifests, 0 errors, 4 warnings, 1 note"


def test_now_without_an_offset_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(EXAMPLES), "--now", "2026-11-23T07:10")
    assert code == 2
    assert "is not a time with an offset" in err


def test_a_missing_path_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, str(tmp_path / "nope"))
    assert code == 1 and err == ""
    assert (
        out.splitlines()[0]
        == f"{tmp_path / 'nope'}: error[path-not-found]: {tmp_path / 'nope'}: no such file or directory"
    )
    assert "Traceback" not in out


def test_validate_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        HEADER.format(name="a", n=1) + "  wholesale: {schedule: {csv: s.csv}}\n", encoding="utf-8"
    )
    (tmp_path / "s.csv").write_text("time,power\n2026-11-24T10:00,1\n", encoding="utf-8")
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*")}
    assert run(capsys, str(tmp_path))[0] == 0
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*")} == before


def test_help_has_a_summary_and_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "Check manifests offline" in out
    assert "reconciler validate examples/" in out


def test_json_output_matches_its_published_schema_and_counts_what_the_text_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        HEADER.format(name="a", n=1) + "  wholesale: {schedule: {csv: s.csv}}\n"
        "  fcr:\n    bids: [{day: 2026-11-24, product: NEGPOS_00_04, capacity: 1000, capacityPrice: 1}]\n",
        encoding="utf-8",
    )
    (tmp_path / "s.csv").write_text("time,power\n2026-11-24T10:00,1\n2026-11-24T10:15,2\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(HEADER.format(name="b", n=2) + "  fcr: {bid: []}\n---\nkind: Other\n", encoding="utf-8")
    (tmp_path / "reconciler.yaml").write_text("targets: {}\n", encoding="utf-8")
    code, out, _ = run(capsys, "--format", "json", str(tmp_path), "--now", "2026-11-23T07:10:00+01:00")
    report = json.loads(out)
    assert_matches_schema(report, "validate.schema.json")
    assert code == 1 and report["valid"] is False
    _, text, _ = run(capsys, str(tmp_path), "--now", "2026-11-23T07:10:00+01:00")
    summary = report["summary"]
    assert text.splitlines()[-1] == (
        f"{summary['manifests']} valid manifest in {summary['files']} files, {summary['errors']} errors, "
        f"{summary['warnings']} warning"
    )
    assert (summary["manifests"], summary["warnings"]) == (1, 1)  # the FCR bid closes at 07:30
    assert [(m["name"], m["periods"], m["bids"]) for m in report["manifests"]] == [("a", 2, 1)]
    # both documents of broken.yaml are held back: the named one, and the one of another kind
    assert [(r["name"], r["virtual_asset"], r["file"], r["line"]) for r in report["rejected"]] == [
        ("b", "7c1e0d4e-0000-4000-8000-000000000002", str(broken), 1),
        (None, None, str(broken), 9),
    ]
    assert sum(r["errors"] for r in report["rejected"]) == summary["errors"]
    assert report["skipped"] == [str(tmp_path / "reconciler.yaml")]


@pytest.mark.parametrize("case", ["examples", "missing path"])
def test_json_output_of_every_outcome_matches_the_schema(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    path = EXAMPLES if case == "examples" else tmp_path / "nope"
    code, out, _ = run(capsys, "--format", "json", str(path))
    report = json.loads(out)
    assert_matches_schema(report, "validate.schema.json")
    assert (code, report["valid"]) == ((0, True) if case == "examples" else (1, False))
