"""The SoC chart's text: a numeric hour axis from local midnight, at most 49 evenly spaced points,
explicit colours and the asset's SoC bounds, on ordinary and DST days alike.

(tests/gitops/test_mermaid_chart.py draws it with the real mermaid.)
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from reconciler.market import PERIOD, day_start, quarter_hours
from reconciler.plan.planfile import plan_to_json, read_plan, write_plan
from reconciler.render.markdown import BOUND_COLOUR, SOC_COLOUR, soc_chart
from tests.plan.test_render_markdown import _plan


def boundaries(first: date, days: int = 1) -> list[datetime]:
    """Every quarter-hour start from ``first`` 00:00 to the end of the last day, both included."""
    times = [t for d in range(days) for t in quarter_hours(first + timedelta(days=d))]
    return [*times, times[-1] + PERIOD]


def chart(first: date, days: int = 1, start: int = 0) -> tuple[str, list[str], str]:
    times = boundaries(first, days)[start:]
    text = soc_chart("m", [(t, float(i % 100)) for i, t in enumerate(times, start)], bounds=(10.0, 90.0))
    [axis] = re.findall(r'x-axis "hours from ([^"]+)" (\S+) --> (\S+)', text)
    values = re.findall(r"line \[([^\]]*)\]", text)[0].split(", ")
    return f"{axis[1]} --> {axis[2]}", values, text


def test_an_ordinary_day_every_half_hour_on_hours_0_to_24() -> None:
    axis, values, text = chart(date(2026, 11, 24))
    assert axis == "0 --> 24"
    assert values == [str(i) for i in range(0, 97, 2)]  # 49 points: every second quarter-hour
    assert 'x-axis "hours from 2026-11-24 00:00 CET"' in text
    assert 'y-axis "SoC %" 0 --> 100' in text
    assert "  line [10, 10]\n  line [90, 90]\n" in text  # the bounds span the whole axis
    assert f'"plotColorPalette": "{SOC_COLOUR}, {BOUND_COLOUR}, {BOUND_COLOUR}"' in text
    assert text.splitlines()[-1].endswith("hour 24 is 2026-11-25 00:00 CET.")


def test_dst_days_are_23_and_25_hours_long() -> None:
    axis, values, text = chart(date(2026, 3, 29))  # 92 quarter-hours
    assert axis == "0 --> 23" and len(values) == 92 // 2 + 1
    assert "hour 23 is 2026-03-30 00:00 CEST" in text
    axis, values, text = chart(date(2026, 10, 25))  # 100 quarter-hours: every hour keeps it under 49
    assert axis == "0 --> 25" and values == [str(i % 100) for i in range(0, 101, 4)]
    assert "hours from 2026-10-25 00:00 CEST" in text and "hour 25 is 2026-10-26 00:00 CET" in text


def test_several_days_thin_to_round_steps_and_name_each_midnight() -> None:
    axis, values, text = chart(date(2026, 11, 23), days=3)  # 288 quarter-hours: every 2 hours
    assert axis == "0 --> 72" and values == [str(i % 100) for i in range(0, 289, 8)]
    assert "hour 24 is 2026-11-24 00:00 CET; hour 48 is 2026-11-25 00:00 CET; hour 72 is" in text


def test_a_projection_from_mid_morning_starts_on_the_next_sampled_step() -> None:
    axis, values, _ = chart(date(2026, 11, 24), start=27)  # from 06:45: 69 quarter-hours left
    assert axis == "7 --> 24" and values[0] == "28" and len(values) == (96 - 28) // 2 + 1


def test_only_the_changed_days_are_charted() -> None:
    times = boundaries(date(2026, 11, 23), days=3)
    text = soc_chart("m", [(t, 50.0) for t in times], changed=[day_start(date(2026, 11, 24)) + 4 * PERIOD])
    assert 'x-axis "hours from 2026-11-24 00:00 CET" 0 --> 24' in text


def test_the_bounds_travel_in_the_saved_plan(tmp_path: Path) -> None:
    read = {"va-0/virtual-asset": "v", "va-0/wholesale": "w"}  # a saved plan names what it read
    bounded = replace(_plan(1), soc_bounds={"asset-00": (5.0, 95.0)}, fingerprints=read)
    assert plan_to_json(bounded)["soc_bounds"] == {"asset-00": {"lower": 5.0, "upper": 95.0}}
    write_plan(bounded, tmp_path / "plan.json")
    assert read_plan(tmp_path / "plan.json").soc_bounds == {"asset-00": (5.0, 95.0)}
