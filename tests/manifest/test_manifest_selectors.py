"""Asset selectors and ``wholesale.days`` as the loader reads them (offline): their form, the day a
relative one names on DST days, validate's ``--now``, one selector declared twice, and the days
``mode: exact`` manages whole (counted from the calendar written out by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reconciler.core.diagnostics import Severity
from reconciler.manifest import load_manifests
from reconciler.manifest.selectors import AssetSelector, SelectorDay, parse_selector_day
from reconciler.manifest.values import ValueProblem
from reconciler.market import MARKET_TZ
from tests.manifest.conftest import WriteFile
from tests.manifest.manifest_helpers import codes, manifest_text, only
from tests.support.harness import run

SELECTOR = "{portfolio: pf-leipzig, day: tomorrow}"
SCHEDULE = 'wholesale: {schedule: [{at: "2026-11-24T10:00", power: 5}]}'


@pytest.mark.parametrize(
    ("text", "fixed", "offset"),
    [
        ("today", None, 0),
        ("tomorrow", None, 1),
        ("D+0", None, 0),
        ("D+2", None, 2),
        ("D-1", None, -1),
        ("2026-11-24", date(2026, 11, 24), 0),
    ],
)
def test_a_selector_day_is_a_date_or_days_from_today(text: str, fixed: date | None, offset: int) -> None:
    assert parse_selector_day(text) == SelectorDay(text, fixed, offset)


@pytest.mark.parametrize("text", ["yesterday", "D+", "D*2", "d+1", "D+32", "2026-02-30", "Tomorrow"])
def test_other_days_are_refused(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_selector_day(text)


# Europe/Berlin: 2026-03-29 has 23 hours (CET until 02:00, then CEST), 2026-10-25 has 25.
@pytest.mark.parametrize(
    ("now", "day_text", "expected"),
    [
        # 00:30 CET on the spring DST day is still 2026-03-28 in UTC (23:30Z)
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "today", date(2026, 3, 29)),
        # 23:30 CEST on the spring DST day: 21:30Z, one hour of the 23 left
        (datetime(2026, 3, 29, 21, 30, tzinfo=UTC), "today", date(2026, 3, 29)),
        (datetime(2026, 3, 29, 21, 30, tzinfo=UTC), "tomorrow", date(2026, 3, 30)),
        # 00:30 CEST on the autumn DST day is 22:30Z the day before
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), "today", date(2026, 10, 25)),
        # 23:30 CET on the autumn DST day (22:30Z), 24.5 hours after its midnight
        (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), "today", date(2026, 10, 25)),
        (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), "D-1", date(2026, 10, 24)),
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), "today", date(2026, 10, 26)),  # local midnight
    ],
)
def test_relative_days_count_local_calendar_days_across_dst(
    now: datetime, day_text: str, expected: date
) -> None:
    assert parse_selector_day(day_text).on(now, MARKET_TZ) == expected


def test_relative_days_are_local_to_the_manifest_timezone() -> None:
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 00:30 on the 24th in Berlin, 23:30 in London
    tomorrow = parse_selector_day("tomorrow")
    assert tomorrow.on(now, MARKET_TZ) == date(2026, 11, 25)
    assert tomorrow.on(now, ZoneInfo("Europe/London")) == date(2026, 11, 24)


def test_a_selector_loads_as_such_and_reads_no_uuid(write: WriteFile) -> None:
    result = load_manifests([write("m.yaml", manifest_text(SCHEDULE, asset=SELECTOR))])
    assert result.ok, [d.render() for d in result.diagnostics]
    (manifest,) = result.manifests
    assert manifest.selector == AssetSelector("pf-leipzig", SelectorDay("tomorrow", None, 1))
    assert manifest.asset_text() == "portfolio pf-leipzig, day tomorrow"


@pytest.mark.parametrize(
    ("asset", "code", "path", "found"),
    [
        ("{portfolio: pf-leipzig, day: D+x}", "schema-format", "spec.virtualAsset.day", "D+x"),
        ("{portfolio: pf-leipzig, day: 2026-02-30}", "day-invalid", "spec.virtualAsset.day", "2026-02-30"),
        ("{portfolio: pf-leipzig}", "schema-missing-key", "spec.virtualAsset.day", None),
        (
            "{portfolio: pf-leipzig, day: today, port: x}",
            "schema-unknown-key",
            "spec.virtualAsset.port",
            None,
        ),
        ("not-a-uuid", "schema-format", "spec.virtualAsset", "not-a-uuid"),
    ],
)
def test_a_bad_selector_names_file_line_field_expected_and_found(
    write: WriteFile, asset: str, code: str, path: str, found: str | None
) -> None:
    written = write("m.yaml", manifest_text(SCHEDULE, asset=asset))
    result = load_manifests([written])
    problem = only(result, code)
    assert problem.severity is Severity.ERROR and not result.manifests
    assert (problem.file, problem.line, problem.path) == (str(written), 6, path)
    assert problem.expected
    if found is not None:
        assert found in (problem.found or "")


def test_validate_resolves_a_relative_day_only_with_now(
    write: WriteFile, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write("m.yaml", manifest_text(SCHEDULE, asset=SELECTOR))
    offline = run(capsys, "validate", str(path))
    assert (offline.exit_code, offline.out) == (0, "1 manifest, 0 errors, 0 warnings\n")

    # 00:30 CET on 2026-03-29 (23:30Z the day before): tomorrow is the 30th
    resolved = run(capsys, "validate", str(path), "--now", "2026-03-28T23:30:00Z")
    assert resolved.exit_code == 0
    assert (
        "note[selector-day] (spec.virtualAsset.day): day tomorrow is 2026-03-30 at --now "
        "2026-03-29T00:30+01:00 (Europe/Berlin)" in resolved.out
    )
    assert resolved.out.splitlines()[-1] == "1 manifest, 0 errors, 0 warnings, 1 note"
    helped = run(capsys, "validate", "--help")
    assert "Without it a relative day is checked for its form only" in " ".join(helped.out.split())


def test_two_alike_selectors_are_one_asset_declared_twice(write: WriteFile) -> None:
    write("a.yaml", manifest_text(SCHEDULE, name="a", asset=SELECTOR))
    second = write("b.yaml", manifest_text(SCHEDULE, name="b", asset=SELECTOR))
    result = load_manifests([second.parent])
    duplicate = only(result, "duplicate-virtual-asset")
    assert (duplicate.file, duplicate.line) == (str(second), 6)
    assert "portfolio pf-leipzig, day tomorrow (Europe/Berlin) is already declared at" in duplicate.message


def test_selectors_of_other_days_or_timezones_are_not_duplicates(write: WriteFile) -> None:
    write("a.yaml", manifest_text(SCHEDULE, name="a", asset=SELECTOR))
    write("b.yaml", manifest_text(SCHEDULE, name="b", asset="{portfolio: pf-leipzig, day: today}"))
    utc = manifest_text(f"timezone: UTC\n{SCHEDULE}", name="c", asset=SELECTOR)
    third = write("c.yaml", utc)
    assert load_manifests([third.parent]).ok  # they may still resolve to one asset: plan checks


def test_exact_manages_the_days_its_schedule_mentions_and_those_days_lists(write: WriteFile) -> None:
    spec = """
    wholesale:
      days: [2026-11-26, {from: 2026-11-28, to: 2026-11-29}]
      schedule:
        - {from: "2026-11-24T23:00", to: "2026-11-25T01:00", power: 5}
    """
    # the list form and the range form of days:
    listed = load_manifests(
        [write("m.yaml", manifest_text(spec.replace(", {from: 2026-11-28, to: 2026-11-29}", "")))]
    )
    (manifest,) = listed.manifests
    assert manifest.wholesale is not None
    # a range across local midnight mentions both days
    assert manifest.wholesale.exact_days == (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))

    ranged = load_manifests(
        [
            write(
                "r.yaml",
                manifest_text(
                    spec.replace(
                        "[2026-11-26, {from: 2026-11-28, to: 2026-11-29}]",
                        "{from: 2026-11-28, to: 2026-11-29}",
                    ),
                    name="r",
                    asset="7c1e0d4e-0000-4000-8000-000000000009",
                ),
            )
        ]
    )
    (manifest,) = ranged.manifests
    assert manifest.wholesale is not None
    assert manifest.wholesale.exact_days == tuple(date(2026, 11, d) for d in (24, 25, 28, 29))


def test_the_days_of_a_schedule_are_local_to_its_timezone(write: WriteFile) -> None:
    spec = 'timezone: UTC\nwholesale: {schedule: [{at: "2026-11-24T23:00", power: 1}]}'
    (manifest,) = load_manifests([write("m.yaml", manifest_text(spec))]).manifests
    assert manifest.wholesale is not None
    assert manifest.wholesale.exact_days == (date(2026, 11, 24),)  # 2026-11-25 00:00 in Berlin


def test_days_under_partial_is_a_warning_and_manages_nothing_whole(write: WriteFile) -> None:
    spec = 'wholesale: {mode: partial, days: [2026-11-25], schedule: [{at: "2026-11-24T10:00", power: 1}]}'
    result = load_manifests([write("m.yaml", manifest_text(spec))])
    warning = only(result, "days-partial")
    assert (warning.severity, warning.path) == (Severity.WARNING, "spec.wholesale.days")
    (manifest,) = result.manifests
    assert manifest.wholesale is not None and manifest.wholesale.exact_days == ()


def test_a_bad_day_in_days_is_an_error_at_its_field(write: WriteFile) -> None:
    spec = "wholesale: {days: {from: 2026-11-25, to: 2026-11-24}, schedule: []}"
    result = load_manifests([write("m.yaml", manifest_text(spec))])
    assert codes(result) == ["day-range-empty"]
    assert only(result, "day-range-empty").path == "spec.wholesale.days.to"


def test_the_schema_offers_selectors_and_days_to_editors() -> None:
    from reconciler.core.schemas import load_schema

    schema = load_schema("manifest.schema.json")
    virtual_asset = schema["properties"]["spec"]["properties"]["virtualAsset"]
    assert {"portfolio": "5f3a9c2e-0000-4000-8000-00000000a001", "day": "tomorrow"} in virtual_asset[
        "examples"
    ]
    selector = schema["$defs"]["assetSelector"]
    assert selector["required"] == ["portfolio", "day"]
    assert {"today", "tomorrow", "D+2"} <= set(selector["properties"]["day"]["examples"])
    days = schema["$defs"]["wholesale"]["properties"]["days"]
    assert days["$ref"] == "#/$defs/days" and "exact" in days["description"]
    assert "Other days are left alone" in schema["$defs"]["wholesale"]["properties"]["mode"]["description"]


def test_the_example_portfolio_and_day_manifest_loads(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "portfolio" / "leipzig-daily.yaml"
    (manifest,) = load_manifests([examples]).manifests
    assert manifest.selector is not None and manifest.selector.day.text == "tomorrow"
