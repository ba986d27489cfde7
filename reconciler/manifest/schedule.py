"""Expansion of ``spec.wholesale`` to kW on UTC quarter-hour starts.

``{at, power}`` sets one period, ``{from, to, power}`` every period in ``[from, to)``, and
``{csv: path}`` one period per CSV row. No period may be set twice: the second entry is an
error (code ``schedule-duplicate-period``) that names the first.

``mode: exact`` manages whole local days (in ``spec.timezone``): every day a period of the
schedule lies on, and every day ``days:`` lists (a list, or ``{from, to}``); on those days an
editable period the schedule does not set is desired at 0 kW. Other days are left alone, as
under ``partial`` (:attr:`reconciler.manifest.model.DesiredSchedule.exact_days`).

The CSV file's path is relative to the manifest and stays inside the project
(:mod:`reconciler.manifest.files`). It has a header ``time,power`` (either order) and one row per
quarter-hour; times are written as in ``at`` and powers in the section's unit. Every CSV problem
names the CSV file and its line (:mod:`reconciler.manifest.csvfiles`).
"""

from __future__ import annotations

import csv
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.core.diagnostics import Severity
from reconciler.core.yamlsource import FieldPath, format_path, number_problem, parse_decimal
from reconciler.manifest.bidtemplates import expand_days
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.csvfiles import CsvReader, read_csv
from reconciler.manifest.model import DesiredSchedule, LineSources, ScheduleMode, SourceRef
from reconciler.manifest.values import (
    GridTimeReader,
    ValueProblem,
    local_text,
    to_kw,
)
from reconciler.market import day_bounds, delivery_day, periods_between

MAX_RANGE = timedelta(days=366)  # a virtual asset lives days; a longer range is a typo in the year
DUPLICATE_PERIOD = "schedule-duplicate-period"


class ScheduleBuilder:
    """Collects periods and remembers which entry set each, refusing a period set twice."""

    def __init__(self, ctx: DocumentContext, tz: ZoneInfo) -> None:
        self.ctx = ctx
        self.tz = tz
        self.parse_time = GridTimeReader(tz)
        self.points: dict[datetime, Decimal] = {}
        self.sources: dict[datetime, SourceRef] = {}
        self.csv_sources: LineSources | None = None  # a CSV schedule's, instead of ``sources``

    def claim(
        self, periods: Iterable[datetime], power_kw: Decimal, source: SourceRef, path: FieldPath
    ) -> None:
        clashes: dict[SourceRef, list[datetime]] = {}
        for period in periods:
            earlier = self.sources.get(period)
            if earlier is not None:
                clashes.setdefault(earlier, []).append(period)
                continue
            self.points[period] = power_kw
            self.sources[period] = source
        for earlier, periods_again in clashes.items():
            self._clash(earlier, periods_again, source, path)

    def _clash(
        self, earlier: SourceRef, periods_again: list[datetime], source: SourceRef, path: FieldPath
    ) -> None:
        count = len(periods_again)
        first = local_text(periods_again[0], self.tz)
        what = f"the period {first}" if count == 1 else f"{count} periods from {first}"
        self.ctx.error(
            DUPLICATE_PERIOD,
            f"{what} already set by {earlier.path} at {earlier}",
            path,
            expected="each period set by one entry only",
            found=f"{what} set again",
            at=source,
            address=self.ctx.address("wholesale"),
        )

    def claim_lines(
        self, rows: Iterable[tuple[datetime, Decimal, int]], sources: LineSources, path: FieldPath
    ) -> None:
        """:meth:`claim` of one period per CSV row, in order, keeping each row's line."""
        self.csv_sources = sources
        points, lines = self.points, sources.lines
        for period, power_kw, line in rows:
            if period in lines:
                self._clash(sources[period], [period], sources.at(line), path)
            else:
                points[period] = power_kw
                lines[period] = line

    def result(
        self, mode: ScheduleMode, unit: str, days: Iterable[date] = (), days_source: SourceRef | None = None
    ) -> DesiredSchedule:
        sources = self.sources if self.csv_sources is None else self.csv_sources
        order = sorted(self.points)
        point_days = local_days(order, self.tz)
        if order == list(self.points):  # claimed in time order already (a CSV, usually)
            return DesiredSchedule(mode, unit, self.points, sources, frozenset(days), point_days, days_source)
        return DesiredSchedule(
            mode=mode,
            unit=unit,
            points={period: self.points[period] for period in order},
            sources={period: sources[period] for period in order},
            days=frozenset(days),
            point_days=point_days,
            days_source=days_source,
        )


def local_days(periods: Sequence[datetime], tz: ZoneInfo) -> frozenset[date]:
    """The local days of ``periods`` (in time order): one calendar look-up per day, not per period."""
    days: set[date] = set()
    index = 0
    while index < len(periods):
        day = delivery_day(periods[index], tz)
        days.add(day)
        index = max(index + 1, bisect_left(periods, day_bounds(day, tz)[1], index))
    return frozenset(days)


