"""The sandbox's wire format: exact JSON numbers, D3 error bodies, and request parsing.

Numbers go out exactly: a ``Decimal`` is written digit for digit (``json`` would need floats, and a
float cannot carry a stored energy like 4473.684210526 kWh exactly). Incoming JSON is parsed with
``parse_float=Decimal``; NaN and Infinity are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar, NoReturn

from starlette.responses import Response

from reconciler.market import isoformat_z, parse_instant

WIRE_DECIMALS = 9  # derived quantities that are not exact decimals (SoC %) are rounded to 1e-9


class ApiError(Exception):
    """A refusal in the platform's words (D3): ``{"error": "<category> error: <description>"}``."""

    STATUS: ClassVar[dict[str, int]] = {
        "auth": 401,
        "not found": 404,
        "invalid operation": 400,
        "forbidden operation": 403,
        "error on the platform": 500,
    }

    def __init__(self, category: str, description: str, status: int | None = None) -> None:
        super().__init__(f"{category} error: {description}")
        self.status = status if status is not None else self.STATUS[category]
        self.message = f"{category} error: {description}"


def invalid(description: str) -> ApiError:
    return ApiError("invalid operation", description)


def not_found(description: str) -> ApiError:
    return ApiError("not found", description)


def to_decimal(value: Decimal | Fraction | int) -> Decimal:
    """The exact decimal of a number, or the nearest one at ``WIRE_DECIMALS`` places."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    scaled = round(value * 10**WIRE_DECIMALS)
    return Decimal(scaled).scaleb(-WIRE_DECIMALS)


def _number(value: Decimal | Fraction | int) -> str:
    decimal = to_decimal(value).normalize()
    if decimal == 0:
        return "0"
    text = format(decimal, "f")
    return text


def dumps(value: Any) -> str:
    """JSON text with exact numbers (``Decimal``/``Fraction``/``int``) and UTC ``Z`` times."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, Fraction)):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return json.dumps(isoformat_z(value))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class ExactJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


def error_response(error: ApiError) -> ExactJSONResponse:
    return ExactJSONResponse({"error": error.message}, status_code=error.status)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number")


def loads(body: bytes) -> Any:
    """Parse a request body; raises ``invalid operation`` (400) for anything that is not JSON."""
    if not body.strip():
        raise invalid("malformed request: the body is empty, expected JSON")
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"malformed request: the body is not valid JSON ({exc})") from None


def require_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"malformed request: {where} must be a JSON object")
    return value


def require_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(f"malformed request: {where} must be a JSON array")
    return value


def number_field(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> Decimal | None:
    """A JSON number as ``Decimal``; a missing required field or a non-number is a 400."""
    if key not in data or data[key] is None:
        if required:
            raise invalid(f"malformed request: {where} is missing the required field {key!r}")
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise invalid(
            f"malformed request: {where}.{key} must be a number, found {json.dumps(value, default=str)}"
        )
    return Decimal(value)


def string_field(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(f"malformed request: {where} is missing the required text field {key!r}")
    return value


def parse_time(text: str, what: str) -> datetime:
    """An RFC 3339 instant with an offset, as UTC; anything else is a 400 naming ``what``."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid(f"{what} {text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise invalid(f"{what} {text!r} has no offset; expected e.g. 2026-05-30T10:00:00Z")
    return parse_instant(moment.isoformat())


def time_field(data: Mapping[str, Any], key: str, where: str) -> datetime:
    return parse_time(string_field(data, key, where), f"{where}.{key}")
