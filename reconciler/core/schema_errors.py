"""One explainer of JSON Schema errors, for every file the project checks against a schema
(manifests, ``reconciler.yaml``, sandbox fixtures).

jsonschema says what failed in its own terms; :func:`explain` turns each error into a
:class:`SchemaProblem` a person can act on: the field it is about (an unknown or missing key
included), what was expected, what was found, and a "did you mean" for misspelt keys and values.
Redundant errors are dropped, so one slip is one problem: a wrong type explains everything else
said about its value, and a misspelt key is not also reported as a missing one. Callers only
choose how to print a problem (a manifest diagnostic, a config or fixture error line).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from jsonschema.exceptions import ValidationError, best_match

from reconciler.core.yamlsource import FieldPath, format_path, is_secret

# Codes (stable, shared by every checked file):
UNKNOWN_KEY = "schema-unknown-key"
MISSING_KEY = "schema-missing-key"
FORBIDDEN_KEY = "schema-forbidden-key"  # a key the rest of its mapping rules out (JSON Schema ``not``)
WRONG_TYPE = "schema-type"
WRONG_VALUE = "schema-value"  # not one of the allowed values (``enum``, ``const``)
WRONG_FORM = "schema-format"  # text not in the expected form (``pattern``)
OUT_OF_RANGE = "schema-range"  # a number or size beyond a bound
WRONG_SHAPE = "schema-shape"  # a mapping that fits none of the allowed shapes
INVALID = "schema-invalid"

TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "object": "a mapping (key: value)",
    "array": "a list",
    "boolean": "true or false",
    "null": "nothing (null)",
}

_BOUNDS = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "more than",
    "exclusiveMaximum": "less than",
    "minLength": "a text of length at least",
    "maxLength": "a text of length at most",
    "minItems": "a list of length at least",
    "maxItems": "a list of length at most",
    "minProperties": "a mapping with at least",
    "maxProperties": "a mapping with at most",
}
_UNITS = {"minProperties": " key(s)", "maxProperties": " key(s)"}
_SIZE_WORDS = {
    "minLength": "is too short",
    "maxLength": "is too long",
    "minItems": "has too few items",
    "maxItems": "has too many items",
    "minProperties": "has too few keys",
    "maxProperties": "has too many keys",
}

SECRET_FOUND = "a value that is not shown (it is a secret)"
MAX_SHOWN = 60  # characters of a found string that are quoted back


class SchemaProblem(NamedTuple):
    """One way a value breaks its schema."""

    path: FieldPath  # the field it is about; for an unknown, missing or forbidden key, that key
    code: str
    message: str  # a sentence naming the field: "unknown key 'powr' in spec...; did you mean 'power'?"
    expected: str
    found: str
    at_key: bool = False  # point at the key rather than its value
    key: str | None = None  # the unknown, missing or forbidden key
    hint: str | None = None  # "did you mean": the known key or value closest to what was written
    value: Any = None  # the offending value as read (for callers that word it their own way)


Describe = Callable[[Any], str]
# A caller's own, more precise wording of an error (e.g. the loader's reading of a value the
# schema refused), or None to let the explainer word it.
Finer = Callable[[ValidationError, FieldPath], "SchemaProblem | None"]


def describe_value(value: Any) -> str:
    """A short description of a value read from YAML or JSON, for ``found``."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, Decimal):
        if not value.is_finite() or value.adjusted() > 15:
            return str(value)
        return f"{(value.normalize() if value else Decimal(0)):f} (a number)"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    if isinstance(value, str):
        shown = value if len(value) <= MAX_SHOWN else value[: MAX_SHOWN - 3] + "..."
        return f"{shown!r} (a string)"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:6]) + (", ..." if len(value) > 6 else "")
        return f"a mapping with keys {keys}" if value else "an empty mapping"
    return type(value).__name__


def suggest(word: str, options: Sequence[str]) -> str | None:
    """The closest option (a case-only difference first), for "did you mean"."""
    for option in options:
        if option.lower() == word.lower():
            return option
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def explain(
    errors: Iterable[ValidationError], describe: Describe = describe_value, finer: Finer | None = None
) -> list[SchemaProblem]:
    """Every distinct problem among ``errors``, in field order; ``describe`` words found values,
    and ``finer`` may word an error itself."""
    ordered = sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    typed = {tuple(e.absolute_path) for e in ordered if e.validator == "type"}
    explained: list[tuple[SchemaProblem, frozenset[str]]] = []
    said_type: set[FieldPath] = set()
    for error in ordered:
        path: FieldPath = tuple(error.absolute_path)
        if path in typed and (error.validator != "type" or path in said_type):
            continue  # the (first) wrong type explains everything else said about this value
        if error.validator == "type":
            said_type.add(path)
        explained.extend(_explain(error, path, describe, finer))
    # A misspelt key also shows as a missing one (or as a shape that lacks it), and {at, from}
    # also misses `to`: say each once.
    meant = {(p.path[:-1], p.hint) for p, _ in explained if p.code == UNKNOWN_KEY}
    shaped = {p.path for p, _ in explained if p.code == WRONG_SHAPE}
    problems: list[SchemaProblem] = []
    reported: set[tuple[FieldPath, str]] = set()
    for problem, alternatives in explained:
        if problem.code == MISSING_KEY and (
            (problem.path[:-1], problem.key) in meant or problem.path[:-1] in shaped
        ):
            continue
        if problem.code == WRONG_SHAPE and any((problem.path, key) in meant for key in alternatives):
            continue
        if (problem.path, problem.message) in reported:
            continue
        reported.add((problem.path, problem.message))
        problems.append(problem)
    return problems


