"""The README says what the code does: its commands run, its references are generated.

- the first code block is what `.ci/run` executes (it reads the block with its own awk program);
- every command in the tour parses with the real CLI, the output it shows is what they print, and
  every command the README names exists;
- the GitOps guide lists exactly the reconciler commands of the example workflows;
- the "sandbox in your own CI" script runs as printed, against a real `reconciler sandbox`;
- the shell-completion lines produce completion scripts that complete;
- the manifest reference is the one generated from the schema.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest

from reconciler.cli import COMMANDS, LazyGroup, cli
from reconciler.core.schemas import load_schema
from scripts.manifest_reference import BEGIN, END, render_reference, replace_section
from tests.gitops.workflows import EXAMPLE_WORKFLOWS, load_workflow, only_job
from tests.support.harness import run

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def code_blocks(text: str = README) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S)]


def block_after(heading: str, language: str) -> str:
    start = README.index(heading)
    return next(body for lang, body in code_blocks(README[start:]) if lang == language)


def reconciler_commands(script: str) -> list[str]:
    """Each line of a shell script that runs `reconciler …`, without redirections, words normalised."""
    joined = script.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        match = re.match(r"\s*(reconciler\s.*)", line)  # a command starts its line in these scripts
        if match:
            command = re.split(r"\s(?:\d?>>?|\|\||&&|;|&)(?:\s|$)|\s\d?>", match.group(1))[0]
            found.append(" ".join(command.split()))
    return found


def parses(command: str) -> None:
    words = shlex.split(command)
    assert words[0] == "reconciler", command
    sub = LazyGroup().get_command(click.Context(cli), words[1])
    assert sub is not None, f"{command}: no command {words[1]!r}"
    sub.make_context(words[1], words[2:])


def test_the_first_block_holds_the_two_commands_ci_runs() -> None:
    language, body = code_blocks()[0]
    assert language == "bash"
    assert body.splitlines() == [
        'python -m pip install -e ".[test]" && reconciler plan examples/',
        "python -m pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [awk_program] = re.findall(r"awk '([^']+)' README\.md", ci)
    extracted = subprocess.run(
        ["awk", awk_program, "README.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert extracted == body.splitlines()
    assert 'bash -euo pipefail -c "${readme_commands[0]}"' in ci
    assert 'bash -euo pipefail -c "${readme_commands[1]}"' in ci


def test_the_tour_commands_parse() -> None:
    tour = block_after("## A tour", "console")
    commands = [line[2:].split("  #")[0].strip() for line in tour.splitlines() if line.startswith("$ ")]
    assert len(commands) >= 7
    for command in commands:
        parses(command)


def tour_transcripts() -> list[tuple[str, list[str]]]:
    """Each tour command with the output lines the README shows under it."""
    transcripts: list[tuple[str, list[str]]] = []
    for line in block_after("## A tour", "console").splitlines():
        if line.startswith("$ "):
            transcripts.append((line[2:].split("  #")[0].strip(), []))
        elif line.strip() and transcripts:
            transcripts[-1][1].append(line)
    return transcripts


def test_the_tour_shows_what_the_commands_print(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    shown = [(command, lines) for command, lines in tour_transcripts() if lines]
    assert [command for command, _ in shown] == ["reconciler validate examples/", "reconciler plan examples/"]
    for command, lines in shown:
        result = run(capsys, *shlex.split(command)[1:])
        assert result.exit_code == 0, result.err
        printed = result.out.splitlines()
        for line in lines:
            if line.strip() == "...":
                continue
            if line.endswith("..."):  # the README cut the line short
                assert any(p.startswith(line[:-3]) for p in printed), f"{command}: {line!r} not printed"
            else:
                assert line in printed, f"{command}: {line!r} not printed"


def test_every_command_named_in_the_readme_exists_and_every_command_is_documented() -> None:
    named = set(re.findall(r"`reconciler ([a-z]+)", README))
    assert named <= set(COMMANDS), named - set(COMMANDS)
    table = README[README.index("## Commands and exit codes") : README.index("### Output, progress")]
    for name in COMMANDS:
        assert f"| `reconciler {name} " in table, f"{name} is missing from the command table"


def test_the_gitops_guide_lists_exactly_the_workflows_commands() -> None:
    documented = reconciler_commands(block_after("## GitOps with GitHub Actions", "bash"))
    in_workflows: list[str] = []
    for workflow in sorted(EXAMPLE_WORKFLOWS.glob("*.yml")):
        for step in only_job(load_workflow(workflow.name))["steps"]:
            in_workflows += reconciler_commands(step.get("run", ""))
    assert sorted(set(documented)) == sorted(set(in_workflows))
    for command in documented:
        parses(command.replace('"$MANIFESTS"', "manifests/").replace('"$RECONCILER_TARGET"', "production"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's CI script uses curl")
def test_the_sandbox_ci_script_runs_as_printed(tmp_path: Path) -> None:
    script = block_after("### The sandbox in your own CI", "bash")
    assert "--port 8321" in script and "/_sandbox/clock" in script
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    port = free_port()
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script.replace("8321", str(port))],
        cwd=tmp_path,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Apply: 14 applied, 0 failed, 0 missed, 0 not attempted." in done.stdout
    clock = json.loads(done.stdout.split("Re-read matches what was written.\n")[1].splitlines()[0])
    assert clock["now"] == "2026-11-23T06:55:00Z"
    assert "No drift: live state matches the manifests." in done.stdout
    assert "demo-password" not in done.stdout + done.stderr
    with socket.socket() as probe:  # the trap stopped the sandbox: the port is free again
        probe.bind(("127.0.0.1", port))


def test_the_completion_lines_give_scripts_that_complete() -> None:
    lines = block_after("### Shell completion", "bash").splitlines()
    shells = [re.search(r"_RECONCILER_COMPLETE=(\w+)_source", line).group(1) for line in lines]  # type: ignore[union-attr]
    assert shells == ["bash", "zsh", "fish"]
    for shell in shells:
        source = subprocess.run(
            [str(BIN / "reconciler")],
            env={"_RECONCILER_COMPLETE": f"{shell}_source", "PATH": str(BIN)},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert "_RECONCILER_COMPLETE" in source and "reconciler" in source, shell
    completed = subprocess.run(
        [str(BIN / "reconciler")],
        env={
            "_RECONCILER_COMPLETE": "bash_complete",
            "COMP_WORDS": "reconciler plan --fo",
            "COMP_CWORD": "2",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert completed.splitlines() == ["plain,--format"]


def test_the_manifest_reference_is_generated_from_the_schema() -> None:
    reference = render_reference(load_schema("manifest.schema.json"))
    assert replace_section(README, reference) == README, "run python scripts/manifest_reference.py"
    section = README[README.index(BEGIN) : README.index(END)]
    for name in ("apiVersion", "virtualAsset", "schedule", "capacityPrice", "energyPrice", "prune"):
        assert f"| `{name}` |" in section


def test_the_reference_changes_when_the_schema_does() -> None:
    schema = load_schema("manifest.schema.json")
    changed = json.loads(json.dumps(schema))
    changed["$defs"]["fcrBid"]["properties"]["capacityPrice"]["description"] = "A new meaning."
    assert "A new meaning." in render_reference(changed)
    assert replace_section(README, render_reference(changed)) != README


def test_the_pre_commit_snippet_names_the_hook_the_repository_offers() -> None:
    snippet = block_after("### pre-commit", "yaml")
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    [hook_id] = re.findall(r"- id: (\S+)", snippet)
    assert f"- id: {hook_id}\n" in hooks
