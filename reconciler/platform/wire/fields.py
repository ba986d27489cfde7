"""Reading fields out of parsed JSON with one clear error when the shape is not as documented."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.market import isoformat_z, parse_instant
from reconciler.platform.errors import UnexpectedResponseError

Document = Mapping[str, Any]


def _shape_error(what: str, key: str, expected: str, found: object) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"unexpected response from the platform: {what} field {key!r} should be {expected}, found {found!r}"
    )


def as_object(value: object, what: str) -> Document:
    if not isinstance(value, Mapping):
        raise UnexpectedResponseError(
            f"unexpected response from the platform: {what} should be an object, found {type(value).__name__}"
        )
    return value


def as_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise UnexpectedResponseError(
            f"unexpected response from the platform: {what} should be a list, found {type(value).__name__}"
        )
    return value


def required(doc: Document, key: str, what: str) -> Any:
    if key not in doc:
        raise UnexpectedResponseError(f"unexpected response from the platform: {what} has no field {key!r}")
    return doc[key]


def text(doc: Document, key: str, what: str) -> str:
    value = required(doc, key, what)
    if not isinstance(value, str):
        raise _shape_error(what, key, "a string", value)
    return value


def optional_text(doc: Document, key: str, what: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise _shape_error(what, key, "a string", value)
    return value


def number(doc: Document, key: str, what: str) -> Decimal:
    value = required(doc, key, what)
    if value is None:
        raise _shape_error(what, key, "a number", value)
    return _to_decimal(value, what, key)


def optional_number(doc: Document, key: str, what: str) -> Decimal | None:
    value = doc.get(key)
    return None if value is None else _to_decimal(value, what, key)


def _to_decimal(value: object, what: str, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _shape_error(what, key, "a number", value)
    return Decimal(value)


def whole_number(doc: Document, key: str, what: str) -> int:
    value = number(doc, key, what)
    if value != value.to_integral_value():
        raise _shape_error(what, key, "a whole number", value)
    return int(value)


def boolean(doc: Document, key: str, what: str) -> bool:
    value = required(doc, key, what)
    if not isinstance(value, bool):
        raise _shape_error(what, key, "true or false", value)
    return value


def instant(doc: Document, key: str, what: str) -> datetime:
    """An RFC 3339 time with an offset, as an aware UTC datetime."""
    value = text(doc, key, what)
    try:
        return parse_instant(value)
    except ValueError:
        raise _shape_error(what, key, "an RFC 3339 time with an offset", value) from None


def time_param(moment: datetime) -> str:
    """A query parameter time: RFC 3339 UTC with ``Z`` (refuses naive datetimes)."""
    return isoformat_z(moment)


def range_params(start: datetime | None, end: datetime | None) -> dict[str, str]:
    """``start``/``end`` query parameters for the greedy inclusive ranges of API.md §1."""
    params: dict[str, str] = {}
    if start is not None:
        params["start"] = time_param(start)
    if end is not None:
        params["end"] = time_param(end)
    return params
