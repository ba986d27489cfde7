"""isoformat_z (datetime.isoformat, remembered per UTC instant) writes what the field-by-field
format wrote, for any aware time, fold included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.market import isoformat_z, to_utc

zones = st.one_of(
    st.sampled_from(
        [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/Santiago"), ZoneInfo("Asia/Kathmandu")]
    ),
    st.integers(-23 * 60, 23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes))),
)


def field_by_field(moment: datetime) -> str:
    t = to_utc(moment)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


@settings(max_examples=500, deadline=None)
@given(
    wall=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    zone=zones,
    fold=st.sampled_from([0, 1]),
)
def test_isoformat_z_is_the_utc_fields(wall: datetime, zone: timezone | ZoneInfo, fold: int) -> None:
    moment = wall.replace(tzinfo=zone, fold=fold)
    assert isoformat_z(moment) == field_by_field(moment)
    assert isoformat_z(moment.replace(fold=1 - fold)) == field_by_field(moment.replace(fold=1 - fold))
