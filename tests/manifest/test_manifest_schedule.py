"""Expansion of wholesale schedules: ranges, units, offsets, local times, DST days, duplicates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from reconciler.manifest import DesiredSchedule, LoadResult, ScheduleMode
from reconciler.market import quarter_hours
from tests.manifest.manifest_helpers import codes, only

LoadSpec = Callable[[str], LoadResult]


def schedule_of(result: LoadResult) -> DesiredSchedule:
    assert result.ok, "\n".join(d.render() for d in result.diagnostics)
    (manifest,) = result.manifests
    assert manifest.wholesale is not None
    return manifest.wholesale


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_at_and_range_expand_to_kw_on_utc_quarter_hours(load_spec: LoadSpec) -> None:
    schedule = schedule_of(
        load_spec(
            """
            wholesale:
              unit: MW
              schedule:
                - {at: "2026-11-24T10:00", power: -2}
                - {from: "2026-11-24T11:00", to: "2026-11-24T11:45", power: 2.5}
            """
        )
    )
    assert schedule.points == {
        utc(24, 9, 0): Decimal(-2000),
        utc(24, 10, 0): Decimal(2500),
        utc(24, 10, 15): Decimal(2500),
        utc(24, 10, 30): Decimal(2500),
    }
    assert (schedule.mode, schedule.unit) == (ScheduleMode.EXACT, "MW")  # exact is the default
    source = schedule.sources[utc(24, 10, 30)]
    assert (source.line, source.column, source.path) == (11, 9, "spec.wholesale.schedule[1]")
    assert schedule.sources[utc(24, 9, 0)].path == "spec.wholesale.schedule[0]"


def test_kw_is_the_default_unit_and_partial_mode_is_kept(load_spec: LoadSpec) -> None:
    schedule = schedule_of(
        load_spec('wholesale:\n  mode: partial\n  schedule:\n    - {at: "2026-11-24T10:00", power: 1000.5}\n')
    )
    assert list(schedule.points.values()) == [Decimal("1000.5")]
    assert (schedule.mode, schedule.unit) == (ScheduleMode.PARTIAL, "kW")


def test_offsets_mean_what_they_say_and_local_times_follow_spec_timezone(load_spec: LoadSpec) -> None:
    schedule = schedule_of(
        load_spec(
            """
            timezone: Asia/Kolkata
            wholesale:
              schedule:
                - {at: "2026-11-24T15:30", power: 1}
                - {at: "2026-11-24T10:15Z", power: 2}
                - {at: "2026-11-24T12:30+01:00", power: 3}
            """
        )
    )
    assert schedule.points == {utc(24, 10, 0): 1, utc(24, 10, 15): 2, utc(24, 11, 30): 3}
    assert list(schedule.points) == sorted(schedule.points)


@pytest.mark.parametrize(
    ("day", "count"), [(date(2026, 3, 29), 92), (date(2026, 10, 25), 100), (date(2026, 11, 24), 96)]
)
def test_a_local_day_range_covers_every_quarter_hour_of_that_day(
    load_spec: LoadSpec, day: date, count: int
) -> None:
    following = date.fromordinal(day.toordinal() + 1)
    schedule = schedule_of(
        load_spec(
            f'wholesale:\n  schedule:\n    - {{from: "{day}T00:00", to: "{following}T00:00", power: 7}}\n'
        )
    )
    assert list(schedule.points) == quarter_hours(day)
    assert len(schedule.points) == count


def test_spring_gap_local_time_asks_for_an_offset(load_spec: LoadSpec) -> None:
    result = load_spec('wholesale:\n  schedule:\n    - {at: "2026-03-29T02:15", power: 1}\n')
    error = only(result, "local-time-nonexistent")
    assert (error.line, error.path) == (9, "spec.wholesale.schedule[0].at")
    assert "2026-03-29T02:15+01:00" in (error.expected or "")
    assert not result.manifests


def test_autumn_overlap_local_time_asks_for_an_offset_and_offsets_resolve_it(load_spec: LoadSpec) -> None:
    error = only(
        load_spec(
            'wholesale:\n  schedule:\n    - {from: "2026-10-25T01:45", to: "2026-10-25T02:30", power: 1}\n'
        ),
        "local-time-ambiguous",
    )
    assert error.path == "spec.wholesale.schedule[0].to"
    assert (
        error.expected == "an explicit offset: 2026-10-25T02:30+02:00 (CEST) or 2026-10-25T02:30+01:00 (CET)"
    )
    schedule = schedule_of(
        load_spec(
            'wholesale:\n  schedule:\n    - {from: "2026-10-25T02:00+02:00", to: "2026-10-25T02:00+01:00", power: 1}\n'
        )
    )
    assert len(schedule.points) == 4  # the first 02:00-03:00 hour, in CEST


def test_off_grid_and_impossible_times_are_errors_at_their_field(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        wholesale:
          schedule:
            - {at: "2026-11-24T10:05", power: 1}
            - {at: "2026-11-24T10:00:30", power: 1}
            - {at: "2026-02-30T10:00", power: 1}
            - {at: "2026-11-24T24:00", power: 1}
            - {at: "tomorrow", power: 1}
        """
    )
    assert [(d.code, d.line) for d in result.diagnostics] == [
        ("time-off-grid", 9),
        ("time-off-grid", 10),
        ("time-invalid", 11),
        ("time-invalid", 12),
        ("schema-format", 13),
    ]


def test_empty_and_reversed_ranges_are_errors(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        wholesale:
          schedule:
            - {from: "2026-11-24T10:00", to: "2026-11-24T10:00", power: 1}
            - {from: "2026-11-24T12:00", to: "2026-11-24T11:00", power: 1}
        """
    )
    assert codes(result) == ["schedule-empty-range", "schedule-empty-range"]
    assert result.diagnostics[1].found == "2026-11-24T11:00+01:00"


def test_a_period_set_twice_names_both_entries(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        wholesale:
          schedule:
            - {from: "2026-11-24T10:00", to: "2026-11-24T12:00", power: 1}
            - {at: "2026-11-24T13:00", power: 1}
            - {from: "2026-11-24T11:30", to: "2026-11-24T13:15", power: 2}
        """
    )
    errors = [d for d in result.diagnostics if d.code == "schedule-duplicate-period"]
    assert [(e.line, e.path) for e in errors] == [(11, "spec.wholesale.schedule[2]")] * 2
    assert (
        "2 periods from 2026-11-24T11:30+01:00 already set by spec.wholesale.schedule[0]" in errors[0].message
    )
    assert f"{errors[0].file}:9:9" in errors[0].message
    assert "the period 2026-11-24T13:00+01:00 already set by spec.wholesale.schedule[1]" in errors[1].message
    assert not result.manifests


def test_unknown_timezone_is_an_error(load_spec: LoadSpec) -> None:
    error = only(load_spec("timezone: Europe/Munich\n"), "timezone-unknown")
    assert (error.line, error.path, error.found) == (7, "spec.timezone", "Europe/Munich")


def test_a_huge_number_is_refused_not_expanded(load_spec: LoadSpec) -> None:
    result = load_spec('wholesale:\n  schedule:\n    - {at: "2026-11-24T10:00", power: 1e999999}\n')
    error = only(result, "number-range")
    assert error.path == "spec.wholesale.schedule[0].power"
