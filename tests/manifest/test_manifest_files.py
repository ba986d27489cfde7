"""Files and directories: discovery, CSV schedules, one document per asset and name, bad paths."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from reconciler.manifest import load_manifests
from tests.manifest.manifest_helpers import ASSET_2, codes, manifest_text, only

WriteFile = Callable[[str, str], Path]
CSV_SPEC = "wholesale:\n  unit: MW\n  schedule: {csv: schedules/plan.csv}\n"


def test_csv_schedule_is_read_relative_to_the_manifest(write: WriteFile, tmp_path: Path) -> None:
    write("site/schedules/plan.csv", "time,power\n2026-11-24T10:00,-1.5\n\n2026-11-24T10:15:00Z,2\n")
    manifest_path = write("site/m.yaml", manifest_text(CSV_SPEC))
    result = load_manifests([manifest_path])
    assert result.ok, [d.render() for d in result.diagnostics]
    schedule = result.manifests[0].wholesale
    assert schedule is not None
    assert schedule.points == {
        datetime(2026, 11, 24, 9, 0, tzinfo=UTC): Decimal(-1500),
        datetime(2026, 11, 24, 10, 15, tzinfo=UTC): Decimal(2000),
    }
    second = schedule.sources[datetime(2026, 11, 24, 10, 15, tzinfo=UTC)]
    assert (second.file, second.line) == (str(tmp_path / "site/schedules/plan.csv"), 4)


def test_csv_errors_name_the_csv_file_and_line(write: WriteFile) -> None:
    csv_path = write(
        "schedules/plan.csv",
        "power,time\n"
        "1,2026-11-24T10:00\n"
        "x,2026-11-24T10:15\n"
        "1,2026-11-24T10:20\n"
        "1,2026-03-29T02:00\n"
        "1\n"
        "2,2026-11-24T10:00\n",
    )
    result = load_manifests([write("m.yaml", manifest_text(CSV_SPEC))])
    assert [(d.code, d.file, d.line) for d in result.diagnostics] == [
        ("csv-value", str(csv_path), 3),
        ("time-off-grid", str(csv_path), 4),
        ("local-time-nonexistent", str(csv_path), 5),
        ("csv-row", str(csv_path), 6),
        ("schedule-duplicate-period", str(csv_path), 7),
    ]
    assert f"{csv_path}:2:1" in result.diagnostics[-1].message
    assert result.diagnostics[0].path == "spec.wholesale.schedule.csv.power"
    assert not result.manifests


def test_csv_missing_or_with_a_wrong_header(write: WriteFile) -> None:
    missing = load_manifests([write("m.yaml", manifest_text(CSV_SPEC))])
    error = only(missing, "csv-missing")
    assert (error.line, error.path, error.found) == (9, "spec.wholesale.schedule.csv", "schedules/plan.csv")
    write("schedules/plan.csv", "when,kw\n2026-11-24T10:00,1\n")
    header = only(load_manifests([write("m.yaml", manifest_text(CSV_SPEC))]), "csv-header")
    assert (header.line, header.expected, header.found) == (1, "time,power", "when,kw")


def test_an_empty_csv_is_an_error_never_an_empty_schedule(write: WriteFile) -> None:
    # with mode exact an empty schedule would set every period to 0 kW: a failed export must not
    for text, found in (("", "an empty file"), ("time,power\n\n", "no rows after the header")):
        csv_path = write("schedules/plan.csv", text)
        result = load_manifests([write("m.yaml", manifest_text(CSV_SPEC))])
        error = only(result, "csv-empty")
        assert (error.file, error.line, error.found) == (str(csv_path), 1, found)
        assert not result.manifests and not result.ok


def test_directories_are_read_recursively_skipping_what_is_not_a_manifest(
    write: WriteFile, tmp_path: Path
) -> None:
    write("a/one.yaml", manifest_text("fcr: {bids: []}"))
    write("a/b/two.yml", manifest_text("fcr: {bids: []}", name="berlin-2", asset=ASSET_2))
    write("reconciler.yaml", manifest_text("fcr: {bids: []}", name="config"))  # the project config
    write("fixture.yaml", "now: '2026-11-23T06:55:00+01:00'\norganisations: []\n")
    write(".hidden/x.yaml", "broken: [\n")
    write("notes.txt", "not yaml")
    result = load_manifests([tmp_path])
    assert result.ok
    assert [m.name for m in result.manifests] == ["munich-1", "berlin-2"]
    assert result.files == (str(tmp_path / "a/one.yaml"), str(tmp_path / "a/b/two.yml"))
    assert set(result.skipped) == {str(tmp_path / "reconciler.yaml"), str(tmp_path / "fixture.yaml")}


def test_a_manifest_with_a_typo_in_kind_is_not_skipped(write: WriteFile, tmp_path: Path) -> None:
    write("m.yaml", manifest_text("").replace("kind: VirtualAsset", "kind: VirtualAset"))
    assert codes(load_manifests([tmp_path])) == ["schema-value"]


def test_same_virtual_asset_or_name_twice_names_both_places(write: WriteFile, tmp_path: Path) -> None:
    first = write("a.yaml", manifest_text("fcr: {bids: []}"))
    second = write("b.yaml", manifest_text("fcr: {bids: []}", name="munich-1-again") + "---\n")
    third = write("c.yaml", manifest_text("fcr: {bids: []}", name="munich-1", asset=ASSET_2))
    result = load_manifests([tmp_path])
    asset = only(result, "duplicate-virtual-asset")
    assert (asset.file, asset.line, asset.path) == (str(second), 6, "spec.virtualAsset")
    assert f"{first}:6:17" in asset.message
    name = only(result, "duplicate-name")
    assert (name.file, name.line) == (str(third), 4)
    assert f"{first}:4:9" in name.message
    assert [m.name for m in result.manifests] == ["munich-1"]


def test_a_file_named_twice_is_read_once(write: WriteFile, tmp_path: Path) -> None:
    path = write("m.yaml", manifest_text("fcr: {bids: []}"))
    result = load_manifests([tmp_path, path])
    assert result.ok and len(result.manifests) == 1


def test_missing_path_and_empty_directory_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = load_manifests([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert [(d.code, d.file) for d in result.diagnostics] == [  # sorted by file
        ("no-manifests", str(tmp_path / "empty")),
        ("path-not-found", str(tmp_path / "nope.yaml")),
    ]
    assert not result.ok


def test_a_named_file_without_documents_is_an_error(write: WriteFile) -> None:
    # plan must never say "no changes" because the file it was given was emptied by mistake
    for text, found in (("", "an empty file"), ("# munich-1: to do\n---\n", "only comments")):
        path = write("m.yaml", text)
        result = load_manifests([path])
        error = only(result, "no-manifests")
        assert (error.file, error.line, error.found) == (str(path), 1, found)
        assert not result.ok


def test_every_problem_of_every_file_in_one_run(write: WriteFile, tmp_path: Path) -> None:
    write("a.yaml", manifest_text("wholesale: {schedule: [{at: '2026-11-24T10:05', power: 1}]}"))
    write("b.yaml", manifest_text("fcr: {bids: [], prune: maybe}", name="b", asset=ASSET_2))
    write("c.yaml", "apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata: {name: c\n")
    result = load_manifests([tmp_path])
    assert [(Path(d.file or "").name, d.code) for d in result.diagnostics] == [
        ("a.yaml", "time-off-grid"),
        ("b.yaml", "schema-type"),
        ("c.yaml", "yaml-syntax"),
    ]


def test_examples_are_valid() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    result = load_manifests([examples])
    assert result.ok, [d.render() for d in result.diagnostics]
    assert sorted(m.name for m in result.manifests) == ["berlin-2", "hamburg-3", "leipzig-daily", "munich-1"]
    assert all(m.organisation == "org-demo" for m in result.manifests)