def expand_wholesale(
    ctx: DocumentContext, section: Any, path: FieldPath, tz: ZoneInfo
) -> DesiredSchedule | None:
    """The desired schedule, or ``None`` when the section is too broken to expand."""
    if not isinstance(section, dict):
        return None
    unit = section.get("unit", "kW") if ctx.clean((*path, "unit")) else "kW"
    mode_text = section.get("mode", "exact")
    mode = ScheduleMode(mode_text) if ctx.clean((*path, "mode")) else ScheduleMode.EXACT
    builder = ScheduleBuilder(ctx, tz)
    schedule = section.get("schedule")
    schedule_path = (*path, "schedule")
    if isinstance(schedule, list):
        for index, entry in enumerate(schedule):
            _expand_entry(ctx, builder, entry, (*schedule_path, index), unit)
    elif isinstance(schedule, dict) and ctx.clean(schedule_path):
        csv_path = (*schedule_path, "csv")
        rows, sources = read_csv_schedule(ctx, schedule["csv"], csv_path, unit, tz)
        builder.claim_lines(rows, sources, csv_path)
    days: list[date] = []
    days_source = None
    if "days" in section and ctx.clean((*path, "days")):
        days = expand_days(ctx, section, path) or []
        days_source = ctx.ref((*path, "days"))
        if mode is ScheduleMode.PARTIAL:
            ctx.report(
                Severity.WARNING,
                "days-partial",
                "days: has no effect with mode: partial (only the listed periods are managed)",
                (*path, "days"),
                expected="mode: exact, to manage these days whole",
                found="mode: partial",
                address=ctx.address("wholesale"),
            )
    return builder.result(mode, str(unit), days, days_source)


def _expand_entry(
    ctx: DocumentContext, builder: ScheduleBuilder, entry: Any, path: FieldPath, unit: str
) -> None:
    if not ctx.clean(path) or not isinstance(entry, dict):
        return  # the structure check already said what is wrong with it
    periods = expand_times(ctx, entry, path, builder.parse_time)
    if periods is not None:
        builder.claim(periods, to_kw(entry["power"], unit), ctx.ref(path), path)


def expand_times(
    ctx: DocumentContext, entry: dict[str, Any], path: FieldPath, parse_time: GridTimeReader
) -> list[datetime] | None:
    """The UTC periods an entry covers: ``[at]`` or every quarter-hour in ``[from, to)``."""
    tz = parse_time.tz
    if "at" in entry:
        start = _time(ctx, entry["at"], (*path, "at"), parse_time)
        return None if start is None else [start]
    start = _time(ctx, entry["from"], (*path, "from"), parse_time)
    end = _time(ctx, entry["to"], (*path, "to"), parse_time)
    if start is None or end is None:
        return None
    if end <= start:
        ctx.error(
            "schedule-empty-range",
            f"the range is empty: to ({entry['to']}) is not after from ({entry['from']})",
            (*path, "to"),
            expected=f"a time after {local_text(start, tz)}",
            found=local_text(end, tz),
        )
        return None
    if end - start > MAX_RANGE:
        ctx.error(
            "schedule-range-too-long",
            f"the range from {entry['from']} to {entry['to']} spans more than {MAX_RANGE.days} days",
            (*path, "to"),
            expected=f"at most {MAX_RANGE.days} days",
            found=f"{(end - start).days} days",
        )
        return None
    return list(periods_between(start, end))


def _time(ctx: DocumentContext, text: str, path: FieldPath, parse_time: GridTimeReader) -> datetime | None:
    try:
        return parse_time(text)
    except ValueProblem as problem:
        ctx.error(problem.code, problem.message, path, expected=problem.expected, found=problem.found)
        return None


COLUMNS = ("time", "power")


def read_csv_schedule(
    ctx: DocumentContext, relative: str, field: FieldPath, unit: str, tz: ZoneInfo
) -> tuple[list[tuple[datetime, Decimal, int]], LineSources]:
    """``(UTC period, kW, line)`` per good row, and the rows' sources (the CSV file and the
    field); bad rows become diagnostics."""
    display, rows = read_csv(
        ctx,
        relative,
        field,
        COLUMNS,
        lambda reader, text: _rows(reader, text, unit, tz),
        noun="schedule rows",
        # An empty export must not read as "no periods": with mode exact it would idle the battery.
        empty="a header time,power and one row per quarter-hour",
    )
    return rows, LineSources(display, format_path(field))


def _rows(reader: CsvReader, text: str, unit: str, tz: ZoneInfo) -> Iterator[tuple[datetime, Decimal, int]]:
    """The good rows; written out (not :func:`csv_lines`) because a year of rows is read here."""
    rows = csv.reader(text.splitlines())
    order: dict[str, int] | None = None
    parse_time = GridTimeReader(tz)  # CSV rows are read before the builder exists
    powers: dict[str, tuple[Decimal | None, str]] = {}  # power text -> (kW, or why it is not usable)
    for cells in rows:
        line = rows.line_num
        if not "".join(cells).strip():
            continue
        if order is None:
            order = reader.header(line, cells, COLUMNS)
            if order is None:
                return
            at_time, at_power = order["time"], order["power"]
            continue
        if len(cells) != len(COLUMNS):
            reader.error(
                line, "csv-row", f"the row has {len(cells)} cells", "2 cells: time,power", ",".join(cells)
            )
            continue
        time_text, power_text = cells[at_time].strip(), cells[at_power].strip()
        try:
            period = parse_time(time_text)
        except ValueProblem as problem:
            if reader.fits(line, cells):  # else said: a long cell is not quoted back
                reader.error(line, problem.code, problem.message, problem.expected, problem.found, "time")
            continue
        power, implausible = powers.get(power_text) or powers.setdefault(power_text, _power(power_text, unit))
        if power is None:
            if reader.fits(line, cells):
                message = f"power {power_text!r} is not a usable number"
                reader.error(line, "csv-value", message, implausible, power_text, "power")
            continue
        yield period, power, line


def _power(text: str, unit: str) -> tuple[Decimal | None, str]:
    """A CSV cell's power in kW, or ``None`` and what a usable one would be."""
    power = parse_decimal(text)
    implausible = number_problem(power) if power is not None else f"a number in {unit}"
    if power is None or implausible:
        return None, str(implausible)
    return to_kw(power, unit), ""
