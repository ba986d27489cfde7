"""Exact numbers: powers in kW as ``Decimal``, energies in kWh as ``Fraction``.

Manifest literals and platform JSON numbers are read as ``Decimal`` (never float), so 2.5 MW is
exactly 2500 kW. Arithmetic that divides (efficiencies, Δt) runs on ``Fraction`` and is truncated
to whole kW where the platform truncates.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

Number = int | Decimal | Fraction
KW_PER_MW = 1000


def to_decimal(value: int | float | str | Decimal) -> Decimal:
    """Exact decimal of a literal; floats go through their shortest repr (``0.1`` → ``0.1``)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return Decimal(repr(value))
    return Decimal(value)


def mw_to_kw(value: int | float | str | Decimal) -> Decimal:
    return to_decimal(value) * KW_PER_MW


def truncate_kw(value: Number) -> int:
    """Truncate toward zero to a whole kW (the platform's rounding for bids and corrections)."""
    return int(Fraction(value)) if not isinstance(value, int) else value


def json_number(value: Number) -> int | float:
    """A JSON-ready number: an int when whole, else the nearest float (for display/transport)."""
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite():  # the common case, without a Fraction
        return int(value) if value == value.to_integral_value() else float(value)
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return int(fraction)
    return float(value)


def exact_number(value: int | Decimal) -> int | Decimal:
    """A number for a request body: an int when whole, else the exact ``Decimal``."""
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else value.normalize()


def normalize(value: Number) -> Decimal | Fraction | int:
    """Canonical form for comparing values: whole numbers become ``int``."""
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite():  # the common case, without a Fraction
        return int(value) if value == value.to_integral_value() else value
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return int(fraction)
    return value
