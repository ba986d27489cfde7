"""CSV rows resolve local times once per day: same instants and the same errors as row by row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifest import SourceRef, load_manifests
from reconciler.manifest.values import GridTimeReader, ValueProblem, parse_grid_time

# Berlin's DST, half-hour (Lord Howe) and 45-minute (Chatham, Kathmandu) offsets, Morocco's
# Ramadan changes, a southern-hemisphere zone and UTC.
ZONES = [
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Africa/Casablanca",
    "America/Santiago",
    "UTC",
]
DST_DAYS = ["2026-03-29", "2026-10-25", "2026-04-05", "2026-09-27", "2026-02-15", "2026-03-22", "2026-11-24"]

texts = st.one_of(
    st.builds(
        lambda day, sep, hour, minute, zone: f"{day}{sep}{hour}:{minute}{zone}",
        st.one_of(
            st.sampled_from([*DST_DAYS, "2026-02-30", "1999-12-31", "2100-01-01"]), st.dates().map(str)
        ),
        st.sampled_from(["T", "t", " ", "x"]),
        st.sampled_from([f"{h:02d}" for h in range(25)] + ["٠٢", "2"]),
        st.sampled_from(["00", "15", "30", "45", "07", "60", "٣٠"]),
        st.sampled_from(["", "", "Z", "z", "+00:00"]),
    ),
    st.text(alphabet="0123456789-T: +Z", max_size=20),
)


def outcome(parse: Callable[[str], datetime], text: str) -> object:
    try:
        return parse(text)
    except ValueProblem as problem:
        return (problem.code, problem.message, problem.expected, problem.found)


def slow(text: str, tz: ZoneInfo) -> datetime:
    return parse_grid_time(text, tz)


@settings(max_examples=600, deadline=None)
@given(zone=st.sampled_from(ZONES), batch=st.lists(texts, min_size=1, max_size=8))
def test_grid_time_reader_is_parse_grid_time(zone: str, batch: list[str]) -> None:
    tz = ZoneInfo(zone)
    reader = GridTimeReader(tz)  # one reader for the batch: its memory of days is used
    for text in batch:
        assert outcome(reader, text) == outcome(partial(slow, tz=tz), text)


def test_every_quarter_of_a_year_resolves_as_row_by_row() -> None:
    for zone in ("Europe/Berlin", "Australia/Lord_Howe", "America/Santiago"):
        tz = ZoneInfo(zone)
        reader = GridTimeReader(tz)
        moment = datetime(2026, 1, 1)
        while moment.year == 2026:
            for text in (f"{moment:%Y-%m-%dT%H:%M}", f"{moment:%Y-%m-%dT%H:%M}Z"):
                assert outcome(reader, text) == outcome(partial(slow, tz=tz), text), text
            moment += timedelta(minutes=15)


def test_csv_powers_read_once_per_text_still_report_each_bad_row(tmp_path: Path) -> None:
    rows = [
        "time,power",
        "2026-11-24T10:00,1",
        "2026-11-24T10:15,x",
        "2026-11-24T10:30,1",
        "2026-11-24T10:45,x",
    ]
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "m.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata: {name: m}\n"
        "spec:\n  virtualAsset: 7c1e0d4e-0000-4000-8000-000000000001\n"
        "  wholesale: {schedule: {csv: s.csv}}\n"
    )
    result = load_manifests([tmp_path])
    assert [(d.code, d.line, d.found) for d in result.diagnostics] == [
        ("csv-value", 3, "x"),
        ("csv-value", 5, "x"),
    ]


def test_csv_sources_are_each_rows_file_line_and_field(tmp_path: Path) -> None:
    rows = ["time,power", "2026-11-24T10:15,1", "", "2026-11-24T10:00,2", "2026-11-24T10:30,3"]
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "m.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata: {name: m}\n"
        "spec:\n  virtualAsset: 7c1e0d4e-0000-4000-8000-000000000001\n"
        "  wholesale: {schedule: {csv: s.csv}}\n"
    )
    [manifest] = load_manifests([tmp_path]).manifests
    assert manifest.wholesale is not None
    csv_file, field = str(tmp_path / "s.csv"), "spec.wholesale.schedule.csv"
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    expected = {
        start + k * timedelta(minutes=15): SourceRef(csv_file, line, 1, field)
        for k, line in ((0, 4), (1, 2), (2, 5))
    }
    assert dict(manifest.wholesale.sources) == expected
    assert list(manifest.wholesale.sources) == sorted(expected)  # in time order, as points
    assert manifest.wholesale.sources == expected and len(manifest.wholesale.sources) == 3
