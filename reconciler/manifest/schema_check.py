"""Structure check against ``schemas/manifest.schema.json`` (JSON Schema 2020-12, jsonschema).

The schema is the one source of truth for structure; :mod:`reconciler.core.schema_errors`
explains its errors, and this module makes each a diagnostic at the key's line and column.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from reconciler.core.diagnostics import Severity
from reconciler.core.schema_errors import SchemaProblem, explain
from reconciler.core.schemas import load_schema
from reconciler.core.yamlsource import FieldPath, format_path
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.values import ValueProblem, parse_grid_time
from reconciler.market import Market, ProductError, parse_product

MANIFEST_SCHEMA = "manifest.schema.json"


@cache
def manifest_validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema(MANIFEST_SCHEMA))


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


def check_structure(ctx: DocumentContext) -> list[FieldPath]:
    """Report every way the document breaks the schema, once per problem; the fields it is about."""
    errors = manifest_validator().iter_errors(_schema_instance(ctx.document.value))
    problems = explain(errors, finer=_finer)
    for problem in problems:
        ctx.report(
            Severity.ERROR,
            problem.code,
            problem.message,
            problem.path,
            expected=problem.expected,
            found=problem.found,
            key=problem.at_key,
        )
    return [problem.path for problem in problems]


# The schema's products and times are as strict as a plain enum or pattern can be, so editors flag
# them; the loader's own checks say more precisely what is wrong with a value they refuse.
_PRODUCT_SECTIONS = {"fcrProduct": "fcr", "afrrProduct": "afrr"}
_ANY_ZONE = ZoneInfo("UTC")  # on or off the grid alike in every zone with whole quarter-hour offsets


def _finer(error: ValidationError, path: FieldPath) -> SchemaProblem | None:
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
                return SchemaProblem(path, problem.code, problem.message, problem.expected, problem.found)
        return None
    section = next((s for name, s in _PRODUCT_SECTIONS.items() if schema is definitions[name]), None)
    if section is None:
        return None
    expected = str(schema.get("errorMessage", "a product of the market"))
    try:
        product = parse_product(text)
    except ProductError as exc:
        return SchemaProblem(path, "bid-product-unknown", str(exc), expected, text)
    belongs = "fcr" if product.market is Market.FCR else "afrr"
    if belongs == section:
        return None  # a product of this section the schema does not know: its own words follow
    return SchemaProblem(
        path,
        "schema-format",
        f"{format_path(path) or 'the document'}: {text} is a product of spec.{belongs}, not of spec.{section}",
        expected,
        text,
    )
