"""Structure check against ``schemas/manifest.schema.json`` (JSON Schema 2020-12, jsonschema).

The schema is the one source of truth for structure; :mod:`reconciler.core.schema_errors`
explains its errors, and this module makes each a diagnostic at the key's line and column.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from reconciler.core.diagnostics import Severity
from reconciler.core.schema_errors import explain
from reconciler.core.schemas import load_schema
from reconciler.core.yamlsource import FieldPath
from reconciler.manifest.context import DocumentContext

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
    problems = explain(manifest_validator().iter_errors(_schema_instance(ctx.document.value)))
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
