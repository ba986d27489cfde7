"""The service examples for watch start the real command with options it knows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import yaml

from reconciler.cli import LazyGroup, cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "watch"


def parses(words: list[str]) -> click.Context:
    assert words[:2] == ["reconciler", "watch"], words
    command = LazyGroup().get_command(click.Context(cli), "watch")
    assert command is not None
    return command.make_context("watch", words[2:])


def test_the_systemd_unit_runs_watch_with_known_options() -> None:
    text = (EXAMPLES / "reconciler-watch.service").read_text(encoding="utf-8").replace("\\\n", " ")
    exec_start = re.search(r"^ExecStart=(.*)$", text, re.M)
    assert exec_start is not None
    words = shlex.split(exec_start.group(1).replace("${CHAT_WEBHOOK_URL}", "https://chat.example.com/h"))
    context = parses(["reconciler", *words[1:]])
    assert context.params["metrics_port"] == 9464 and context.params["once"] is False
    assert re.search(r"^KillSignal=SIGTERM$", text, re.M)


def test_the_kubernetes_deployment_runs_one_watch_with_known_options() -> None:
    [deployment] = yaml.safe_load_all((EXAMPLES / "kubernetes.yaml").read_text(encoding="utf-8"))
    assert deployment["kind"] == "Deployment" and deployment["spec"]["replicas"] == 1
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    words = [w.replace("$(CHAT_WEBHOOK_URL)", "https://chat.example.com/h") for w in container["command"]]
    assert parses(words).params["webhooks"] == ("https://chat.example.com/h",)
