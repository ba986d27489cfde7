"""Reading a plan file checks its bulk (per-period maps, projected SoC) by hand and the rest with
jsonschema: whatever the schema refuses is still refused, with jsonschema's own words."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from reconciler.core.schemas import load_schema
from reconciler.plan.planfile import PlanFileError, load_document
from reconciler.sandbox.server import RunningSandbox
from tests.plan.test_planfile_trust import Document, saved_plan, schedule

pytestmark = pytest.mark.usefixtures("demo_credentials")


def first_period(document: Document) -> str:
    period: str = next(iter(schedule(document)["after"]))
    return period


def first_soc(document: Document) -> Document:
    item: Document = next(iter(document["projected_soc"].values()))[0]
    return item


def _set_after(value: object) -> Callable[[Document], None]:
    return lambda d: schedule(d)["after"].__setitem__(first_period(d), value)


def _set_before(value: object) -> Callable[[Document], None]:
    return lambda d: schedule(d)["before"].__setitem__(first_period(d), value)


EDITS: dict[str, Callable[[Document], None]] = {
    "a power as text": _set_after("-2000"),
    "a power as true": _set_before(True),
    "a power as null": _set_after(None),
    "an SoC as true": lambda d: first_soc(d).__setitem__("soc", True),
    "an SoC as text": lambda d: first_soc(d).__setitem__("soc", "50"),
    "an SoC time without Z": lambda d: first_soc(d).__setitem__("time", "2026-11-24T01:00:00+01:00"),
    "an SoC time as a number": lambda d: first_soc(d).__setitem__("time", 1),
    "an SoC item without soc": lambda d: first_soc(d).pop("soc"),
    "an SoC item as a list": lambda d: next(iter(d["projected_soc"].values())).__setitem__(0, []),
    "an SoC series as a mapping": lambda d: d["projected_soc"].__setitem__("x", {}),
    "a change without its kind": lambda d: schedule(d).pop("kind"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_every_edit_the_schema_refuses_is_refused_in_its_words(
    name: str, sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = saved_plan(sandbox, tmp_path, capsys)
    document = json.loads(plan_file.read_text(), parse_float=Decimal)
    assert document["projected_soc"] and schedule(document)["after"]  # the bulk the fast path skips
    assert load_document(plan_file) == document  # valid as saved
    EDITS[name](document)
    plan_file.write_text(json.dumps(document, indent=2, default=float))
    validator = jsonschema.Draft202012Validator(load_schema("plan.schema.json"))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert errors  # the schema refuses it
    with pytest.raises(PlanFileError) as refused:
        load_document(plan_file)
    assert errors[0].message in str(refused.value)
