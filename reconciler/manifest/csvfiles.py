"""CSV files a manifest names (schedules, bids): contained reading, the header, each row's line.

The file is read through :mod:`reconciler.manifest.files` (inside the project, a regular file
under the size cap). Every problem in it names the CSV file and line and the manifest field that
named the file (``spec.wholesale.schedule.csv.power``); what it quotes of a cell is a short
:func:`~reconciler.manifest.files.excerpt`. Past :data:`MAX_ERRORS` bad rows reading stops.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from reconciler.core.yamlsource import FieldPath, format_path
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.files import MAX_EXCERPT, excerpt, read_named_file
from reconciler.manifest.model import SourceRef

MAX_ERRORS = 25  # per CSV file; past that the file is probably not what the field says
MAX_CELL = MAX_EXCERPT  # characters; no time, day, product or number is longer
MISSING = "csv-missing"

Row = TypeVar("Row")


class TooManyErrors(Exception):
    pass


class CsvReader:
    """Reports problems of one CSV file at its lines, counting them."""

    def __init__(self, ctx: DocumentContext, display: str, field: FieldPath, columns: Iterable[str]) -> None:
        self.ctx = ctx
        self.display = display
        self.field = field
        self.field_text = format_path(field)
        self.columns = ",".join(columns)
        self.errors = 0

    def at(self, line: int, column: str = "") -> SourceRef:
        return SourceRef(self.display, line, 1, self.field_text + (f".{column}" if column else ""))

    def count(self, line: int) -> None:
        """Count one problem at ``line`` (reported here or by a shared check); past
        :data:`MAX_ERRORS` say so and stop reading (raises :class:`TooManyErrors`)."""
        if self.errors == MAX_ERRORS:
            self.ctx.error(
                "csv-too-many-errors",
                f"stopped reading {self.display} after {MAX_ERRORS} errors",
                self.field,
                expected=f"a CSV file with the columns {self.columns}",
                found=f"more than {MAX_ERRORS} bad rows",
                at=self.at(line),
            )
            raise TooManyErrors
        self.errors += 1

    def fits(self, line: int, cells: list[str]) -> bool:
        """No cell is longer than :data:`MAX_CELL` (else reported: no value is that long)."""
        if max(map(len, cells), default=0) <= MAX_CELL:
            return True
        self.error(
            line, "csv-value", f"a cell is longer than {MAX_CELL} characters", self.columns, ",".join(cells)
        )
        return False

    def error(self, line: int, code: str, message: str, expected: str, found: str, column: str = "") -> None:
        """One problem at ``line``; ``found`` is file content, so only an excerpt of it is kept."""
        self.count(line)
        self.ctx.error(
            code, message, self.field, expected=expected, found=excerpt(found), at=self.at(line, column)
        )

    def header(
        self, line: int, cells: list[str], required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, int] | None:
        """Column name -> index from a header row (any order, case-insensitive), or ``None``
        after reporting that it is not the expected header."""
        names = [cell.strip().lower() for cell in cells]
        known = {name.lower(): name for name in (*required, *optional)}
        if (
            len(set(names)) != len(names)
            or not set(names) <= set(known)
            or not {name.lower() for name in required} <= set(names)
        ):
            wanted = ",".join(required) + "".join(f"[,{name}]" for name in optional)
            self.error(line, "csv-header", "the first row must name the columns", wanted, ",".join(cells))
            return None
        return {known[name]: index for index, name in enumerate(names)}


def csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every row that is not blank; raises ``csv.Error``."""
    rows = csv.reader(text.splitlines())
    for cells in rows:
        if "".join(cells).strip():
            yield rows.line_num, cells


def read_csv(
    ctx: DocumentContext,
    relative: str,
    field: FieldPath,
    columns: tuple[str, ...],
    rows: Callable[[CsvReader, str], Iterator[Row]],
    *,
    noun: str,
    empty: str,
) -> tuple[str, list[Row]]:
    """The display path of the CSV file ``relative`` names and every good row ``rows`` yields from
    its text. Problems become diagnostics: a file that cannot be read, too many bad rows (no rows
    then), text that is not CSV, and no ``noun`` at all (``empty`` says what was expected)."""
    display = str(ctx.directory / relative)
    read = read_named_file(ctx, relative, field, missing_code=MISSING, what="CSV file")
    if read is None:
        return display, []
    display, text = read
    reader = CsvReader(ctx, display, field, columns)
    good: list[Row] = []
    try:
        good.extend(rows(reader, text))
    except TooManyErrors:
        return display, []
    except csv.Error as exc:  # e.g. a NUL byte or an endless quoted cell
        ctx.error(
            "csv-row", f"{display} is not readable as CSV: {exc}", field, expected="CSV text", found=str(exc)
        )
        return display, good
    if not good and not reader.errors:
        ctx.error(
            "csv-empty",
            f"{display} holds no {noun}",
            field,
            expected=empty,
            found="an empty file" if not text.strip() else "no rows after the header",
            at=reader.at(1),
        )
    return display, good
