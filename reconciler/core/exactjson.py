"""JSON text with exact numbers, written by the C encoder of ``json`` (the recursive pure-Python
writers of the client and the sandbox cost several times more).

The C encoder writes only ints and floats as numbers. An exact number (a ``Decimal``, a
``Fraction``) is handed to it as its literal between two NUL characters, which it escapes as
``\\u0000``; the quotes and marks are taken out afterwards. When the text holds more marks than
numbers (a string of the document itself had a NUL), the text cannot be trusted and the caller
writes the document its slow way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_MARK = "\x00"
_ESCAPED_MARK = "\\u0000"


class Literal(str):
    """A number's JSON literal, returned by a ``default`` to be written as a number."""


def c_encode(
    value: Any,
    default: Callable[[Any], Any],
    *,
    sort_keys: bool = False,
    separators: tuple[str, str] | None = None,
) -> str | None:
    """``value`` as JSON by the C encoder; ``default`` turns what ``json`` cannot write into what
    it can, or into a :class:`Literal`. None when the text cannot be trusted or ``default`` raised
    ``TypeError``: the caller's own writer then decides (and words any error)."""
    marked = 0

    def convert(item: Any) -> Any:
        nonlocal marked
        converted = default(item)
        if isinstance(converted, Literal):
            marked += 1
            return _MARK + converted + _MARK
        return converted

    encoder = json.JSONEncoder(
        ensure_ascii=False, sort_keys=sort_keys, separators=separators, check_circular=False, default=convert
    )
    try:
        text = encoder.encode(value)
    except TypeError:
        return None
    if text.count(_ESCAPED_MARK) != 2 * marked:
        return None
    return text.replace(f'"{_ESCAPED_MARK}', "").replace(f'{_ESCAPED_MARK}"', "") if marked else text
