"""Scenarios shared by the drift, adopt and import tests (example fixture: clock 2026-11-23 06:55 CET)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.support.harness import MUNICH, manifest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# munich-1: 10 MWh between 5 % and 95 %, half full, 95 % efficient. Charging 5 MW from 07:30
# fills it by 08:15: re-validation cuts 08:15 to −3 947 kW and 08:30, 08:45 to 0.
# The second range is the one the unavailability tests clip.
SCHEDULE_BODY = """\
    # the trader's plan for munich-1
    wholesale:
      unit: MW
      mode: partial
      schedule:
        # morning charge
        - {from: "2026-11-23T07:30", to: "2026-11-23T09:00", power: -5}   # six quarter-hours
        - {from: "2026-11-24T10:00", to: "2026-11-24T11:00", power: -4}   # midday charge
    """
MUNICH_SCHEDULE = manifest("munich-1", MUNICH, SCHEDULE_BODY)
REVALIDATED_AT = "2026-11-23T08:40:00+01:00"  # 08:15, 08:30 and 08:45 have been re-validated


def example_fixture(**changes: Any) -> dict[str, Any]:
    """The example fixture as a dict, with top-level keys replaced."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "sandbox-fixture.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def by_cause(drift: list[dict[str, Any]], cause: str) -> list[dict[str, Any]]:
    return [entry for entry in drift if entry["cause"] == cause]
