"""Conventions other tools share: FORCE_COLOR / NO_COLOR / TERM=dumb, completion of --target names
through click's completion protocol, and ``reconciler version`` for scripts."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import __version__
from tests.support.harness import run
from tests.support.schemas import assert_matches_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RECONCILER = str(Path(sys.executable).parent / "reconciler")
ESC = "\x1b["


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plan = tmp_path_factory.mktemp("plan") / "plan.json"
    done = subprocess.run(
        [RECONCILER, "plan", str(EXAMPLES), "--out", str(plan), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return plan


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "CI")}
    return {**env, **settings}


def at_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What the command prints when its standard output is a terminal (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(args, stdout=follower, stderr=subprocess.PIPE, env=env, timeout=60, check=False)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed: everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert done.returncode == 0, done.stderr
    return b"".join(chunks).decode()


def test_colours_at_a_terminal_unless_term_is_dumb(saved_plan: Path) -> None:
    show = [RECONCILER, "show", str(saved_plan)]
    assert ESC in at_a_terminal(show, clean_env(TERM="xterm-256color"))
    plain = at_a_terminal(show, clean_env(TERM="dumb"))
    assert ESC not in plain and "Plan: 10 to create" in plain


@pytest.mark.parametrize(
    ("settings", "options", "coloured"),
    [
        ({}, [], False),  # a pipe: no colours
        ({"FORCE_COLOR": "1"}, [], True),  # a CI log that renders ANSI
        ({"FORCE_COLOR": "1", "TERM": "dumb"}, [], True),
        ({"FORCE_COLOR": ""}, [], False),  # empty is unset
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
        ({"FORCE_COLOR": "1"}, ["--no-color"], False),
    ],
)
def test_force_color_colours_a_pipe_and_no_color_still_wins(
    saved_plan: Path,
    settings: dict[str, str],
    options: list[str],
    coloured: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    result = run(capsys, "show", str(saved_plan), *options)
    assert result.exit_code == 0, result.err
    assert (ESC in result.out) is coloured
    assert "Plan: 10 to create" in result.out


def complete(words: str, cwd: Path, shell: str = "bash") -> list[str]:
    """Click's completion protocol, as the shell functions of `_RECONCILER_COMPLETE=…_source` call it."""
    typed = words.split(" ")
    env = clean_env(
        _RECONCILER_COMPLETE=f"{shell}_complete", COMP_WORDS=words, COMP_CWORD=str(len(typed) - 1)
    )
    done = subprocess.run(
        [RECONCILER], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_target_names_complete_from_the_projects_config(tmp_path: Path) -> None:
    names = ["plain,embedded", "plain,local", "plain,production", "plain,sandbox"]
    assert complete("reconciler plan examples/ --target ", ROOT) == names
    assert complete("reconciler drift examples/portfolio --target pro", ROOT) == ["plain,production"]
    assert complete("reconciler apply --target ", EXAMPLES) == names  # the working folder's config
    config = str(EXAMPLES / "reconciler.yaml")
    assert complete(f"reconciler import --config {config} --target l", tmp_path) == ["plain,local"]
    # zsh shows what each target is
    assert complete("reconciler plan examples/ --target l", ROOT, "zsh") == [
        "plain",
        "local",
        "emulator http://127.0.0.1:8321",
    ]


def test_no_config_or_a_broken_one_completes_nothing_and_says_nothing(tmp_path: Path) -> None:
    assert complete("reconciler plan --target ", tmp_path) == []
    (tmp_path / "reconciler.yaml").write_text("targets: [oops\n", encoding="utf-8")
    assert complete("reconciler plan --target ", tmp_path) == []


def test_version_as_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    text = run(capsys, "version")
    assert text.exit_code == 0 and text.out.startswith(f"reconciler {__version__} (Python ")
    info = run(capsys, "version", "--format", "json").json()
    assert_matches_schema(info, "version.schema.json")
    assert info["format_version"] == "1"
    assert (info["name"], info["version"]) == ("reconciler", __version__)
    assert (info["manifest_api_version"], info["plan_format_version"]) == ("reconciler/v1", "3")
    assert run(capsys, "--version").out == f"reconciler, version {__version__}\n"
