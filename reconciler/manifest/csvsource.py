"""A wholesale schedule read from CSV: ``schedule: {csv: path}``, path relative to the manifest.

The file has a header ``time,power`` (either order) and one row per quarter-hour; times are
written as in ``at`` (an offset, or local in ``spec.timezone``) and powers in the section's
unit. Every problem names the CSV file and its line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler.manifest.context import DocumentContext
from reconciler.manifest.model import SourceRef
from reconciler.manifest.values import ValueProblem, number_problem, parse_decimal, parse_grid_time, to_kw
from reconciler.manifest.yamlnodes import FieldPath, format_path, read_text

COLUMNS = ("time", "power")
MAX_ERRORS = 25  # per CSV file; past that the file is probably not a schedule at all


class _TooManyErrors(Exception):
    pass


class _CsvReader:
    def __init__(self, ctx: DocumentContext, display: str, field: FieldPath) -> None:
        self.ctx = ctx
        self.display = display
        self.field = field
        self.errors = 0

    def at(self, line: int, column: str = "") -> SourceRef:
        return SourceRef(self.display, line, 1, format_path(self.field) + (f".{column}" if column else ""))

    def error(self, line: int, code: str, message: str, expected: str, found: str, column: str = "") -> None:
        if self.errors == MAX_ERRORS:
            self.ctx.error(
                "csv-too-many-errors",
                f"stopped reading {self.display} after {MAX_ERRORS} errors",
                self.field,
                expected="a CSV file with the columns time,power",
                found=f"more than {MAX_ERRORS} bad rows",
                at=self.at(line),
            )
            raise _TooManyErrors
        self.errors += 1
        self.ctx.error(code, message, self.field, expected=expected, found=found, at=self.at(line, column))


def read_csv_schedule(
    ctx: DocumentContext, relative: str, field: FieldPath, unit: str, tz: ZoneInfo
) -> list[tuple[datetime, Decimal, SourceRef]]:
    """``(UTC period, kW, source)`` per good row; bad rows become diagnostics."""
    path = ctx.directory / relative
    display = str(path)
    if not path.is_file():
        ctx.error(
            "csv-missing",
            f"the CSV file {display} does not exist",
            field,
            expected="a CSV file path relative to the manifest",
            found=relative,
        )
        return []
    text, problem = read_text(Path(path), display)
    if text is None:
        if problem is not None:
            ctx.add(field, problem)
        return []
    reader = _CsvReader(ctx, display, field)
    rows: list[tuple[datetime, Decimal, SourceRef]] = []
    try:
        for row in _rows(reader, text, unit, tz):
            rows.append(row)
    except _TooManyErrors:
        return []
    except csv.Error as exc:  # e.g. a NUL byte or an endless quoted cell
        ctx.error(
            "csv-row", f"{display} is not readable as CSV: {exc}", field, expected="CSV text", found=str(exc)
        )
    return rows


def _rows(
    reader: _CsvReader, text: str, unit: str, tz: ZoneInfo
) -> Iterator[tuple[datetime, Decimal, SourceRef]]:
    rows = csv.reader(text.splitlines())
    order: dict[str, int] | None = None
    for cells in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if order is None:
            names = [cell.strip().lower() for cell in cells]
            if sorted(names) != sorted(COLUMNS):
                reader.error(
                    line, "csv-header", "the first row must name the columns", "time,power", ",".join(cells)
                )
                return
            order = {name: names.index(name) for name in COLUMNS}
            continue
        if len(cells) != len(COLUMNS):
            reader.error(
                line, "csv-row", f"the row has {len(cells)} cells", "2 cells: time,power", ",".join(cells)
            )
            continue
        time_text, power_text = cells[order["time"]].strip(), cells[order["power"]].strip()
        try:
            period = parse_grid_time(time_text, tz)
        except ValueProblem as problem:
            reader.error(line, problem.code, problem.message, problem.expected, problem.found, "time")
            continue
        power = parse_decimal(power_text)
        implausible = number_problem(power) if power is not None else f"a number in {unit}"
        if power is None or implausible:
            reader.error(
                line,
                "csv-value",
                f"power {power_text!r} is not a usable number",
                str(implausible),
                power_text,
                "power",
            )
            continue
        yield period, to_kw(power, unit), reader.at(line)
