"""Run the `run:` steps of the example GitHub workflows the way a runner does, against a sandbox.

Each step script runs in ``bash --noprofile --norc -eo pipefail`` (GitHub's ``shell: bash``) in a
checkout-like folder, with the runner's default variables the test gives (``GITHUB_SHA``,
``GITHUB_REF``…), the workflow's, job's and step's ``env`` merged, ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` as files, and ``${{ … }}`` expressions replaced from a table the test
gives: an expression the table does not know fails the test instead of being guessed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_WORKFLOWS = ROOT / "examples" / "github" / "workflows"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
INSTALL_STEP = "install"  # the step id that installs reconciler: the test runs the checkout's own


def load_workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((EXAMPLE_WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean true
    return {("on" if key is True else str(key)): value for key, value in loaded.items()}


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow["on"]
    return {on: None} if isinstance(on, str) else dict(on)


def only_job(workflow: dict[str, Any]) -> dict[str, Any]:
    [job] = workflow["jobs"].values()
    assert isinstance(job, dict)
    return job


@dataclass
class StepResult:
    name: str
    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


class Runner:
    """One job's workspace: runs its steps in order and keeps GITHUB_OUTPUT per step."""

    def __init__(
        self,
        workflow: dict[str, Any],
        workspace: Path,
        expressions: dict[str, str],
        tmp: Path,
        defaults: dict[str, str] | None = None,
    ) -> None:
        self.workflow = workflow
        self.job = only_job(workflow)
        self.workspace = workspace
        self.expressions = expressions
        self.defaults = dict(defaults or {})  # the runner's GITHUB_* variables
        self.summary = tmp / "step-summary.md"
        self.summary.touch()
        self._tmp = tmp
        self.outputs: dict[str, dict[str, str]] = {}

    def step(self, name: str) -> dict[str, Any]:
        matches: list[dict[str, Any]] = [s for s in self.job["steps"] if s.get("name") == name]
        assert len(matches) == 1, f"no single step named {name!r}"
        return matches[0]

    def run_steps(self) -> list[dict[str, Any]]:
        """The steps a test runs: every `run:` step but the installation of reconciler."""
        return [s for s in self.job["steps"] if "run" in s and s.get("id") != INSTALL_STEP]

    def resolve(self, value: object) -> str:
        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            steps = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
            if steps:
                return self.outputs.get(steps.group(1), {}).get(steps.group(2), "")
            assert expression in self.expressions, f"the test does not know ${{{{ {expression} }}}}"
            return self.expressions[expression]

        return EXPRESSION.sub(replace, str(value))

    def environment(self, step: dict[str, Any]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LAYR_", "GITHUB_"))}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["CI"] = "true"
        env.update(self.defaults)
        for scope in (self.workflow, self.job, step):
            env.update({k: self.resolve(v) for k, v in (scope.get("env") or {}).items()})
        return env

    def run(self, name: str) -> StepResult:
        step = self.step(name)
        assert self.workflow.get("defaults", {}).get("run", {}).get("shell") == "bash"
        output = self._tmp / f"output-{len(self.outputs)}-{step.get('id', 'step')}"
        output.write_text("")
        env = self.environment(step)
        env.update({"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(self.summary)})
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", self.resolve(step["run"])],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        if "id" in step:
            self.outputs[step["id"]] = outputs
        return StepResult(name, done.returncode, done.stdout, done.stderr, outputs)
