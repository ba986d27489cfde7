"""Malformed manifests are diagnostics, never internal errors: a property test mutates valid
manifests (explicit bids, bid templates, CSV schedules and bids; keys dropped, renamed, retyped,
values swapped) and runs ``reconciler validate`` on
them through the real entry point."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.harness import Result, run

VALID = """\
apiVersion: reconciler/v1
kind: VirtualAsset
metadata:
  name: munich-1
spec:
  virtualAsset: 7c1e0d4e-0000-4000-8000-000000000001
  organisation: org-demo
  timezone: Europe/Berlin
  wholesale:
    unit: MW
    mode: exact
    schedule:
      - {at: "2026-11-24T10:00", power: -2}
      - {from: "2026-11-24T11:00", to: "2026-11-24T13:00", power: 4}
  fcr:
    unit: MW
    prune: false
    bids:
      - {day: "2026-11-24", product: NEGPOS_00_04, capacity: 2, capacityPrice: 95.5}
  afrr:
    unit: kW
    bids:
      - {day: "2026-11-24", product: POS_16_20, capacity: 1000, capacityPrice: 12.5, energyPrice: 80}
      - {day: "2026-11-24", product: NEG_073, capacity: 1000, energyPrice: -20}
"""
CSV_SCHEDULE = "time,power\n2026-11-24T10:00,1\n2026-11-24T10:15,-1\n"
CSV_BIDS = "day,product,capacity,capacityPrice,energyPrice\n2026-11-24,POS_16_20,1000,1,2\n2026-11-24,NEG_001,1000,,2\n"
TEMPLATES = """\
- {days: {from: "2026-11-24", to: "2026-11-25"}, products: all, capacity: 1, capacityPrice: 90}
- {days: ["2026-03-29"], products: [NEGPOS_00_04, NEGPOS_04_08], capacity: 1, capacityPrice: 90}
- {day: "2026-11-24", product: NEGPOS_00_04, capacity: 2, capacityPrice: 95.5}
"""
AFRR_TEMPLATES = """\
- {day: "2026-10-25", products: POS_090..POS_100, capacity: 1000, energyPrice: 1}
- {day: "2026-10-25", products: {direction: NEG, market: capacity}, capacity: 1000, capacityPrice: 1, energyPrice: 2}
- {days: ["2026-10-25"], products: [NEG_001..NEG_004, NEG_100], capacity: 1000, energyPrice: 1}
"""
DOCUMENTS = [yaml.safe_load(VALID)]
WITH_CSV = copy.deepcopy(DOCUMENTS[0])
WITH_CSV["spec"]["wholesale"]["schedule"] = {"csv": "schedule.csv"}
WITH_CSV["spec"]["afrr"]["bids"] = {"csv": "bids.csv"}
WITH_TEMPLATES = copy.deepcopy(DOCUMENTS[0])
WITH_TEMPLATES["spec"]["fcr"]["bids"] = yaml.safe_load(TEMPLATES)
WITH_TEMPLATES["spec"]["afrr"]["bids"] = yaml.safe_load(AFRR_TEMPLATES)
DOCUMENTS += [WITH_CSV, WITH_TEMPLATES]

# Values a mutation may put anywhere: every YAML type, and text that looks like the manifest's own.
REPLACEMENTS: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    10**15,
    "",
    "x",
    "2026-11-24",
    "2026-11-24T10:00",
    "NEGPOS_00_04",
    "POS_100",
    "schedule.csv",
    "MW",
    [],
    [1, "a"],
    {},
    {"csv": "schedule.csv"},
    {"at": "2026-11-24T10:00"},
    "all",
    "POS_001..POS_004",
    "NEG_004..POS_001",
    ["NEGPOS_00_04", "POS_001..POS_002"],
    {"from": "2026-11-24", "to": "2026-11-23"},
    {"direction": "POS", "market": "energy"},
    {"csv": "bids.csv"},
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def _mutate(document: Any, data: st.DataObject) -> Any:
    paths = _paths(document)
    path = data.draw(st.sampled_from(paths))
    parent = _get(document, path[:-1])
    last = path[-1]
    how = data.draw(st.sampled_from(["drop", "rename", "retype", "swap"]))
    if how == "drop":
        del parent[last]
    elif how == "rename" and isinstance(parent, dict):
        new = data.draw(
            st.one_of(st.sampled_from([last[:-1], last + "s", last.upper()]), st.text(max_size=8))
        )
        parent[new] = parent.pop(last)
    elif how == "swap":
        other = data.draw(st.sampled_from(paths))
        if not (path[: len(other)] == other or other[: len(path)] == path):  # neither holds the other
            other_parent = _get(document, other[:-1])
            parent[last], other_parent[other[-1]] = other_parent[other[-1]], parent[last]
    else:
        parent[last] = copy.deepcopy(data.draw(st.sampled_from(REPLACEMENTS)))
    return document


def _validate(capsys: pytest.CaptureFixture[str], document: Any, *options: str) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        manifest = Path(folder) / "m.yaml"
        manifest.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        (Path(folder) / "schedule.csv").write_text(CSV_SCHEDULE, encoding="utf-8")
        (Path(folder) / "bids.csv").write_text(CSV_BIDS, encoding="utf-8")
        return run(capsys, "validate", *options, str(manifest))


@pytest.mark.parametrize("which", range(len(DOCUMENTS)))
def test_the_manifests_before_mutation_are_valid(capsys: pytest.CaptureFixture[str], which: int) -> None:
    result = _validate(capsys, DOCUMENTS[which])
    assert result.exit_code == 0, result.out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), which=st.integers(min_value=0, max_value=len(DOCUMENTS) - 1))
def test_a_mutated_manifest_is_valid_or_invalid_never_an_internal_error(
    capsys: pytest.CaptureFixture[str], data: st.DataObject, which: int
) -> None:
    document = copy.deepcopy(DOCUMENTS[which])
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        document = _mutate(document, data)
    now = data.draw(st.sampled_from([[], ["--now", "2026-11-23T08:00:00+01:00"]]))
    output = data.draw(st.sampled_from([[], ["--format", "json"]]))
    result = _validate(capsys, document, *now, *output)
    assert result.exit_code in (0, 1), result.err
    assert "Traceback" not in result.out + result.err
    assert "internal error" not in result.err


@pytest.mark.parametrize(
    ("bid", "where", "key", "meant"),
    [
        ("      - {day: 2026-11-24, product: NEGPOS_00_04, capcity: 2, capacityPrice: 1}\n", "12:50", "capcity", "capacity"),
        ("      - day: 2026-11-24\n        prod[: NEGPOS_00_04\n        capacity: 2\n        capacityPrice: 1\n", "13:9", "prod[", "product"),
    ],
)  # fmt: skip
def test_a_misspelt_required_key_is_a_located_error_with_a_suggestion(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bid: str, where: str, key: str, meant: str
) -> None:
    manifest = tmp_path / "m.yaml"
    head = VALID.split("  wholesale:")[0]
    manifest.write_text(head + "  fcr:\n    unit: MW\n    bids:\n" + bid, encoding="utf-8")
    result = run(capsys, "validate", str(manifest))
    assert result.exit_code == 1, result.err
    assert result.out.splitlines()[0].startswith(
        f"{manifest}:{where}: error[schema-unknown-key] (spec.fcr.bids[0].{key}): "
    )
    assert f"did you mean '{meant}'?" in result.out


def test_a_broken_entry_stops_itself_and_the_document_but_the_others_are_still_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "m.yaml"
    text = VALID.replace("capacity: 2, capacityPrice: 95.5", "capcity: 2, capacityPrice: 95.5").replace(
        "product: NEG_073", "product: NEG_097"
    )
    manifest.write_text(text, encoding="utf-8")
    result = run(capsys, "validate", "--format", "json", str(manifest))
    codes = [d["code"] for d in result.json()["diagnostics"]]
    assert (result.exit_code, codes) == (1, ["schema-unknown-key", "bid-product-day"])
