"""Every JSON a command prints has a published schema whose ``format_version`` is the code's, and
the parts they share (the target, an instant, an object held back) are spelled the same in each.

The documents themselves are checked against these schemas where each command is tested: validate
(tests/cli/test_validate.py), plan (tests/plan/test_plan_apply.py), drift
(tests/drift/test_drift_causes.py), apply (tests/plan/test_apply_json.py), status
(tests/watch/test_status.py), watch (tests/watch/test_watch_cycles.py), version
(tests/cli/test_conventions.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler import apply
from reconciler.cli import validate, version
from reconciler.core.schemas import load_schema, schema_url
from reconciler.drift import find
from reconciler.plan import model
from reconciler.render import status
from reconciler.watch import events

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")

# schema -> the format_version the code writes
OUTPUTS = {
    "validate.schema.json": validate.FORMAT_VERSION,
    "plan.schema.json": model.FORMAT_VERSION,
    "drift.schema.json": find.FORMAT_VERSION,
    "apply.schema.json": apply.FORMAT_VERSION,
    "status.schema.json": status.FORMAT_VERSION,
    "watch-event.schema.json": events.FORMAT_VERSION,
    "version.schema.json": version.FORMAT_VERSION,
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_every_output_schema_is_published_with_the_format_version_the_code_writes(name: str) -> None:
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == schema_url(name)
    assert "format_version" in schema["required"]
    assert schema["properties"]["format_version"]["const"] == OUTPUTS[name]
    assert f"schemas/{name}" in README, f"the README does not point to {name}"


def shared(name: str, part: str) -> Any:
    schema = load_schema(name)
    if part == "target" and "target" not in schema.get("$defs", {}):
        return schema["properties"]["target"]  # the plan's, inline
    return schema["$defs"][part]


def test_the_target_and_instants_are_described_alike_in_every_output() -> None:
    with_target = ["plan.schema.json", "drift.schema.json", "apply.schema.json", "status.schema.json"]
    targets = [shared(name, "target") for name in with_target]
    assert all(target == targets[0] for target in targets), "target differs between schemas"
    with_instant = [*with_target, "watch-event.schema.json"]
    instants = [shared(name, "instant") for name in with_instant]
    assert all(instant == instants[0] for instant in instants), "instant differs between schemas"
    plan = load_schema("plan.schema.json")["properties"]["not_planned"]["items"]
    assert load_schema("drift.schema.json")["properties"]["not_compared"]["items"] == plan
    assert load_schema("apply.schema.json")["properties"]["held_back"]["items"] == plan
