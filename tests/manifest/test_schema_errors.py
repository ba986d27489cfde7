"""The one schema-error explainer (manifests, reconciler.yaml and sandbox fixtures all use it):
one problem per slip, at the field it is about, with a "did you mean"."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from reconciler.core.schema_errors import SchemaProblem, explain

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["capacity"],
    "properties": {
        "capacity": {"type": "number", "minimum": 0},
        "unit": {"enum": ["kW", "MW"]},
        "password": {"type": "string"},
        "names": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z]+$", "patternErrorMessage": "lower-case"},
        },
        "kind": {"type": "string"},
        "fixture": {"type": "string"},
        "bid": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"day": {"type": "string"}, "days": {"type": "array", "minItems": 1}},
            "oneOf": [{"required": ["day"]}, {"required": ["days"]}],
            "errorMessage": "a bid with day or days",
        },
    },
    "if": {"properties": {"kind": {"const": "platform"}}},
    "then": {"not": {"required": ["fixture"]}},
}


def _problems(instance: Any) -> list[SchemaProblem]:
    return explain(Draft202012Validator(SCHEMA).iter_errors(instance))


def test_a_misspelt_required_key_is_one_problem_with_a_suggestion() -> None:
    (problem,) = _problems({"capcity": 1})
    assert (problem.path, problem.code, problem.key, problem.hint) == (
        ("capcity",),
        "schema-unknown-key",
        "capcity",
        "capacity",
    )
    assert problem.message == "unknown key 'capcity' in the document; did you mean 'capacity'?"
    assert problem.at_key


def test_a_value_gets_the_closest_allowed_one_and_a_bound_its_limit() -> None:
    capacity, unit = _problems({"capacity": -1, "unit": "mw"})
    assert (capacity.code, capacity.expected, capacity.found) == (
        "schema-range",
        "at least 0",
        "-1 (a number)",
    )
    assert (unit.code, unit.hint, unit.expected) == ("schema-value", "MW", "one of kW, MW")


def test_a_wrong_type_is_said_once_and_explains_the_rest() -> None:
    (problem,) = _problems({"capacity": "lots"})
    assert (problem.code, problem.expected, problem.found) == ("schema-type", "a number", "'lots' (a string)")


def test_a_secret_is_never_quoted_back() -> None:
    (problem,) = _problems({"capacity": 1, "password": 123456789})
    assert "123456789" not in problem.found + problem.message


def test_a_refused_key_name_and_a_forbidden_key_point_at_the_key() -> None:
    forbidden, refused = _problems({"capacity": 1, "names": {"Bad": 1}, "kind": "platform", "fixture": "f"})
    assert (refused.path, refused.code, refused.expected, refused.at_key) == (
        ("names", "Bad"),
        "schema-format",
        "lower-case",
        True,
    )
    assert (forbidden.path, forbidden.code, forbidden.key) == (
        ("fixture",),
        "schema-forbidden-key",
        "fixture",
    )


def test_a_shape_is_not_reported_when_a_misspelt_key_explains_it() -> None:
    (misspelt,) = _problems({"capacity": 1, "bid": {"dya": "2026-11-24"}})
    assert (misspelt.code, misspelt.hint) == ("schema-unknown-key", "day")
    (shape,) = _problems({"capacity": 1, "bid": {"day": "2026-11-24", "days": ["2026-11-25"]}})
    assert (shape.code, shape.path, shape.expected) == ("schema-shape", ("bid",), "a bid with day or days")
