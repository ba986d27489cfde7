"""Every command explains itself: ``--help`` has a one-line summary and examples that parse."""

from __future__ import annotations

import shlex

import click
import pytest

from reconciler.cli import COMMANDS, LazyGroup, cli
from tests.support.harness import run


def examples(help_text: str) -> list[str]:
    """The command lines under an ``Example:`` / ``Examples:`` heading of a help text."""
    lines = help_text.splitlines()
    found: list[str] = []
    for index, line in enumerate(lines):
        if line.strip() in ("Example:", "Examples:"):
            for follower in lines[index + 1 :]:
                if not follower.strip().startswith("reconciler "):
                    break
                found.append(follower.strip())
    return found


def parses(line: str) -> None:
    """Parse an example with the real command, without running it (a shell redirection ends it)."""
    words = shlex.split(line)
    words = words[: words.index(">")] if ">" in words else words
    assert words[0] == "reconciler"
    command = LazyGroup().get_command(click.Context(cli), words[1])
    assert command is not None, line
    command.make_context(words[1], words[2:])  # raises click.UsageError on an unknown option


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_has_a_one_line_summary_and_examples(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, name, "--help")
    assert result.exit_code == 0, result.err
    usage, _, rest = result.out.partition("\n\n")
    assert usage.startswith("Usage: ") and f" {name} " in usage  # the program name depends on how it runs
    summary = rest.split("\n\n", 1)[0].strip()
    assert "\n" not in summary and summary.endswith("."), f"{name}: {summary!r}"
    assert len(summary) <= 80, f"{name}: the summary is longer than a terminal line"
    lines = examples(result.out)
    assert lines, f"reconciler {name} --help shows no Example"
    for line in lines:
        assert line.startswith(f"reconciler {name} ")
        parses(line)


def test_the_command_list_gives_each_command_its_one_line_summary(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--help")
    assert result.exit_code == 0
    for name, (_, _, summary) in COMMANDS.items():
        assert f"  {name}" in result.out
        assert summary in " ".join(result.out.split()), name
    assert examples(result.out) == ["reconciler validate examples/"]


def test_an_example_with_a_wrong_option_would_be_caught() -> None:
    with pytest.raises(click.UsageError):
        parses("reconciler plan examples/ --fromat markdown")
