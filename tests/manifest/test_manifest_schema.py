"""The JSON Schema is the structure's source of truth; its errors point at the right key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from reconciler.core.schemas import load_schema, schema_path
from reconciler.manifest import LoadResult, load_manifests
from tests.manifest.manifest_helpers import codes, manifest_text, only


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, child in node.get("properties", {}).items():
            yield f"{where}.{name}", child
        for key, child in node.items():
            yield from _properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for child in node:
            yield from _properties(child, where)


def test_schema_is_valid_2020_12_and_found_in_the_checkout() -> None:
    schema = load_schema("manifest.schema.json")
    assert schema_path("manifest.schema.json").name == "manifest.schema.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_property_has_title_description_and_examples_for_editors() -> None:
    schema = load_schema("manifest.schema.json")
    definitions = schema["$defs"]
    for where, prop in _properties(schema):
        target = definitions[prop["$ref"].rsplit("/", 1)[1]] if "$ref" in prop else prop
        merged = {**target, **prop}
        missing = {"title", "description", "examples"} - set(merged)
        assert not missing, f"{where} lacks {missing}"


def test_examples_reference_the_schema_for_editors() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "portfolio"
    for manifest in examples.glob("*.yaml"):
        first = manifest.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/manifest.schema.json", manifest


def test_unknown_key_suggests_the_known_one_at_its_line(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec("wholesale:\n  schedule:\n    - {at: '2026-11-24T10:00', powr: 1}\n")
    error = only(result, "schema-unknown-key")
    assert (error.line, error.column) == (9, 34)
    assert error.path == "spec.wholesale.schedule[0].powr"
    assert "did you mean 'power'?" in error.message
    assert error.expected == "one of at, from, power, to"
    # The misspelt key is one problem: no second "missing power" diagnostic.
    assert codes(result) == ["schema-unknown-key"]


def test_case_slip_in_a_key_is_suggested(write: Callable[[str, str], Path]) -> None:
    text = manifest_text("").replace("virtualAsset", "virtualasset")
    error = only(load_manifests([write("m.yaml", text)]), "schema-unknown-key")
    assert "did you mean 'virtualAsset'?" in error.message
    assert error.line == 6


def test_missing_key_names_the_mapping_and_what_it_has(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec("fcr:\n  bids:\n    - {day: 2026-11-24, product: NEGPOS_00_04, capacityPrice: 90}\n")
    error = only(result, "schema-missing-key")
    assert (error.line, error.path) == (9, "spec.fcr.bids[0].capacity")
    assert error.expected == "a key 'capacity'"
    assert error.found == "keys day, product, capacityPrice"


def test_wrong_enum_value_suggests_the_right_one(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec("wholesale:\n  unit: mw\n  schedule: []\n")
    error = only(result, "schema-value")
    assert (error.line, error.column, error.path) == (8, 11, "spec.wholesale.unit")
    assert "did you mean 'MW'?" in error.message


def test_entry_with_both_at_and_range_is_one_error(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec(
        "wholesale:\n  schedule:\n    - {at: '2026-11-24T10:00', from: '2026-11-24T10:00', power: 1}\n"
    )
    error = only(result, "schema-shape")
    assert error.path == "spec.wholesale.schedule[0]"
    assert error.found == "keys at, from, power"
    assert codes(result) == ["schema-shape"]


def test_range_without_end_is_missing_to(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec("wholesale:\n  schedule:\n    - {from: '2026-11-24T10:00', power: 1}\n")
    error = only(result, "schema-missing-key")
    assert "'to'" in error.message and "'from'" in error.message


def test_wrong_product_family_per_section(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec(
        """
        fcr:
          bids:
            - {day: 2026-11-24, product: POS_00_04, capacity: 1000, capacityPrice: 1}
        afrr:
          bids:
            - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 1000, capacityPrice: 1, energyPrice: 1}
        """
    )
    fcr, afrr = (d for d in result.diagnostics if d.code == "schema-format")
    assert fcr.path == "spec.fcr.bids[0].product" and "belong in afrr" in (fcr.expected or "")
    assert afrr.path == "spec.afrr.bids[0].product" and "belong in fcr" in (afrr.expected or "")


def test_energy_price_is_not_a_field_of_fcr_bids(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec(
        "fcr:\n  bids:\n    - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 1000, capacityPrice: 1, energyPrice: 5}\n"
    )
    error = only(result, "schema-unknown-key")
    assert error.path == "spec.fcr.bids[0].energyPrice"


def test_a_document_of_another_kind_in_a_named_file_is_reported(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", manifest_text("").replace("kind: VirtualAsset", "kind: Deployment"))
    error = only(load_manifests([path]), "schema-value")
    assert (error.line, error.path, error.expected) == (2, "kind", "VirtualAsset")
