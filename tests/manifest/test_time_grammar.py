"""What a manifest time is: the format's grammar (ASCII, as the schema's pattern), read exactly.

``parse_time`` reads the wall time with ``datetime.fromisoformat``, which takes more than the
manifest format allows; these are the texts where the two differ, and the grammar must win.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from reconciler.manifest.values import ValueProblem, parse_day, parse_grid_time, parse_time

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-24",  # a date alone would be midnight
        "2026-W48-2T10:00",  # ISO week date
        "20261124T1000",  # basic format
        "2026-11-24T10",  # hour only
        "2026-11-24T10:00+01",  # offset without minutes
        "2026-11-24T10:00:00,5",  # comma fraction
        "2026-11-24T\u0662\u0660:00",  # Arabic-Indic digits: the schema's [0-9] refuses them in YAML too
    ],
)
def test_texts_fromisoformat_takes_are_not_manifest_times(text: str) -> None:
    with pytest.raises(ValueProblem) as problem:
        parse_time(text, BERLIN)
    assert (problem.value.code, problem.value.message) == ("time-invalid", f"{text!r} is not a time")


def test_a_fraction_below_a_microsecond_is_still_off_the_grid() -> None:
    # fromisoformat drops the seventh digit: 10:00:00.0000001 would read as 10:00 sharp
    with pytest.raises(ValueProblem) as problem:
        parse_grid_time("2026-11-24T10:00:00.0000001", BERLIN)
    assert problem.value.code == "time-off-grid"
    assert parse_grid_time("2026-11-24T10:00:00.000", BERLIN) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_an_offset_with_60_minutes_is_refused_not_carried_into_the_hour() -> None:
    with pytest.raises(ValueProblem) as problem:
        parse_time("2026-11-24T10:00+01:60", BERLIN)
    assert problem.value.message == "2026-11-24T10:00+01:60 is not a valid time: offset +01:60 has 60 minutes"


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-24T10:15", datetime(2026, 11, 24, 9, 15, tzinfo=UTC)),  # CET = UTC+1
        ("2026-06-24 10:15", datetime(2026, 6, 24, 8, 15, tzinfo=UTC)),  # CEST = UTC+2
        ("2026-03-29T03:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # first CEST hour
        ("2026-10-25T02:30+01:00", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),  # the second 02:30
        ("2026-10-25t02:30:00.000z", datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),
        ("2026-11-24T10:00-0530", datetime(2026, 11, 24, 15, 30, tzinfo=UTC)),
    ],
)
def test_times_read_as_the_instant_they_write(text: str, utc: datetime) -> None:
    assert parse_time(text, BERLIN) == utc


def test_a_day_is_written_in_ascii_digits() -> None:
    with pytest.raises(ValueProblem) as problem:
        parse_day("\u0662\u0660\u0662\u0666-11-24")
    assert problem.value.code == "day-invalid"
