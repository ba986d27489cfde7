"""``drift --adopt`` over HTTP: platform corrections written back into the manifests, checked first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.drift.drift_helpers import MUNICH_SCHEDULE, REVALIDATED_AT
from tests.support.harness import HAMBURG, manifest, run, write_project


def clip_midday(sandbox: Any, charge_power: Any) -> None:
    """An unavailability over 2026-11-24 10:00-10:30 CET leaving ``charge_power`` kW of charging."""
    sandbox.add_unavailability(
        "7c1e0d4e-0000-4000-8000-000000000001",
        "2026-11-24T09:00:00Z",
        "2026-11-24T09:30:00Z",
        charge_power=charge_power,
    )


def test_adopt_round_trip(sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": MUNICH_SCHEDULE})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    sandbox.set_clock(REVALIDATED_AT)
    clip_midday(sandbox, 1500)

    result = run(capsys, "drift", str(project), "--adopt")
    assert result.exit_code == 0, result.out + result.err
    file = str(project / "m.yaml")
    assert "Adopted live values into 1 file" in result.out
    assert (
        f"{file}:13: munich-1/wholesale 2026-11-23 08:15 CET: −5 MW → −3.947 MW (revalidation)" in result.out
    )
    assert (
        f"{file}:14: munich-1/wholesale 2026-11-24 10:00 CET–10:30 CET: −4 MW → −1.5 MW (unavailability)"
        in (result.out)
    )
    # Only the two affected entries changed; comments and every other line are as they were.
    expected = MUNICH_SCHEDULE.replace(
        '      - {from: "2026-11-23T07:30", to: "2026-11-23T09:00", power: -5}   # six quarter-hours\n',
        '      - {from: "2026-11-23T07:30", to: "2026-11-23T08:15", power: -5}   # six quarter-hours\n'
        '      - {at: "2026-11-23T08:15", power: -3.947}\n'
        '      - {from: "2026-11-23T08:30", to: "2026-11-23T09:00", power: 0}\n',
    ).replace(
        '      - {from: "2026-11-24T10:00", to: "2026-11-24T11:00", power: -4}   # midday charge\n',
        '      - {from: "2026-11-24T10:00", to: "2026-11-24T10:30", power: -1.5}   # midday charge\n'
        '      - {from: "2026-11-24T10:30", to: "2026-11-24T11:00", power: -4}\n',
    )
    assert (project / "m.yaml").read_text() == expected

    assert run(capsys, "validate", str(project)).exit_code == 0
    after = run(capsys, "drift", str(project), "--format", "json", "--detailed-exitcode")
    assert (after.exit_code, after.json()["drift"]) == (0, [])
    assert run(capsys, "plan", str(project), "--detailed-exitcode").exit_code == 0

    again = run(capsys, "drift", str(project), "--adopt")
    assert "Nothing to adopt" in again.out
    assert (project / "m.yaml").read_text() == expected


def test_adopt_rewrites_only_the_affected_csv_rows(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "time,power\n2026-11-24T10:00,-3000\n2026-11-24T10:15, -3000\n2026-11-24T10:30,-3000\n"
    body = "wholesale: {unit: kW, mode: partial, schedule: {csv: h3.csv}}\n"
    document = manifest("hamburg-3", HAMBURG, body)
    project = write_project(tmp_path, sandbox.url, {"h.yaml": document, "h3.csv": rows})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    sandbox.add_unavailability(HAMBURG, "2026-11-24T09:15:00Z", "2026-11-24T09:45:00Z", charge_power=1200)

    result = run(capsys, "drift", str(project), "--adopt", "--format", "json")
    assert result.exit_code == 0, result.err
    assert len(result.json()["drift"]) == 2
    assert f"{project / 'h3.csv'}:3: hamburg-3/wholesale 2026-11-24 10:15 CET: −3 MW → −1.2 MW" in result.err
    assert (project / "h3.csv").read_text() == (
        "time,power\n2026-11-24T10:00,-3000\n2026-11-24T10:15, -1200\n2026-11-24T10:30,-1200\n"
    )
    assert (project / "h.yaml").read_text() == document
    assert run(capsys, "drift", str(project), "--detailed-exitcode").exit_code == 0


def test_adopt_never_writes_a_manifest_that_would_not_validate(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": MUNICH_SCHEDULE})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    clip_midday(sandbox, 1500.123456789)  # −1.500123456789 MW: more decimals than a manifest allows

    result = run(capsys, "drift", str(project), "--adopt")
    assert result.exit_code == 1
    assert f"adopting would leave {project / 'm.yaml'} invalid, so nothing was written" in result.err
    assert "error[number-range]" in result.err and "at most 9 decimal places" in result.err
    assert (project / "m.yaml").read_text() == MUNICH_SCHEDULE
    assert sorted(p.name for p in project.iterdir()) == ["m.yaml", "reconciler.yaml"]  # no temporary files
