"""Reading fields out of parsed JSON with one clear error when the shape is not as documented.

Long time series (a block's schedule, operational data) are read by :func:`series`: a fast pass
that shares equal values (one ``datetime`` per instant text, one ``Decimal`` per whole number, for
every series of every asset of the run), and the field-by-field reading below only to word the
error when the fast pass finds something out of shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

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
    kind = type(value)
    if kind is int:
        return _whole(value)  # type: ignore[arg-type]  # an int, checked
    if kind is Decimal:
        return value  # type: ignore[return-value]  # a Decimal, checked
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _shape_error(what, key, "a number", value)
    return Decimal(value)


# Shared values: a fleet's series repeat the same instants and the same whole kW and kWh over and
# over; one object each instead of one per point (both types are immutable).
_whole: Callable[[int], Decimal] = lru_cache(maxsize=2**12)(Decimal)
_instant_text: Callable[[str], datetime] = lru_cache(maxsize=2**17)(parse_instant)


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
        return _instant_text(value)
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


T = TypeVar("T")


def number_series(
    items: object, what: str, key: str, where: str | None = None
) -> tuple[dict[datetime, Decimal], bool]:
    """``{time: number}`` of a list of ``{"time": …, key: …}`` points, sorted by time (a later
    point of the same time wins; ``where`` names a point in errors, else ``what`` + " point"), and
    whether the points are plain JSON: each exactly a time text and a whole number (no
    ``Decimal``, so msgspec writes their canonical text, see
    :func:`reconciler.platform.jsonio.fingerprint`). False says nothing."""
    if type(items) is list:
        try:  # C loops (map, zip, the lru_caches) where the documented shape allows
            values = list(map(itemgetter(key), items))
            kinds = set(map(type, values))
            if kinds <= _NUMBER_TYPES:
                numbers = map(_whole, values) if Decimal not in kinds else map(_exact, values)
                moments, ascending = shared_moments(list(map(_time_of, items)))
                points = dict(zip(moments, numbers, strict=True))
                plain = kinds <= _WHOLE and set(map(len, items)) <= _TWO_KEYS
                return (points if ascending else _sorted(points)), plain
        except _OUT_OF_SHAPE:
            pass
    label = where or f"{what} point"
    found = {}
    for item in as_list(items, what):
        point = as_object(item, label)
        found[instant(point, "time", label)] = number(point, key, label)
    return _sorted(found), False


_WHOLE, _TWO_KEYS = frozenset({int}), frozenset({2})


def point_series(
    items: object,
    what: str,
    read: Callable[[Document], tuple[datetime, T]],
    fast: Callable[[list[Any]], dict[datetime, T]] | None = None,
) -> dict[datetime, T]:
    """``{time: value}`` of a list of points, sorted by time (a later point of the same time wins).

    ``fast(items)`` reads the whole list assuming the documented shape (sorted as this function
    returns it) and raises ``KeyError``, ``TypeError``, ``ValueError`` or ``AttributeError``
    otherwise; then every point is read again by ``read``, which raises the documented error.
    """
    if fast is not None and type(items) is list:
        try:
            return fast(items)
        except _OUT_OF_SHAPE:
            pass
    points = {}
    for item in as_list(items, what):
        moment, value = read(as_object(item, f"{what} point"))
        points[moment] = value
    return _sorted(points)


_OUT_OF_SHAPE = (KeyError, TypeError, ValueError, AttributeError)


_time_of = itemgetter("time")
_last_moments: tuple[list[str], list[datetime], bool] = ([], [], True)


def shared_moments(texts: list[str]) -> tuple[list[datetime], bool]:
    """The instants of a series' time texts (:func:`parse_instant` each, one object per text for
    the whole run) and whether they never
    go back. The series of one answer (a block, every operational category) and of a fleet's assets
    mostly share their times: the last list read is kept, and a list equal to it is not read again.
    ``TypeError``, ``ValueError`` or ``AttributeError`` for a time that is no RFC 3339 text."""
    global _last_moments
    last = _last_moments  # one read: another thread may replace it meanwhile
    if texts == last[0]:
        return last[1], last[2]
    moments = list(map(_instant_text, texts))
    ascending = moments == sorted(moments)
    _last_moments = (texts, moments, ascending)
    return moments, ascending


_NUMBER_TYPES = frozenset({int, Decimal})  # a JSON number as decoded (bool is not one)


def _exact(value: int | Decimal) -> Decimal:
    return value if type(value) is Decimal else _whole(value)  # type: ignore[arg-type]


def fast_number(value: object) -> Decimal:
    """A JSON number as ``Decimal`` (shared for whole numbers); ``TypeError`` for anything else."""
    kind = type(value)
    if kind is int:
        return _whole(value)  # type: ignore[arg-type]  # an int, checked
    if kind is Decimal:
        return value  # type: ignore[return-value]  # a Decimal, checked
    raise TypeError("not a number")


def _sorted(points: dict[datetime, T]) -> dict[datetime, T]:
    times = list(points)
    return points if times == sorted(times) else dict(sorted(points.items()))
