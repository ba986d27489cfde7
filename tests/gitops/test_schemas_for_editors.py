"""Editors show help and completion for every field: schemas carry titles, descriptions, examples.

An editor with the YAML language server reads the schema named on a file's first line, so every
example file starts with that line, and the schema it names accepts the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler.core.schemas import load_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
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
