"""Fixture loading (file:line errors), the published schema, and the ``reconciler sandbox`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox.fixture import FixtureError, fixture_schema, load_fixture
from tests.processes import serve_sandbox_then_interrupt

GOOD = """\
now: "2026-11-23T06:55:00+01:00"
organisations:
  - id: org-a
    users: [{username: a, password: secret-a}]
    virtualAssets:
      - id: va-1
        start: "2026-11-23T00:00:00+01:00"
        end: "2026-11-24T00:00:00+01:00"
        energyCapacity: 1000
        ratedChargePower: 500
        ratedDischargePower: 500
        chargeEfficiency: 0.95
        dischargeEfficiency: 0.95
        initialStateOfEnergy: 500
        dispatchGateClosureSeconds: 300
        dailyCycleLimit: 2
        annualCycleLimit: 730
        fcrCapacityAvailable: 400
        afrrCapacityPosAvailable: 500
        afrrCapacityNegAvailable: 500
        maxTotalAncillaryCapacityChargeAvailable: 500
        maxTotalAncillaryCapacityDischargeAvailable: 500
"""


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "fixture.yaml"
    path.write_text(text, encoding="utf-8")
    return load_fixture(path)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(FixtureError) as caught:
        _load(tmp_path, text)
    return str(caught.value)


def test_example_fixture_loads_with_exact_numbers(example_fixture_path: Path) -> None:
    fixture = load_fixture(example_fixture_path)
    assert fixture.now.isoformat() == "2026-11-23T05:55:00+00:00"
    (org,) = fixture.organisations
    assert [a.name for a in org.virtual_assets] == [
        "munich-1",
        "berlin-2",
        "hamburg-3",
        "leipzig-2026-11-23",
        "leipzig-2026-11-24",
    ]
    assert [a.portfolio_id for a in org.virtual_assets][-2:] == ["5f3a9c2e-0000-4000-8000-00000000a004"] * 2
    munich = org.virtual_assets[0]
    assert munich.charge_efficiency == Decimal("0.95") and isinstance(munich.energy_capacity, Decimal)
    assert (munich.soc_lower, munich.soc_upper) == (5, 95)
    assert len(munich.schedule) == 16
    assert fixture.clearing_prices == {"FCR": 120, "AFRRCapacity": 20, "AFRREnergy": 100}
    assert "demo-password" not in repr(fixture)


def test_defaults_apply(tmp_path: Path) -> None:
    fixture = _load(tmp_path, GOOD)
    spec = fixture.organisations[0].virtual_assets[0]
    assert fixture.token_expires_in == 3600
    assert (spec.soc_lower, spec.soc_upper, spec.final_soc_tolerance) == (0, 100, Decimal("0.01"))
    assert spec.schedule == ()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("        ratedChargePower: 500\n", "        ratedChargPower: 500\n"), "fixture.yaml:10: "),
        (("        ratedChargePower: 500\n", "        ratedChargPower: 500\n"), "did you mean 'ratedChargePower'?"),
        (("        energyCapacity: 1000\n", ""), "a value for required field 'energyCapacity'"),
        (("        energyCapacity: 1000\n", "        energyCapacity: lots\n"), "fixture.yaml:9: organisations[0].virtualAssets[0].energyCapacity: expected a number, found 'lots'"),
        (('now: "2026-11-23T06:55:00+01:00"', 'now: "2026-11-23T06:55:00"'), "fixture.yaml:1: now: expected a time with an offset"),
        (('start: "2026-11-23T00:00:00+01:00"', 'start: "2026-11-23T00:05:00+01:00"'), "expected a quarter-hour boundary"),
        (('end: "2026-11-24T00:00:00+01:00"', 'end: "2026-11-22T00:00:00+01:00"'), "fixture.yaml:8: organisations[0].virtualAssets[0].end: expected an end after start"),
        (("        chargeEfficiency: 0.95\n", "        chargeEfficiency: 1.5\n"), "expected at most 1, found 1.5"),
        (("        initialStateOfEnergy: 500\n", "        initialStateOfEnergy: 1500\n"), "expected at most the energy capacity 1000 kWh"),
        (("      - id: va-1\n", "      - id: va-1\n        id: va-2\n"), "fixture.yaml:7: duplicate key 'id': it is already set on line 6"),
        (("organisations:\n", "organisations: [\n"), "invalid YAML"),
        (("  - id: org-a\n", "clearingPrices: {FRC: 1}\n  - id: org-a\n"), "fixture.yaml:"),
    ],
)  # fmt: skip
def test_bad_fixtures_name_file_line_field_expected_and_found(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    assert change[0] in GOOD
    assert expected in _error(tmp_path, GOOD.replace(change[0], change[1], 1))


def test_semantic_errors_point_at_their_line(tmp_path: Path) -> None:
    schedule = GOOD + '        schedule:\n          - {time: "2026-11-23T10:00:00+01:00", power: 600}\n'
    assert (
        "fixture.yaml:24: organisations[0].virtualAssets[0].schedule[0].power: expected a power within [-500, 500] kW, found 600 kW"
        in _error(tmp_path, schedule)
    )
    outside = GOOD + '        schedule:\n          - {time: "2026-11-24T10:00:00+01:00", power: 1}\n'
    assert "schedule[0].time: expected a period within the asset's life" in _error(tmp_path, outside)
    prices = GOOD + "clearingPrices: {2026-11-24_NEGPOS_01_05: 1}\n"
    assert (
        "fixture.yaml:23: clearingPrices.2026-11-24_NEGPOS_01_05: expected a market or an existing productDateCode"
        in _error(tmp_path, prices)
    )
    deadlines = GOOD + "deadlines: {fcrDeadline: 7.30}\n"
    assert "fixture.yaml:23: deadlines.fcrDeadline: expected a str" in _error(tmp_path, deadlines)
    twice = GOOD.replace(
        "  - id: org-a\n", "  - id: org-b\n    users: [{username: a, password: x}]\n  - id: org-a\n"
    )
    assert "expected a unique username, found 'a'" in _error(tmp_path, twice)


def test_unreadable_files_are_fixture_errors(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read the sandbox fixture"):
        load_fixture(tmp_path / "missing.yaml")


def test_every_schema_property_has_title_description_and_examples() -> None:
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                if not all(key in child for key in ("title", "description", "examples")):
                    missing.append(f"{where}.{name}")
                walk(child, f"{where}.{name}")
            for key in ("items", "additionalProperties"):
                if isinstance(node.get(key), dict):
                    walk(node[key], f"{where}[{key}]")
            for name, child in node.get("$defs", {}).items():
                walk(child, f"$defs.{name}")

    walk(fixture_schema(), "")
    assert missing == []
    on_disk = json.loads((Path(__file__).parents[2] / "schemas" / "sandbox-fixture.schema.json").read_text())
    assert on_disk == fixture_schema()


def test_cli_rejects_a_bad_fixture_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("now: 2026-11-23T06:55:00+01:00\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sandbox", "--fixture", str(bad)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"{bad}:1: organisations: expected a value for required field 'organisations'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_serves_until_interrupted_and_never_prints_passwords(example_fixture_path: Path) -> None:
    def serving(banner: list[str]) -> None:
        url = banner[0].split()[3]
        assert url.startswith("http://127.0.0.1:")
        assert "organisation org-demo: users demo; munich-1, berlin-2, hamburg-3" in banner[1]
        assert httpx.get(url + "/_sandbox/clock").json()["now"] == "2026-11-23T05:55:00Z"

    banner, output = serve_sandbox_then_interrupt(example_fixture_path, serving)
    assert "demo-password" not in "".join(banner) + output
