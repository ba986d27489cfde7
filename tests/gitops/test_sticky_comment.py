"""The plan comment is one comment per pull request: created once, then updated, never duplicated.

The workflow's own `actions/github-script` code runs in node; only GitHub's REST API is replaced,
by an in-memory list of the pull request's comments (there is no GitHub here to talk to).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reconciler.render.markdown import MARKER
from tests.gitops.workflows import load_workflow, only_job

HARNESS = r"""
const fs = require('fs');
const [scriptFile, stateFile] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
let nextId = 1000 + state.comments.length;
const issues = {
  listComments: async (params) => {
    if (params.issue_number !== 7) throw new Error('wrong pull request');
    return { data: state.comments.map((c) => ({ ...c })) };
  },
  createComment: async ({ issue_number, body }) => {
    state.comments.push({ id: nextId++, issue_number, body, user: { type: 'Bot', login: 'github-actions[bot]' } });
  },
  updateComment: async ({ comment_id, body }) => {
    const comment = state.comments.find((c) => c.id === comment_id);
    comment.body = body;
    comment.updated = (comment.updated || 0) + 1;
  },
};
const github = {
  rest: { issues },
  paginate: async (method, params) => (await method(params)).data,
};
const context = { repo: { owner: 'acme', repo: 'batteries' }, issue: { number: 7 } };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', fs.readFileSync(scriptFile, 'utf8'))(require, github, context)
  .then(() => fs.writeFileSync(stateFile, JSON.stringify(state)))
  .catch((error) => { console.error(error); process.exit(1); });
"""


@pytest.fixture
def post_comment(tmp_path: Path) -> Any:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the github-script step cannot be run")
    step = next(
        s
        for s in only_job(load_workflow("reconciler-plan.yml"))["steps"]
        if "github-script" in s.get("uses", "")
    )
    (tmp_path / "script.js").write_text(step["with"]["script"], encoding="utf-8")
    (tmp_path / "harness.js").write_text(HARNESS, encoding="utf-8")
    state = tmp_path / "state.json"

    def post(plan_md: str, comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        (tmp_path / "plan.md").write_text(plan_md, encoding="utf-8")
        state.write_text(json.dumps({"comments": comments}), encoding="utf-8")
        done = subprocess.run(
            [node, "harness.js", "script.js", str(state)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        result: list[dict[str, Any]] = json.loads(state.read_text(encoding="utf-8"))["comments"]
        return result

    return post


def test_first_plan_creates_the_comment_and_later_plans_update_it(post_comment: Any) -> None:
    first = post_comment(f"{MARKER}\n### reconciler plan\nPlan: 1 to create\n", [])
    assert [c["body"] for c in first] == [f"{MARKER}\n### reconciler plan\nPlan: 1 to create\n"]

    second = post_comment(f"{MARKER}\n### reconciler plan\nPlan: 2 to create\n", first)
    third = post_comment(f"{MARKER}\n### reconciler plan\nNo changes.\n", second)
    assert len(third) == 1
    assert third[0]["id"] == first[0]["id"]
    assert third[0]["body"].endswith("No changes.\n")
    assert third[0]["updated"] == 2


def test_other_comments_are_left_alone(post_comment: Any) -> None:
    people = {"id": 1, "body": f"{MARKER} quoted by a person", "user": {"type": "User", "login": "ann"}}
    other_bot = {"id": 2, "body": "<!-- coverage -->\n90 %", "user": {"type": "Bot", "login": "codecov"}}
    after = post_comment(f"{MARKER}\nplan\n", [people, other_bot])
    assert after[:2] == [people, other_bot]
    assert len(after) == 3 and after[2]["body"] == f"{MARKER}\nplan\n"


def test_a_body_without_the_marker_gets_it_so_the_next_run_finds_it(post_comment: Any) -> None:
    first = post_comment("**No plan**\n", [])
    assert first[0]["body"] == f"{MARKER}\n**No plan**\n"
    second = post_comment(f"{MARKER}\nplan\n", first)
    assert len(second) == 1 and second[0]["body"] == f"{MARKER}\nplan\n"
