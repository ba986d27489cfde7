"""Check a command's JSON output against the schema it publishes (``schemas/<name>``)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from reconciler.core.schemas import load_schema


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_matches_schema(document: Any, name: str) -> None:
    """Fail with every place the document breaks schema ``name``, each with its JSON path."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, f"{name}: " + "; ".join(f"{e.json_path}: {e.message}" for e in errors)
