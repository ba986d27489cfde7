"""The pre-commit hook, run by pre-commit itself from a local copy of this repository.

pre-commit installs the hook the way it would from GitHub (a virtualenv with this package) and
runs it on what is staged in a repository of manifests. Whatever is staged under manifests/, or
any CSV schedule, the hook validates the whole manifest set: a broken CSV is read through the
manifest that names it, and a new manifest is compared with the committed ones.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "reconciler", "schemas")
MUNICH_ID = "7c1e0d4e-0000-4000-8000-000000000001"
CACHE = ROOT / ".cache" / "pre-commit"
Commit = Callable[..., tuple[int, str]]


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [only] = [h for h in hooks if h["id"] == "reconciler-validate"]
    assert isinstance(only, dict)
    return only


def test_the_hook_validates_the_whole_manifest_set_once() -> None:
    spec = hook()
    assert spec["entry"] == "reconciler validate"
    assert spec["args"] == ["manifests/"]
    assert spec["pass_filenames"] is False  # not only the staged files: the whole set
    assert spec["language"] == "python"  # pre-commit pip-installs this repository
    assert spec["require_serial"] is True


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("manifests/munich-1.yaml", True),
        ("manifests/sites/berlin-2.yml", True),
        ("manifests/schedules/hamburg-3.csv", True),
        ("schedules/hamburg-3.csv", True),  # a schedule beside the manifests' folder
        ("trading/manifests/hamburg-3.yaml", False),  # another layout: set args and files
        ("reconciler.yaml", False),
        (".github/workflows/reconciler-plan.yml", False),
        ("sandbox-fixture.yaml", False),
        ("notmanifests/x.yaml", False),
    ],
)
def test_the_hook_runs_when_a_manifest_or_a_schedule_is_staged(path: str, matches: bool) -> None:
    assert bool(re.search(hook()["files"], path)) is matches


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=desk", "-c", "user.email=desk@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def sources_digest() -> str:
    digest = hashlib.sha256()
    for name in SOURCES:
        source = ROOT / name
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def hook_repository() -> tuple[Path, str, Path]:
    """This checkout's working files as a git repository of their own, its commit, and the
    PRE_COMMIT_HOME where pre-commit keeps the hook's virtualenv.

    Both live in the git-ignored .cache/pre-commit/, named by the sources' digest, so pre-commit
    builds the virtualenv once for every xdist worker and every later run of unchanged sources.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    home = CACHE / "home"
    with open(CACHE / "setup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        repo = CACHE / f"hook-{sources_digest()}"
        if not (repo / ".git").is_dir():
            for old in CACHE.glob("hook-*"):
                shutil.rmtree(old)
            repo.mkdir()
            for name in SOURCES:
                source = ROOT / name
                if source.is_dir():
                    shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copyfile(source, repo / name)
            git(repo, "init", "-q")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "reconciler")
            if home.is_dir():  # drop the virtualenvs of the sources that were just removed
                pre_commit(CACHE, home, "gc")
        return repo, git(repo, "rev-parse", "HEAD"), home


@pytest.fixture
def desk(tmp_path: Path, hook_repository: tuple[Path, str, Path]) -> Path:
    """A repository of manifests using the hook, everything committed."""
    repo, rev, _ = hook_repository
    desk = tmp_path / "desk"
    shutil.copytree(ROOT / "examples" / "portfolio", desk / "manifests")
    (desk / "reconciler.yaml").write_text("targets: {}\n", encoding="utf-8")
    (desk / "README.md").write_text("Our batteries.\n", encoding="utf-8")
    (desk / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: reconciler-validate\n",
        encoding="utf-8",
    )
    git(desk, "init", "-q")
    git(desk, "add", "-A")
    git(desk, "commit", "-q", "-m", "manifests")
    return desk


def pre_commit(cwd: Path, home: Path, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env["PRE_COMMIT_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def commit(desk: Path, hook_repository: tuple[Path, str, Path]) -> Commit:
    """``git add`` the files, then what ``git commit`` runs: pre-commit on the staged files."""

    def stage_and_check(*files: str) -> tuple[int, str]:
        git(desk, "add", *files)
        return pre_commit(desk, hook_repository[2], "run", "--color", "never")

    return stage_and_check


def test_a_staged_csv_schedule_alone_is_validated_through_its_manifest(desk: Path, commit: Commit) -> None:
    munich = desk / "manifests" / "munich-1.yaml"
    munich.write_text(munich.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    code, out = commit("manifests/munich-1.yaml")
    assert code == 0, out
    assert re.search(r"reconciler validate\.+Passed", out)

    csv = desk / "manifests" / "schedules" / "hamburg-3.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("2026-11-24T01:15,", "2026-11-24T01:20,"), "utf-8")
    code, out = commit("manifests/schedules/hamburg-3.csv")
    assert code == 1, out
    assert re.search(r"reconciler validate\.+Failed", out)
    assert "manifests/schedules/hamburg-3.csv:3:" in out and "time-off-grid" in out


def test_a_new_manifest_that_declares_a_committed_asset_fails(desk: Path, commit: Commit) -> None:
    committed = (desk / "manifests" / "munich-1.yaml").read_text(encoding="utf-8")
    assert MUNICH_ID in committed
    copy = desk / "manifests" / "munich-copy.yaml"
    copy.write_text(committed.replace("name: munich-1", "name: munich-copy"), encoding="utf-8")
    code, out = commit("manifests/munich-copy.yaml")
    assert code == 1, out
    assert "munich-1.yaml" in out and "munich-copy.yaml" in out and MUNICH_ID in out


def test_a_commit_without_manifests_or_schedules_skips_the_hook(desk: Path, commit: Commit) -> None:
    (desk / "README.md").write_text("Our batteries, documented.\n", encoding="utf-8")
    code, out = commit("README.md")
    assert code == 0, out
    assert re.search(r"reconciler validate\.+\(no files to check\)Skipped", out)
