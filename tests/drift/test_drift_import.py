"""``reconciler import`` over HTTP: a manifest of live state that validates and then plans nothing."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconciler.drift.importer import compress, flow_entry, schema_reference
from reconciler.market import MARKET_TZ, quarter_hours
from tests.conftest import MakeSandbox
from tests.drift.drift_helpers import EXAMPLES
from tests.platform.client_helpers import asset_spec
from tests.support.harness import BERLIN, HAMBURG, MUNICH, ORG, run, write_project

REPO = EXAMPLES.parent
AUTUMN_VA = "7c1e0d4e-0000-4000-8000-00000000a025"
SPRING_VA = "7c1e0d4e-0000-4000-8000-00000000b329"


def plans_nothing(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    validated = run(capsys, "validate", str(project))
    assert validated.exit_code == 0, validated.out + validated.err
    planned = run(capsys, "plan", str(project), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.out + planned.err
    assert "No changes" in planned.out
    assert run(capsys, "drift", str(project), "--detailed-exitcode").exit_code == 0


def test_import_round_trip_of_the_example_portfolio(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "portfolio"
    shutil.copytree(EXAMPLES / "portfolio", source)
    write_project(source, sandbox.url, {})
    assert run(capsys, "apply", str(source), "--auto-approve").exit_code == 0

    imported = write_project(tmp_path / "imported", sandbox.url, {})
    for name, va in (("munich-1", MUNICH), ("berlin-2", BERLIN), ("hamburg-3", HAMBURG)):
        out = imported / f"{name}.yaml"
        result = run(capsys, "import", "--virtual-asset", va, "--out", str(out), "--name", name)
        assert result.exit_code == 0, result.err
        assert f"Wrote {out}" in result.err
    plans_nothing(capsys, imported)

    munich = (imported / "munich-1.yaml").read_text()
    assert "virtualAsset: 7c1e0d4e-0000-4000-8000-000000000001\n  organisation: org-demo\n" in munich
    # 19:00 is 0.5 MW, so the schedule is in kW
    assert "    unit: kW\n    mode: exact\n" in munich
    assert '      - {from: "2026-11-24T02:00", to: "2026-11-24T04:00", power: -2000}\n' in munich
    assert '      - {at: "2026-11-24T19:00", power: 500}\n' in munich
    assert "  fcr:\n    unit: MW\n    bids:\n" in munich
    assert "      - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 2, capacityPrice: 95.5}\n" in munich
    assert "      - {day: 2026-11-24, product: NEG_073, capacity: 1, energyPrice: -20}\n" in munich
    assert munich.index("POS_16_20") < munich.index("NEG_073")  # in delivery order

    again = run(capsys, "import", "--virtual-asset", MUNICH, "--out", str(imported / "munich-1.yaml"))
    assert again.exit_code == 1 and "pass --force" in again.err
    assert (imported / "munich-1.yaml").read_text() == munich


def dst_fixture() -> dict[str, Any]:
    def asset(va: str, first: date, schedule: dict[str, int]) -> dict[str, Any]:
        return asset_spec(
            id=va,
            start=quarter_hours(first)[0].isoformat(),
            end=quarter_hours(first + timedelta(days=3))[0].isoformat(),  # over the DST day
            energyCapacity=10000,
            ratedChargePower=2000,
            ratedDischargePower=2000,
            initialStateOfEnergy=5000,
            schedule=[{"time": t, "power": p} for t, p in schedule.items()],
        )

    autumn = {f"2026-10-25T00:{m:02d}:00Z": -1000 for m in (0, 15, 30, 45)}  # 02:00-03:00 CEST
    autumn |= {f"2026-10-25T01:{m:02d}:00Z": 500 for m in (0, 15, 30, 45)}  # 02:00-03:00 CET
    spring = {f"2026-03-29T0{h}:{m:02d}:00Z": 2000 for h in (0, 1) for m in (0, 15, 30, 45)}
    return {
        "now": "2026-03-20T12:00:00+01:00",
        "organisations": [
            {
                "id": ORG,
                "users": [{"username": "demo", "password": "demo-password"}],
                "virtualAssets": [
                    asset(AUTUMN_VA, date(2026, 10, 24), autumn),
                    asset(SPRING_VA, date(2026, 3, 28), spring),
                ],
            }
        ],
    }


def test_import_on_dst_days(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(dst_fixture())
    project = write_project(tmp_path, sandbox.url, {})
    for name, va in (("autumn", AUTUMN_VA), ("spring", SPRING_VA)):
        result = run(
            capsys, "import", "--virtual-asset", va, "--out", str(project / f"{name}.yaml"), "--name", name
        )
        assert result.exit_code == 0, result.err
    plans_nothing(capsys, project)

    autumn = (project / "autumn.yaml").read_text()
    assert (
        '      - {from: "2026-10-25T02:00+02:00", to: "2026-10-25T02:00+01:00", power: -1000}\n'
        '      - {from: "2026-10-25T02:00+01:00", to: "2026-10-25T03:00", power: 500}\n'
    ) in autumn
    spring = (project / "spring.yaml").read_text()
    assert "    unit: MW\n" in spring
    assert (
        '      - {from: "2026-03-29T01:00", to: "2026-03-29T04:00", power: 2}\n' in spring
    )  # 8 quarter-hours


def test_import_to_standard_output_names_the_schema(
    sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    result = run(capsys, "import", "--virtual-asset", MUNICH, "--api-url", sandbox.url, "--organisation", ORG)
    assert result.exit_code == 0, result.err
    assert result.out.startswith("# yaml-language-server: $schema=schemas/manifest.schema.json\n")
    assert "  name: 7c1e0d4e-0000-4000-8000-000000000001\n" in result.out  # the ID without --name


def test_import_of_an_unknown_asset_is_a_clear_error(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {})
    stranger = "7c1e0d4e-9999-4000-8000-000000000009"
    result = run(capsys, "import", "--virtual-asset", stranger, "--out", str(project / "x.yaml"))
    assert result.exit_code == 1
    assert f"virtual asset {stranger} not found in organisation org-demo" in result.err
    assert "nothing was written" in result.err and "Traceback" not in result.err
    assert not (project / "x.yaml").exists()


def test_import_into_a_missing_folder_names_the_folder(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "desk" / "munich-1.yaml"
    args = ("--api-url", sandbox.url, "--organisation", ORG)
    result = run(capsys, "import", "--virtual-asset", MUNICH, "--out", str(out), *args)
    assert result.exit_code == 1
    assert f"cannot write {out}: the folder {out.parent} does not exist" in result.err
    assert ".tmp" not in result.err and not out.parent.exists()


def test_schema_reference_is_relative_to_where_the_manifest_is_written(tmp_path: Path) -> None:
    assert schema_reference(EXAMPLES / "portfolio") == "../../schemas/manifest.schema.json"
    assert schema_reference(tmp_path) is None
    vendored = tmp_path / "schemas" / "manifest.schema.json"
    vendored.parent.mkdir()
    vendored.write_text("{}")
    (tmp_path / "desk" / "assets").mkdir(parents=True)
    assert schema_reference(tmp_path / "desk" / "assets") == "../../schemas/manifest.schema.json"


def test_compress_spans_whole_dst_days() -> None:
    for day, count in ((date(2026, 10, 25), 100), (date(2026, 3, 29), 92)):
        periods = quarter_hours(day)
        assert len(periods) == count
        [whole] = compress(dict.fromkeys(periods, Decimal(1000)))
        assert flow_entry(whole, "MW", MARKET_TZ) == (
            f'{{from: "{day}T00:00", to: "{day + timedelta(days=1)}T00:00", power: 1}}'
        )
    overlap = quarter_hours(date(2026, 10, 25))[8:16]  # 02:00 CEST .. 02:45 CET
    ranges = compress({t: Decimal(i % 2) for i, t in enumerate(overlap)})
    assert [flow_entry(r, "kW", MARKET_TZ) for r in ranges] == [
        '{at: "2026-10-25T02:15+02:00", power: 1}',
        '{at: "2026-10-25T02:45+02:00", power: 1}',
        '{at: "2026-10-25T02:15+01:00", power: 1}',
        '{at: "2026-10-25T02:45+01:00", power: 1}',
    ]  # zeros are left out: mode exact
