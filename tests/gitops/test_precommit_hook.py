"""The pre-commit hook: `reconciler validate` over the staged manifests, and nothing else."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.harness import run

ROOT = Path(__file__).resolve().parents[2]


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [only] = [h for h in hooks if h["id"] == "reconciler-validate"]
    assert isinstance(only, dict)
    return only


def test_the_hook_runs_reconciler_validate_once_over_all_staged_manifests() -> None:
    spec = hook()
    assert spec["entry"] == "reconciler validate"
    assert spec["language"] == "python"  # pre-commit pip-installs this repository
    assert spec["require_serial"] is True  # one run sees every file: duplicates across files are caught


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("manifests/munich-1.yaml", True),
        ("manifests/sites/berlin-2.yml", True),
        ("trading/manifests/hamburg-3.yaml", True),
        ("manifests/schedules/hamburg-3.csv", False),
        ("reconciler.yaml", False),
        (".github/workflows/reconciler-plan.yml", False),
        ("sandbox-fixture.yaml", False),
        ("notmanifests/x.yaml", False),
    ],
)
def test_the_hook_picks_manifest_files(path: str, matches: bool) -> None:
    assert bool(re.search(hook()["files"], path)) is matches


def staged_run(capsys: pytest.CaptureFixture[str], root: Path, staged: list[str]) -> tuple[int, str]:
    """What pre-commit does: the entry, then the staged files that match, from the repo root."""
    pattern = hook()["files"]
    files = [str(root / name) for name in staged if re.search(pattern, name)]
    result = run(capsys, *shlex.split(hook()["entry"])[1:], *files)
    return result.exit_code, result.out + result.err


def test_hook_passes_valid_manifests_and_stops_a_broken_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "examples" / "portfolio", tmp_path / "manifests")
    (tmp_path / "reconciler.yaml").write_text("targets: {}\n", encoding="utf-8")
    staged = ["manifests/munich-1.yaml", "manifests/berlin-2.yaml", "reconciler.yaml"]

    code, out = staged_run(capsys, tmp_path, staged)
    assert (code, out.strip()) == (0, "2 manifests, 0 errors, 0 warnings")

    munich = tmp_path / "manifests" / "munich-1.yaml"
    munich.write_text(munich.read_text().replace("NEGPOS_00_04", "NEGPOS_00_05", 1), encoding="utf-8")
    code, out = staged_run(capsys, tmp_path, staged)
    assert code == 1
    assert "munich-1.yaml:" in out and "NEGPOS_00_05" in out


def test_hook_catches_one_asset_declared_in_two_staged_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "examples" / "portfolio", tmp_path / "manifests")
    copy = tmp_path / "manifests" / "munich-copy.yaml"
    copy.write_text(
        (tmp_path / "manifests" / "munich-1.yaml").read_text().replace("name: munich-1", "name: munich-copy"),
        encoding="utf-8",
    )
    code, out = staged_run(capsys, tmp_path, ["manifests/munich-1.yaml", "manifests/munich-copy.yaml"])
    assert code == 1
    assert "munich-1.yaml" in out and "munich-copy.yaml" in out
