"""Structure check against ``schemas/manifest.schema.json`` (JSON Schema 2020-12, jsonschema).

The schema is the one source of truth for structure; this module only turns jsonschema's
errors into diagnostics a person can act on: the key's line and column, the field path, what
was expected and what was found, and a "did you mean" for unknown keys and values.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from reconciler.core.diagnostics import Severity
from reconciler.core.schemas import load_schema
from reconciler.core.yamlsource import FieldPath, format_path
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.values import ValueProblem, describe, parse_grid_time
from reconciler.market import Market, ProductError, parse_product

MANIFEST_SCHEMA = "manifest.schema.json"

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "object": "a mapping (key: value)",
    "array": "a list",
    "boolean": "true or false",
    "null": "nothing (null)",
}


@cache
def manifest_validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema(MANIFEST_SCHEMA))


class Explained(NamedTuple):
    path: FieldPath
    code: str
    message: str
    expected: str
    found: str
    at_key: bool = False
    subject: str | None = None  # the missing key, or the key an unknown key probably meant


@cache
def _time_pattern() -> re.Pattern[str]:
    return re.compile(load_schema(MANIFEST_SCHEMA)["$defs"]["time"]["pattern"])


def plainly_valid_entry(entry: Any) -> bool:
    """True only for a schedule entry the schema surely accepts: ``{at, power}`` or
    ``{from, to, power}`` with a number and times that match the schema's pattern, as jsonschema
    checks it (``re.search``). False says nothing: jsonschema then checks the entry."""
    if type(entry) is not dict or type(entry.get("power")) is not Decimal:
        return False
    times: tuple[Any, ...]
    if len(entry) == 2:
        times = (entry.get("at"),)
    elif len(entry) == 3:
        times = (entry.get("from"), entry.get("to"))
    else:
        return False
    search = _time_pattern().search
    return all(type(t) is str and search(t) for t in times)


def _schema_instance(document: Any) -> Any:
    """The document as jsonschema needs to see it: a long schedule whose every entry is plainly
    valid (:func:`plainly_valid_entry`) is left out, as it can add no error; checking entry by
    entry in jsonschema costs ~20 µs each."""
    if not (
        isinstance(document, dict)
        and isinstance(spec := document.get("spec"), dict)
        and isinstance(wholesale := spec.get("wholesale"), dict)
        and isinstance(schedule := wholesale.get("schedule"), list)
        and all(map(plainly_valid_entry, schedule))
    ):
        return document
    return {**document, "spec": {**spec, "wholesale": {**wholesale, "schedule": []}}}


def check_structure(ctx: DocumentContext) -> None:
    """Report every way the document breaks the schema, once per problem."""
    errors = manifest_validator().iter_errors(_schema_instance(ctx.document.value))
    ordered = sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    typed = {tuple(e.absolute_path) for e in ordered if e.validator == "type"}
    explained: list[Explained] = []
    for error in ordered:
        path: FieldPath = tuple(error.absolute_path)
        if path in typed and error.validator != "type":
            continue  # the wrong type explains everything else said about this value
        explained.extend(_explain(error, path))
    # A misspelt key also shows as a missing one, and {at, from} also misses `to`: say it once.
    meant = {(e.path[:-1], e.subject) for e in explained if e.code == "schema-unknown-key"}
    shaped = {e.path for e in explained if e.code == "schema-shape"}
    reported: set[tuple[FieldPath, str]] = set()
    for item in explained:
        if item.code == "schema-missing-key" and (
            (item.path[:-1], item.subject) in meant or item.path[:-1] in shaped
        ):
            continue
        if (item.path, item.message) in reported:
            continue
        reported.add((item.path, item.message))
        ctx.report(
            Severity.ERROR,
            item.code,
            item.message,
            item.path,
            expected=item.expected,
            found=item.found,
            key=item.at_key,
        )


def _explain(error: ValidationError, path: FieldPath) -> Iterable[Explained]:
    finer = _finer(error, path)
    if finer is not None:
        yield finer
        return
    instance = error.instance
    rule: Any = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    where = _name(path)
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                hint = _suggest(str(key), allowed)
                yield Explained(
                    (*path, key),
                    "schema-unknown-key",
                    f"unknown key {key!r} in {where}" + (f"; did you mean {hint!r}?" if hint else ""),
                    "one of " + ", ".join(allowed),
                    str(key),
                    at_key=True,
                    subject=hint,
                )
    elif error.validator in ("required", "dependentRequired") and isinstance(instance, dict):
        for key, because in _missing(error, instance):
            yield Explained(
                (*path, key),  # reported at the mapping, but it is this field that fails
                "schema-missing-key",
                f"{where} is missing the key {key!r}" + (f" (needed with {because!r})" if because else ""),
                f"a key {key!r}",
                "keys " + ", ".join(instance) if instance else "an empty mapping",
                subject=key,
            )
    elif error.validator == "type":
        wanted = rule if isinstance(rule, list) else [rule]
        expected = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in wanted)
        found = describe(instance)
        if "string" in wanted and not isinstance(instance, (dict, list)):
            found += "; quote the value to make it text"  # YAML read `yes`, `2026`, `~` as non-text
        yield Explained(
            path, "schema-type", f"{where} has the wrong type: expected {expected}", expected, found
        )
    elif error.validator in ("enum", "const"):
        options = [str(v) for v in (rule if error.validator == "enum" else [rule])]
        hint = _suggest(str(instance), options) if isinstance(instance, str) and len(options) > 1 else None
        yield Explained(
            path,
            "schema-value",
            f"{where} must be {' or '.join(options)}" + (f"; did you mean {hint!r}?" if hint else ""),
            "one of " + ", ".join(options) if len(options) > 1 else options[0],
            describe(instance),
        )
    elif error.validator == "pattern":
        expected = schema.get("patternErrorMessage") or f"text matching {rule}"
        yield Explained(
            path, "schema-format", f"{where} is not in the expected form", expected, describe(instance)
        )
    elif error.validator in ("oneOf", "anyOf") and "errorMessage" in schema:
        found = (
            ("keys " + ", ".join(instance)) if isinstance(instance, dict) and instance else describe(instance)
        )
        yield Explained(
            path, "schema-shape", f"{where} must be {schema['errorMessage']}", schema["errorMessage"], found
        )
    elif error.context:
        deepest = best_match(error.context)
        yield from _explain(deepest, tuple(deepest.absolute_path))
    else:
        expected = schema.get("description", "a valid value")
        yield Explained(path, "schema-invalid", f"{where}: {error.message}", expected, describe(instance))


# The schema's products and times are as strict as a plain enum or pattern can be, so editors flag
# them; the loader's own checks say more precisely what is wrong with a value they refuse.
_PRODUCT_SECTIONS = {"fcrProduct": "fcr", "afrrProduct": "afrr"}
_ANY_ZONE = ZoneInfo("UTC")  # on or off the grid alike in every zone with whole quarter-hour offsets


def _finer(error: ValidationError, path: FieldPath) -> Explained | None:
    """The loader's own finding for a time or product the schema refused, when it has one."""
    text, schema = error.instance, error.schema
    definitions = load_schema(MANIFEST_SCHEMA)["$defs"]
    if not isinstance(text, str) or not isinstance(schema, dict):
        return None
    if schema is definitions["time"]:
        try:
            parse_grid_time(text, _ANY_ZONE)
        except ValueProblem as problem:
            if problem.code == "time-off-grid":
                return Explained(path, problem.code, problem.message, problem.expected, problem.found)
        return None
    section = next((s for name, s in _PRODUCT_SECTIONS.items() if schema is definitions[name]), None)
    if section is None:
        return None
    expected = str(schema.get("errorMessage", "a product of the market"))
    try:
        product = parse_product(text)
    except ProductError as exc:
        return Explained(path, "bid-product-unknown", str(exc), expected, text)
    belongs = "fcr" if product.market is Market.FCR else "afrr"
    if belongs == section:
        return None  # a product of this section the schema does not know: its own words follow
    return Explained(
        path,
        "schema-format",
        f"{_name(path)}: {text} is a product of spec.{belongs}, not of spec.{section}",
        expected,
        text,
    )


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


def _name(path: FieldPath) -> str:
    return format_path(path) or "the document"


def _suggest(word: str, options: Sequence[str]) -> str | None:
    """The closest option (a case-only difference first), for "did you mean"."""
    for option in options:
        if option.lower() == word.lower():
            return option
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None