def _explain(
    error: ValidationError, path: FieldPath, describe: Describe, finer: Finer | None
) -> Iterator[tuple[SchemaProblem, frozenset[str]]]:
    """The problems of one error, each with the keys a shape problem's alternatives require."""
    none: frozenset[str] = frozenset()
    worded = finer(error, path) if finer is not None else None
    if worded is not None:
        yield worded, none
        return
    instance = error.instance
    rule: Any = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    where = format_path(path) or "the document"
    if "propertyNames" in error.relative_schema_path and isinstance(instance, str):
        path, where = (*path, instance), f"the key {instance!r} of {where}"  # the key is the value
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                hint = suggest(str(key), allowed)
                yield (
                    SchemaProblem(
                        (*path, key),
                        UNKNOWN_KEY,
                        f"unknown key {key!r} in {where}" + (f"; did you mean {hint!r}?" if hint else ""),
                        "one of " + ", ".join(allowed),
                        str(key),
                        at_key=True,
                        key=str(key),
                        hint=hint,
                        value=key,
                    ),
                    none,
                )
    elif error.validator in ("required", "dependentRequired") and isinstance(instance, dict):
        for key, because in _missing(error, instance):
            yield (
                SchemaProblem(
                    (*path, key),  # reported at the mapping, but it is this field that fails
                    MISSING_KEY,
                    f"{where} is missing the key {key!r}"
                    + (f" (needed with {because!r})" if because else ""),
                    f"a key {key!r}",
                    "keys " + ", ".join(instance) if instance else "an empty mapping",
                    key=key,
                    value=instance,
                ),
                none,
            )
    elif (
        error.validator == "not"
        and isinstance(rule, dict)
        and isinstance(instance, dict)
        and rule.get("required")
    ):
        for key in (str(k) for k in rule["required"] if k in instance):
            yield (
                SchemaProblem(
                    (*path, key),
                    FORBIDDEN_KEY,
                    f"the key {key!r} does not belong in {where}",
                    schema.get("description") or f"no key {key!r}",
                    key,
                    at_key=True,
                    key=key,
                    value=instance,
                ),
                none,
            )
    elif error.validator == "type":
        wanted = rule if isinstance(rule, list) else [rule]
        expected = " or ".join(TYPE_NAMES.get(str(t), str(t)) for t in wanted)
        found = _found(path, instance, describe)
        if "string" in wanted and not isinstance(instance, dict | list) and not is_secret(path):
            found += "; quote the value to make it text"  # YAML read `yes`, `2026`, `~` as non-text
        message = f"{where} has the wrong type: expected {expected}"
        yield SchemaProblem(path, WRONG_TYPE, message, expected, found, value=instance), none
    elif error.validator in ("enum", "const"):
        options = [str(v) for v in (rule if error.validator == "enum" else [rule])]
        hint = suggest(str(instance), options) if isinstance(instance, str) and len(options) > 1 else None
        yield (
            SchemaProblem(
                path,
                WRONG_VALUE,
                f"{where} must be {' or '.join(options)}" + (f"; did you mean {hint!r}?" if hint else ""),
                schema.get("errorMessage")
                or ("one of " + ", ".join(options) if len(options) > 1 else options[0]),
                _found(path, instance, describe),
                hint=hint,
                value=instance,
            ),
            none,
        )
    elif error.validator == "pattern":
        expected = schema.get("patternErrorMessage") or f"text matching {rule}"
        yield (
            SchemaProblem(
                path,
                WRONG_FORM,
                f"{where} is not in the expected form",
                expected,
                _found(path, instance, describe),
                at_key=len(path) > len(error.absolute_path),
                value=instance,
            ),
            none,
        )
    elif error.validator in _BOUNDS:
        bound = str(error.validator)
        expected = f"{_BOUNDS[bound]} {rule}{_UNITS.get(bound, '')}"
        found = _found(path, instance, describe)
        message = f"{where} {_SIZE_WORDS.get(bound, 'is out of range')}"
        yield SchemaProblem(path, OUT_OF_RANGE, message, expected, found, value=instance), none
    elif error.validator in ("oneOf", "anyOf") and "errorMessage" in schema:
        found = (
            ("keys " + ", ".join(instance)) if isinstance(instance, dict) and instance else describe(instance)
        )
        alternatives = frozenset(
            str(key) for branch in rule if isinstance(branch, dict) for key in branch.get("required", ())
        )
        if isinstance(instance, dict) and alternatives & set(instance):
            alternatives = frozenset()  # one of them is there: the shape is wrong, not a key misspelt
        message = f"{where} must be {schema['errorMessage']}"
        yield (
            SchemaProblem(path, WRONG_SHAPE, message, schema["errorMessage"], found, value=instance),
            alternatives,
        )
    elif error.context:
        deepest = best_match(error.context)
        yield from _explain(deepest, tuple(deepest.absolute_path), describe, finer)
    else:
        expected = schema.get("description", "a valid value")
        message = f"{where}: {error.message}" if not is_secret(path) else f"{where} is not valid"
        yield (
            SchemaProblem(path, INVALID, message, expected, _found(path, instance, describe), value=instance),
            none,
        )


def _found(path: FieldPath, value: Any, describe: Describe) -> str:
    return SECRET_FOUND if is_secret(path) else describe(value)


def _missing(error: ValidationError, instance: dict[str, Any]) -> list[tuple[str, str | None]]:
    rule: Any = error.validator_value
    if error.validator == "required":
        return [(str(key), None) for key in rule if key not in instance]
    return [
        (str(needed), str(key))
        for key, needs in rule.items()
        if key in instance
        for needed in needs
        if needed not in instance
    ]
