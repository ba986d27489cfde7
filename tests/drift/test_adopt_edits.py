"""The pure part of ``--adopt``: which text it writes, on DST days and in every schedule layout."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from reconciler.drift.adopt import AdoptError, plan_adoption
from reconciler.manifest import Manifest, read_manifest_text
from reconciler.market import parse_instant, quarter_hours
from reconciler.plan.causes import Cause

HEAD = (
    "apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata:\n  name: m\n"
    "spec:\n  virtualAsset: 7c1e0d4e-0000-4000-8000-000000000001\n"
)


def load(text: str) -> Manifest:
    manifests, problems = read_manifest_text(text, "m.yaml")
    assert not [p for p in problems if p.is_error], [p.render() for p in problems]
    [only] = manifests
    return only


def adopt_text(text: str, live: dict[str, int], cause: Cause = Cause.UNAVAILABILITY) -> str:
    """Adopt ``live`` (UTC ISO -> kW) into ``text``; returns the new text after checking it loads."""
    targets = {"m": {parse_instant(t): (Decimal(kw), cause) for t, kw in live.items()}}
    adoption = plan_adoption({"m.yaml": text}, [load(text)], targets)
    new = adoption.texts["m.yaml"]
    points = load(new).wholesale.points  # type: ignore[union-attr]
    for t, kw in live.items():
        assert points[parse_instant(t)] == kw
    return new


def points(text: str) -> dict[datetime, Decimal]:
    schedule = load(text).wholesale
    assert schedule is not None
    return dict(schedule.points)


def test_autumn_overlap_pieces_carry_offsets() -> None:
    # 01:00 CEST to 04:00 CET on 2026-10-25 is four real hours: 02:00-03:00 happens twice
    text = (
        HEAD
        + '  wholesale:\n    schedule:\n      - {from: "2026-10-25T01:00", to: "2026-10-25T04:00", power: -1000}\n'
    )
    before = points(text)
    assert len(before) == 16
    new = adopt_text(text, {"2026-10-25T00:15:00Z": -400})  # 02:15 CEST, the first of the two
    assert new.endswith(
        '      - {from: "2026-10-25T01:00", to: "2026-10-25T02:15+02:00", power: -1000}\n'
        '      - {at: "2026-10-25T02:15+02:00", power: -400}\n'
        '      - {from: "2026-10-25T02:30+02:00", to: "2026-10-25T04:00", power: -1000}\n'
    )
    after = points(new)
    assert set(after) == set(before)
    assert [t for t in after if after[t] != before[t]] == [parse_instant("2026-10-25T00:15:00Z")]


def test_whole_autumn_day_of_100_quarter_hours_and_spring_gap() -> None:
    autumn = (
        HEAD
        + '  wholesale:\n    schedule:\n      - {from: "2026-10-25T00:00", to: "2026-10-26T00:00", power: 100}\n'
    )
    assert len(points(autumn)) == len(quarter_hours(date(2026, 10, 25))) == 100
    # the second 02:45 (CET) is clipped: the run before it ends at that instant, written with its offset
    new = adopt_text(autumn, {"2026-10-25T01:45:00Z": 0, "2026-10-25T02:00:00Z": 0})
    assert '{from: "2026-10-25T02:45+01:00", to: "2026-10-25T03:15", power: 0}' in new
    assert '{from: "2026-10-25T00:00", to: "2026-10-25T02:45+01:00", power: 100}' in new
    assert len(points(new)) == 100

    spring = (
        HEAD
        + '  wholesale:\n    schedule:\n      - {from: "2026-03-29T01:00", to: "2026-03-29T04:00", power: 250}\n'
    )
    assert len(points(spring)) == 8  # 02:00-03:00 does not exist
    new = adopt_text(spring, {"2026-03-29T01:00:00Z": 120}, Cause.REVALIDATION)  # 03:00 CEST
    assert new.endswith(
        '      - {from: "2026-03-29T01:00", to: "2026-03-29T03:00", power: 250}\n'
        '      - {at: "2026-03-29T03:00", power: 120}\n'
        '      - {from: "2026-03-29T03:15", to: "2026-03-29T04:00", power: 250}\n'
    )


def test_block_style_entries_stay_block_style() -> None:
    text = HEAD + (
        "  wholesale:\n"
        "    unit: MW\n"
        "    schedule:\n"
        "      - from: 2026-11-24T10:00   # unquoted is fine\n"
        "        to: 2026-11-24T11:00\n"
        "        power: -4   # midday\n"
        "      # the evening\n"
        "      - at: 2026-11-24T18:00\n"
        "        power: 2\n"
    )
    new = adopt_text(text, {"2026-11-24T09:30:00Z": -1500, "2026-11-24T17:00:00Z": 1250})
    assert new == HEAD + (
        "  wholesale:\n"
        "    unit: MW\n"
        "    schedule:\n"
        "      - from: 2026-11-24T10:00   # unquoted is fine\n"
        "        to: 2026-11-24T10:30\n"
        "        power: -4   # midday\n"
        '      - at: "2026-11-24T10:30"\n'
        "        power: -1.5\n"
        '      - at: "2026-11-24T10:45"\n'
        "        power: -4\n"
        "      # the evening\n"
        "      - at: 2026-11-24T18:00\n"
        "        power: 1.25\n"
    )


def test_flow_sequences_and_crlf_line_endings() -> None:
    text = (
        HEAD + '  wholesale: {mode: partial, schedule: [{at: "2026-11-24T10:00", power: -900}, '
        '{from: "2026-11-24T11:00", to: "2026-11-24T11:45", power: 800}]}  # kW\n'
    ).replace("\n", "\r\n")
    new = adopt_text(text, {"2026-11-24T10:15:00Z": 500})
    assert new == text.replace(
        '{from: "2026-11-24T11:00", to: "2026-11-24T11:45", power: 800}',
        '{from: "2026-11-24T11:00", to: "2026-11-24T11:15", power: 800}, {at: "2026-11-24T11:15", power: 500}, '
        '{at: "2026-11-24T11:30", power: 800}',
    )
    assert "\r\n" in new and "\n" not in new.replace("\r\n", "")


def test_several_documents_in_one_file() -> None:
    second = HEAD.replace("name: m\n", "name: other\n").replace("0001\n", "0002\n")
    text = "---\n---\n" + second  # an empty document first
    text += '  wholesale: {schedule: [{at: "2026-11-24T10:00", power: 5}]}\n---\n' + HEAD
    text += '  wholesale: {schedule: [{at: "2026-11-24T10:00", power: 5}]}\n'
    manifests, _ = read_manifest_text(text, "m.yaml")
    targets = {"m": {parse_instant("2026-11-24T09:00:00Z"): (Decimal(3), Cause.UNAVAILABILITY)}}
    new = plan_adoption({"m.yaml": text}, manifests, targets).texts["m.yaml"]
    first, rest = new.removeprefix("---\n---\n").split("---\n")
    assert "power: 5" in first and "power: 3" in rest and "power: 5" not in rest


def test_a_period_the_manifest_does_not_list_is_refused() -> None:
    text = HEAD + '  wholesale: {mode: partial, schedule: [{at: "2026-11-24T10:00", power: 5}]}\n'
    targets = {"m": {parse_instant("2026-11-24T12:00:00Z"): (Decimal(0), Cause.REVALIDATION)}}
    with pytest.raises(AdoptError, match="does not list every period"):
        plan_adoption({"m.yaml": text}, [load(text)], targets)
