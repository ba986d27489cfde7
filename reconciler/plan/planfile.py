"""The JSON form of a plan: ``--format json`` output and the saved plan file are the same text.

Validated against ``schemas/plan.schema.json`` when read back, so a hand-edited or truncated plan
file is refused with a clear message instead of being half-applied.
"""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.core.errors import ReconcilerError
from reconciler.market import isoformat_z, parse_instant
from reconciler.plan.causes import DriftEntry
from reconciler.plan.model import FORMAT_VERSION, Change, Plan, Prediction, TargetInfo


class PlanFileError(ReconcilerError):
    """A saved plan that can't be read, or that this version does not understand."""


def plan_to_json(plan: Plan) -> dict[str, Any]:
    expires = plan.expires_at
    return {
        "format_version": FORMAT_VERSION,
        "target": plan.target.to_json(),
        "now": isoformat_z(plan.now),
        "expires_at": isoformat_z(expires) if expires else None,
        "changes": [c.to_json() for c in plan.changes],
        "diagnostics": [d.to_json() for d in plan.diagnostics],
        "predictions": [p.to_json() for p in plan.predictions],
        "fingerprints": dict(sorted(plan.fingerprints.items())),
        "drift": [d.to_json() for d in plan.drift],
        "summary": plan.summary(),
        "projected_soc": {
            asset: [{"time": isoformat_z(t), "soc": soc} for t, soc in points]
            for asset, points in plan.soc.items()
        },
        "soc_bounds": {
            asset: {"lower": lower, "upper": upper} for asset, (lower, upper) in plan.soc_bounds.items()
        },
    }


def plan_from_json(data: dict[str, Any]) -> Plan:
    return Plan(
        target=TargetInfo.from_json(data["target"]),
        now=parse_instant(data["now"]),
        changes=tuple(Change.from_json(c) for c in data["changes"]),
        diagnostics=tuple(
            Diagnostic(**{**d, "severity": Severity(d["severity"])}) for d in data.get("diagnostics", [])
        ),
        predictions=tuple(Prediction.from_json(p) for p in data.get("predictions", [])),
        fingerprints=dict(data.get("fingerprints", {})),
        drift=tuple(DriftEntry.from_json(d) for d in data.get("drift", [])),
        soc={
            asset: [(parse_instant(p["time"]), p["soc"]) for p in points]
            for asset, points in data.get("projected_soc", {}).items()
        },
        soc_bounds={
            asset: (bounds["lower"], bounds["upper"]) for asset, bounds in data.get("soc_bounds", {}).items()
        },
    )


def _decimal(value: object) -> int | float:
    # A decimal from a manifest (95.5, 0.943) has a float whose shortest repr is the same text,
    # so the JSON text is exact and reads back as the same Decimal (parse_float=Decimal).
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(plan: Plan) -> str:
    return json.dumps(plan_to_json(plan), indent=2, ensure_ascii=False, default=_decimal) + "\n"


def write_plan(plan: Plan, path: Path) -> None:
    """Write atomically: a reader never sees half a plan, a failed write leaves no file."""
    text = dumps(plan)
    directory = path.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise PlanFileError(f"{path}: can't write the plan there ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_plan(path: Path) -> Plan:
    from reconciler.core.schemas import load_schema

    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: can't read plan file ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{path}:{exc.lineno}: not a JSON plan file ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else type(data).__name__
        raise PlanFileError(
            f"{path}: expected a plan with format_version {FORMAT_VERSION!r}, found {found!r}"
        )

    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema("plan.schema.json"))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise PlanFileError(f"{path}: invalid plan file at {where}: {first.message}")
    return plan_from_json(data)
