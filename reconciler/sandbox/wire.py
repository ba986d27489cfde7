"""The sandbox's wire format: exact JSON numbers, D3 error bodies, and request parsing.

Numbers go out exactly: a ``Decimal`` is written digit for digit (``json`` would need floats, and a
float cannot carry a stored energy like 4473.684210526 kWh exactly). Incoming JSON is parsed with
``parse_float=Decimal``. Whatever a client sends is bounded before it reaches a rule (D23): the body
size (:data:`MAX_BODY_BYTES`, enforced as it streams in), the nesting depth, the size of every number
and the years of every time, so no request can stall the server or slow later reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar, NoReturn

from starlette.responses import Response

from reconciler.core.exactjson import Literal, c_encode
from reconciler.market import isoformat_z, parse_instant

WIRE_DECIMALS = 9  # derived quantities that are not exact decimals (SoC %) are rounded to 1e-9

# D23: the limits of what a request may carry. A breach is a 4xx, never a stall or a 5xx.
MAX_BODY_BYTES = 1 << 20  # 1 MiB; larger bodies are 413
MAX_JSON_DEPTH = 64  # arrays and objects nested deeper are 400
MAX_EXPONENT = 308  # |exponent| of a number (as in 1E+308), beyond which it is 400
MAX_DIGITS = 34  # significant digits of a number (IEEE decimal128); an assumption of this sandbox
YEARS = (2000, 2100)  # times and delivery days outside these years are 400


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


@lru_cache(maxsize=2**12, typed=True)  # a series repeats a few values: rated powers, bounds
def plain_number(value: Decimal | Fraction) -> int | float | Decimal | Fraction:
    """A number as the C encoder writes without calling back (an ``int``, or a ``float`` whose
    shortest repr is the text), when that is exactly the text :func:`_number` writes; else the
    number itself. For the long series of a year: a callback per value was most of their cost."""
    text = _number(value)
    if text.lstrip("-").isdigit():
        return int(text)
    as_float = float(text)
    return as_float if repr(as_float) == text else value


def dumps(value: Any) -> str:
    """JSON text with exact numbers (``Decimal``/``Fraction``/``int``) and UTC ``Z`` times."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, Fraction)):
        return _number(value)
    if isinstance(value, float):  # only from plain_number, whose text it is
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return json.dumps(isoformat_z(value))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def fast_dumps(value: Any) -> str:
    """:func:`dumps`, the same text, by the C encoder (the recursive writer cost the sandbox half its
    CPU on a portfolio's reads); floats only from :func:`plain_number`. Text beyond printable
    ASCII (DEL included) goes to ``dumps``, which escapes keys and not values."""

    def exact(item: object) -> object:
        if isinstance(item, (Decimal, Fraction)):
            return Literal(_number(item))
        if isinstance(item, datetime):
            return isoformat_z(item)
        if isinstance(item, Mapping):
            return dict(item)
        raise TypeError(f"cannot write {type(item).__name__} as JSON")

    text = c_encode(value, exact, separators=(", ", ": "))
    return text if text is not None and text.isascii() and "\x7f" not in text else dumps(value)


class ExactJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return fast_dumps(content).encode("utf-8")


def error_response(error: ApiError) -> ExactJSONResponse:
    return ExactJSONResponse({"error": error.message}, status_code=error.status)


class _NumberOutOfRange(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise _NumberOutOfRange(f"{name} is not a finite number")


def _check_number(text: str, number: Decimal) -> Decimal:
    digits = number.as_tuple().digits
    if abs(number.adjusted()) > MAX_EXPONENT:
        raise _NumberOutOfRange(f"number {text[:40]} is out of range (exponent beyond ±{MAX_EXPONENT})")
    if len(digits) > MAX_DIGITS:
        raise _NumberOutOfRange(f"number {text[:40]}… has more than {MAX_DIGITS} significant digits")
    return number


def _float(text: str) -> Decimal:
    return _check_number(text, Decimal(text))


def _int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_DIGITS:  # checked before int(): a million digits would take seconds
        raise _NumberOutOfRange(f"number {text[:40]}… has more than {MAX_DIGITS} significant digits")
    return int(text)


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed body (iterative: any depth is safe to walk)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(body: bytes) -> Any:
    """Parse a request body; raises ``invalid operation`` (400) for anything that is not JSON
    within the limits of D23 (depth, number size). A ``null`` body parses to ``None``: a handler
    that needs an object or a list refuses it."""
    if not body.strip():
        raise invalid("malformed request: the body is empty, expected JSON")
    try:
        data = json.loads(body, parse_float=_float, parse_int=_int, parse_constant=_refuse_constant)
    except _NumberOutOfRange as exc:
        raise invalid(f"malformed request: {exc}") from None
    except RecursionError:
        raise invalid(f"malformed request: JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"malformed request: the body is not valid JSON ({exc})") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise invalid(f"malformed request: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def body_too_large() -> ApiError:
    return ApiError(
        "invalid operation", f"the request body is larger than {MAX_BODY_BYTES} bytes (1 MiB)", 413
    )


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
    """An RFC 3339 instant with an offset, as UTC, in the years of :data:`YEARS`; anything else is a
    400 naming ``what``."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid(f"{what} {text[:64]!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise invalid(f"{what} {text!r} has no offset; expected e.g. 2026-05-30T10:00:00Z")
    check_day(moment.date(), what)
    return parse_instant(moment.isoformat())


def check_day(day: date, what: str) -> date:
    """A date within :data:`YEARS` (D23: calendars beyond them overflow or mean nothing here)."""
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise invalid(f"{what} {day.isoformat()} is outside the years {YEARS[0]}–{YEARS[1]}")
    return day


def time_field(data: Mapping[str, Any], key: str, where: str) -> datetime:
    return parse_time(string_field(data, key, where), f"{where}.{key}")
