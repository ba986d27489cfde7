"""Editors show help and completion for every field: schemas carry titles, descriptions, examples.

An editor with the YAML language server reads the schema named on a file's first line, so every
example file starts with that line, and the schema it names accepts the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler.core.schemas import SCHEMA_BASE_URL, load_schema, schema_url
from reconciler.market import Market, products_of_day

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCHEMA_LINE = "# yaml-language-server: $schema="
GITHUB_WORKFLOW_SCHEMA = "https://json.schemastore.org/github-workflow.json"
KUBERNETES_DEPLOYMENT_SCHEMA = (
    "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/"
    "v1.30.0-standalone-strict/deployment-apps-v1.json"
)
CONDITIONS = ("if", "not")  # subschemas that test a value; their "properties" are not fields


def fields(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, child in node.get("properties", {}).items():
            yield f"{where}.{name}", child
        for key, child in node.items():
            if key not in CONDITIONS:
                yield from fields(child, f"{where}/{key}")
    elif isinstance(node, list):
        for child in node:
            yield from fields(child, where)


@pytest.mark.parametrize(
    "name", ["sandbox-fixture.schema.json", "config.schema.json", "manifest.schema.json"]
)
def test_every_field_has_title_description_and_examples(name: str) -> None:
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    definitions = schema.get("$defs", {})
    checked = 0
    for where, prop in fields(schema):
        target = definitions[prop["$ref"].rsplit("/", 1)[1]] if "$ref" in prop else prop
        merged = {**target, **prop}
        missing = {"title", "description", "examples"} - set(merged)
        assert not missing, f"{name} {where} lacks {sorted(missing)}"
        assert str(merged["description"]).strip(), f"{name} {where} has an empty description"
        checked += 1
    assert checked >= 7


@pytest.mark.parametrize(
    "name", ["sandbox-fixture.schema.json", "config.schema.json", "manifest.schema.json"]
)
def test_the_examples_in_a_schema_are_valid_values(name: str) -> None:
    schema = load_schema(name)
    definitions = schema.get("$defs", {})
    validator = jsonschema.Draft202012Validator
    for example in schema.get("examples", []):
        validator(schema).validate(example)
    for where, prop in fields(schema):
        if "$ref" in prop or "examples" not in prop:
            continue
        scoped = {**prop, "$defs": definitions}
        for example in prop["examples"]:
            assert not list(validator(scoped).iter_errors(example)), f"{name} {where}: {example!r}"


class YamlAsEditorsReadIt(yaml.SafeLoader):
    """Dates stay strings, as in YAML 1.2 (the language server, the manifest loader)."""


YamlAsEditorsReadIt.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yaml", ".yml"))


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_every_example_starts_with_its_schema_and_that_schema_accepts_it(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_LINE), f"{path} does not start with {SCHEMA_LINE}…"
    reference = first.removeprefix(SCHEMA_LINE)
    if path.parent.name == "workflows":
        assert reference == GITHUB_WORKFLOW_SCHEMA
        return
    if path.name == "kubernetes.yaml":
        assert reference == KUBERNETES_DEPLOYMENT_SCHEMA
        return
    schema_file = (path.parent / reference).resolve()
    assert schema_file.parent == ROOT / "schemas" and schema_file.is_file(), reference
    for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=YamlAsEditorsReadIt):
        jsonschema.validate(document, load_schema(schema_file.name))


@pytest.mark.parametrize("path", sorted((ROOT / "schemas").glob("*.json")), ids=lambda p: p.name)
def test_every_schema_has_a_stable_id_under_the_one_base_url(path: Path) -> None:
    schema = load_schema(path.name)
    assert schema["$id"] == schema_url(path.name) == SCHEMA_BASE_URL + path.name
    assert SCHEMA_BASE_URL in README  # the README says where to point an editor


def test_the_schema_offers_exactly_the_products_of_the_market() -> None:
    definitions = load_schema("manifest.schema.json")["$defs"]
    day = date(2026, 11, 24)
    assert definitions["fcrProduct"]["enum"] == [p.name for p in products_of_day(Market.FCR, day)]
    capacity, energy = definitions["afrrProduct"]["anyOf"]
    assert capacity["enum"] == [p.name for p in products_of_day(Market.AFRR_CAPACITY, day)]
    # D13: energy products are the local quarter-hours of the day, 001 to 092/096/100 (DST days)
    names = {f"{d}_{i:03d}" for d in ("POS", "NEG") for i in range(1, 101)}
    longest = {p.name for p in products_of_day(Market.AFRR_ENERGY, date(2026, 10, 25))}
    assert longest == names
    tried = {f"{d}_{i:03d}" for d in ("POS", "NEG", "NEGPOS") for i in range(0, 1000)} | {"POS_1", "NEG_0001"}
    assert {name for name in tried if re.search(energy["pattern"], name)} == names


def test_schedule_times_are_limited_to_the_quarter_hour_grid() -> None:
    pattern = re.compile(load_schema("manifest.schema.json")["$defs"]["time"]["pattern"])
    on_grid = {f"2026-11-24T10:{m:02d}" for m in range(60) if pattern.search(f"2026-11-24T10:{m:02d}")}
    assert on_grid == {f"2026-11-24T10:{m:02d}" for m in (0, 15, 30, 45)}
    for text in (
        "2026-11-24T10:15:00",
        "2026-11-24T10:15:00.000Z",
        "2026-11-24 10:45+05:45",
        "2026-11-24T10:00z",
    ):
        assert pattern.search(text), text
    for text in ("2026-11-24T10:15:30", "2026-11-24T10:15:00.5", "2026-11-24T10:00+01:07", "2026-11-24"):
        assert not pattern.search(text), text
