"""Bids from CSV: ``bids: {csv: path}`` in ``spec.fcr`` or ``spec.afrr``.

The file (inside the project, like a CSV schedule: :mod:`reconciler.manifest.files`) has a
header naming the columns ``day,product,capacity`` and, as the market needs them,
``capacityPrice`` and ``energyPrice`` (any order), then one explicit bid per row: capacities in
the section's unit, an empty cell for a price the product does not carry. Each row is checked
like a YAML bid, and every problem names the CSV file, the row's line and the column.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from reconciler.core.yamlsource import FieldPath, number_problem, parse_decimal
from reconciler.manifest.bidentries import PRICE_FIELDS, Declared, Place, bid_code
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.csvfiles import CsvReader, csv_lines, read_csv

REQUIRED = ("day", "product", "capacity")
COLUMNS = (*REQUIRED, *PRICE_FIELDS)


def read_csv_bids(ctx: DocumentContext, relative: str, field: FieldPath, unit: str) -> list[Declared]:
    """One explicit bid per good row; bad rows become diagnostics at their line."""
    _, rows = read_csv(
        ctx,
        relative,
        field,
        COLUMNS,
        lambda reader, text: _rows(ctx, reader, text, unit),
        noun="bids",
        empty="a header day,product,capacity,capacityPrice,energyPrice and one bid per row",
    )
    return rows


def _rows(ctx: DocumentContext, reader: CsvReader, text: str, unit: str) -> Iterator[Declared]:
    order: dict[str, int] | None = None
    for line, cells in csv_lines(text):
        if order is None:
            order = reader.header(line, cells, REQUIRED, PRICE_FIELDS)
            if order is None:
                return
            continue
        if len(cells) != len(order):
            expected = f"{len(order)} cells: " + ",".join(order)
            reader.error(line, "csv-row", f"the row has {len(cells)} cells", expected, ",".join(cells))
            continue
        if not reader.fits(line, cells):
            continue
        values = {name: cells[index].strip() for name, index in order.items()}
        place = Place(reader.field, reader.at(line))
        code = bid_code(ctx, place, values["day"], values["product"])
        if code is None:
            reader.count(line)
            continue
        numbers: dict[str, Decimal | None] = {}
        for name in COLUMNS[2:]:
            text = values.get(name, "")
            number = _number(text)
            if text and number is None:
                what = f"a number in {unit}" if name == "capacity" else "a price in EUR"
                reader.error(line, "csv-value", f"{name} {text!r} is not a usable number", what, text, name)
            numbers[name] = number
        if any(values.get(name) and numbers[name] is None for name in numbers):
            continue
        capacity = numbers["capacity"]
        if capacity is None:
            reader.error(line, "csv-value", "the capacity is empty", f"a capacity in {unit}", "", "capacity")
            continue
        yield Declared(
            place,
            [code],
            capacity,
            numbers["capacityPrice"],
            numbers["energyPrice"],
            frozenset(name for name, number in numbers.items() if number is not None),
        )


def _number(text: str) -> Decimal | None:
    """A cell's number, or ``None`` when it is empty or not a plausible number."""
    number = parse_decimal(text) if text else None
    return None if number is None or number_problem(number) else number
