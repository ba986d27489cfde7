"""Reading YAML: implicit types that must not bite, duplicate keys, tags, syntax errors, positions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from reconciler.manifest import LoadResult, load_manifests, load_yaml_documents, parse_yaml_text
from tests.manifest.manifest_helpers import codes, manifest_text, only

FCR_BID = "fcr:\n  bids:\n    - {{day: {day}, product: NEGPOS_00_04, capacity: 1000, capacityPrice: 90}}\n"


def test_day_may_be_quoted_or_not(load_spec: Callable[[str], LoadResult]) -> None:
    for day in ("2026-11-24", "'2026-11-24'", '"2026-11-24"'):
        result = load_spec(FCR_BID.format(day=day))
        assert result.ok, [d.render() for d in result.diagnostics]
        (bid,) = result.manifests[0].bids
        assert str(bid.code) == "2026-11-24_NEGPOS_00_04"


def test_times_may_be_yaml_timestamps_or_strings(load_spec: Callable[[str], LoadResult]) -> None:
    # PyYAML would turn the unquoted forms into datetime objects; the manifest reads their text.
    result = load_spec(
        """
        wholesale:
          schedule:
            - {at: 2026-07-02T10:00:00+02:00, power: 1}
            - {at: "2026-07-02T10:15", power: 2}
            - {at: 2026-07-02 10:30, power: 3}
            - {at: '2026-07-02T08:45:00Z', power: 4}
        """
    )
    assert result.ok, [d.render() for d in result.diagnostics]
    points = result.manifests[0].wholesale.points  # type: ignore[union-attr]
    assert points == {
        datetime(2026, 7, 2, 8, 0, tzinfo=UTC): Decimal(1),
        datetime(2026, 7, 2, 8, 15, tzinfo=UTC): Decimal(2),
        datetime(2026, 7, 2, 8, 30, tzinfo=UTC): Decimal(3),
        datetime(2026, 7, 2, 8, 45, tzinfo=UTC): Decimal(4),
    }


def test_numbers_are_exact_decimals_in_base_ten(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec(
        """
        wholesale:
          unit: MW
          schedule:
            - {at: "2026-11-24T10:00", power: 0.1}
            - {at: "2026-11-24T10:15", power: 010}
            - {at: "2026-11-24T10:30", power: -1_000.5}
            - {at: "2026-11-24T10:45", power: 2e-3}
        """
    )
    assert result.ok, [d.render() for d in result.diagnostics]
    values = list(result.manifests[0].wholesale.points.values())  # type: ignore[union-attr]
    assert values == [Decimal("100"), Decimal("10000"), Decimal("-1000500"), Decimal("2")]
    assert all(isinstance(v, Decimal) for v in values)


def test_a_quoted_number_is_a_string_and_says_so(load_spec: Callable[[str], LoadResult]) -> None:
    result = load_spec('wholesale:\n  schedule:\n    - {at: "2026-11-24T10:00", power: "5"}\n')
    error = only(result, "schema-type")
    assert (error.line, error.path) == (9, "spec.wholesale.schedule[0].power")
    assert error.expected == "a number"
    assert error.found == "'5' (a string)"


def test_a_yes_where_text_is_expected_asks_for_quotes(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", manifest_text("organisation: yes\n"))
    error = only(load_manifests([path]), "schema-type")
    assert error.path == "spec.organisation"
    assert error.found is not None and "true (a boolean)" in error.found and "quote" in error.found


def test_duplicate_keys_are_errors_naming_both_lines(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", manifest_text("timezone: UTC\ntimezone: Europe/Berlin\n"))
    error = only(load_manifests([path]), "yaml-duplicate-key")
    assert (error.file, error.line, error.column) == (str(path), 8, 3)
    assert error.path == "spec.timezone"
    assert "line 7" in error.message


def test_merge_keys_and_object_tags_are_refused(write: Callable[[str, str], Path]) -> None:
    path = write(
        "m.yaml",
        manifest_text(
            "wholesale:\n  <<: {unit: MW}\n  schedule: []\n"
            "organisation: !!python/object/apply:os.system ['echo pwned']\n"
        ),
    )
    result = load_manifests([path])
    merge, tag = only(result, "yaml-merge-key"), only(result, "yaml-tag")
    assert merge.line == 8
    assert (tag.line, tag.path) == (10, "spec.organisation")
    assert "python/object/apply" in (tag.found or "")
    assert not result.ok and not result.manifests


def test_syntax_error_names_file_and_line_and_keeps_earlier_documents(
    write: Callable[[str, str], Path],
) -> None:
    good = manifest_text("wholesale:\n  schedule: []\n")
    path = write("m.yaml", good + "---\napiVersion: reconciler/v1\nkind: [unclosed\n")
    result = load_manifests([path])
    error = only(result, "yaml-syntax")
    assert error.file == str(path)
    assert error.line == 12
    assert [m.name for m in result.manifests] == ["munich-1"]


def test_empty_documents_are_ignored(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", "---\n" + manifest_text("fcr: {bids: []}") + "---\n---\n")
    result = load_manifests([path])
    assert result.ok and len(result.manifests) == 1


def test_alias_loops_and_alias_bombs_are_reported_not_followed() -> None:
    loops, loop_problems = parse_yaml_text("&a [*a]\n", "loop.yaml")
    assert [code for _, d in loops[0].problems for code in [d.code]] == ["yaml-alias"]
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    documents, problems = parse_yaml_text(bomb, "bomb.yaml")
    assert documents == [] and [d.code for d in problems] == ["yaml-too-large"]
    assert loop_problems == []


def test_non_text_file_is_one_clear_error(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: M\xfcnchen\n".encode("latin-1"))
    result = load_manifests([path])
    assert codes(result) == ["file-unreadable"]
    assert result.diagnostics[0].expected == "a UTF-8 text file"


def test_load_yaml_documents_gives_values_with_positions(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", manifest_text("timezone: UTC\n"))
    (document,), problems = load_yaml_documents(path)
    assert problems == []
    assert document.value["spec"]["timezone"] == "UTC"
    where = document.position(("spec", "timezone"))
    key = document.position(("spec", "timezone"), key=True)
    assert (where.line, where.column, key.column) == (7, 13, 3)
