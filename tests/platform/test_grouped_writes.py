"""Grouped writes (D18) keep capacity order (D16) and deadline order, over HTTP.

munich-1 of the example fixture (5000 kW, FCR available 4000 kW, clock 2026-11-23 06:55 CET)
first holds 3000 kW of FCR in 08:00-12:00 and 12:00-16:00 on 2026-11-24. The second manifest
lowers both, charges 3500 kW at 09:00 (which fits only once the FCR bid there is lowered) and
adds FCR in 16:00-20:00 and aFRR POS in 00:00-04:00. With the unified API the asset's FCR
products straddle the schedule write: the two that free capacity go in one POST before it, the
one that takes capacity in another after it, and the aFRR capacity bid (deadline 08:30) after
the FCR one (07:30). With the legacy API each product is a PUT of its own, in the same order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import RunningSandbox
from tests.support.harness import MUNICH, manifest, run, write_project, writes, written_bids

BEFORE = """\
fcr:
  unit: MW
  bids:
    - {day: 2026-11-24, product: NEGPOS_08_12, capacity: 3, capacityPrice: 90}
    - {day: 2026-11-24, product: NEGPOS_12_16, capacity: 3, capacityPrice: 90}
"""
AFTER = """\
wholesale:
  mode: partial
  schedule: [{at: "2026-11-24T09:00", power: -3500}]
fcr:
  unit: MW
  bids:
    - {day: 2026-11-24, product: NEGPOS_08_12, capacity: 1, capacityPrice: 90}
    - {day: 2026-11-24, product: NEGPOS_12_16, capacity: 1, capacityPrice: 90}
    - {day: 2026-11-24, product: NEGPOS_16_20, capacity: 2, capacityPrice: 90}
afrr:
  unit: MW
  bids:
    - {day: 2026-11-24, product: POS_00_04, capacity: 2, capacityPrice: 12, energyPrice: 80}
"""


pytestmark = pytest.mark.usefixtures("demo_credentials")


def shape(entry: dict[str, Any]) -> tuple[str, ...]:
    """A write as ``(method, what)``: the schedule, or the products it carries."""
    if "/blocks/" in entry["path"]:
        return (entry["method"], "schedule")
    return (entry["method"], *written_bids([entry]))


@pytest.mark.parametrize(
    "api, expected",
    [
        (
            "unified",
            [
                ("POST", "2026-11-24_NEGPOS_08_12", "2026-11-24_NEGPOS_12_16"),  # frees, before
                ("PUT", "schedule"),
                ("POST", "2026-11-24_NEGPOS_16_20"),  # takes, after; FCR's deadline first
                ("POST", "2026-11-24_POS_00_04"),
            ],
        ),
        (
            "legacy",
            [
                ("PUT", "2026-11-24_NEGPOS_08_12"),
                ("PUT", "2026-11-24_NEGPOS_12_16"),
                ("PUT", "schedule"),
                ("PUT", "2026-11-24_NEGPOS_16_20"),
                ("PUT", "2026-11-24_POS_00_04"),
            ],
        ),
    ],
)
def test_an_assets_bids_straddle_its_schedule_in_capacity_and_deadline_order(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    api: str,
    expected: list[tuple[str, ...]],
) -> None:
    first = write_project(tmp_path / "a", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, BEFORE)}, api)
    assert run(capsys, "apply", str(first), "--auto-approve").exit_code == 0
    done = len(writes(sandbox.requests()))

    second = write_project(tmp_path / "b", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, AFTER)}, api)
    planned = run(capsys, "plan", str(second), "--format", "json")
    assert planned.exit_code == 0, planned.err
    document = planned.json()
    assert document["summary"]["requests"] == len(expected)
    # each change names the request that carries it, and the requests are listed in write order
    carried = [
        [c["address"].rsplit("/", 1)[1] for c in document["changes"] if c["request"] == i]
        for i in range(len(expected))
    ]
    assert carried == [[w for w in want[1:] if w != "schedule"] or ["wholesale"] for want in expected]  # fmt: skip

    applied = run(capsys, "apply", str(second), "--auto-approve")
    assert applied.exit_code == 0, applied.out + applied.err
    assert "Apply: 5 applied, 0 failed" in applied.out  # one outcome per change, however grouped
    assert [shape(entry) for entry in writes(sandbox.requests())[done:]] == expected
    again = run(capsys, "plan", str(second), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes" in again.out, again.out + again.err
