"""The JSON form of a plan: ``--format json`` output and the saved plan file are the same text.

A saved plan is applied exactly as reviewed or not at all, so reading one trusts nothing that can
be checked: the file must be under :data:`MAX_PLAN_FILE_BYTES` (checked before parsing), plain
JSON without ``NaN``/``Infinity``, valid against ``schemas/plan.schema.json``, every derived field
equal to what its change gives and the recorded requests the ones its changes give through the
recorded ancillary API (:mod:`reconciler.plan.recorded`), and
its ``digest`` equal to the SHA-256 of its content (:func:`content_digest`). The digest's short form is printed in every
rendering, so the plan reviewed in a pull request can be matched with the file apply is given.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.core.errors import ReconcilerError
from reconciler.core.redaction import redact
from reconciler.market import isoformat_z, parse_instant
from reconciler.plan.causes import DriftEntry
from reconciler.plan.model import FORMAT_VERSION, Change, Plan, Prediction, TargetInfo
from reconciler.plan.resolve import Resolution

MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024
"""Plan files larger than this are refused before they are parsed (64 MiB: a year of quarter-hours
for dozens of assets fits; a file that does not is not a plan anyone reviewed)."""

DIGEST_PREFIX = "sha256:"
SHORT_DIGEST = len(DIGEST_PREFIX) + 12  # the form printed in renderings: sha256:1a2b3c4d5e6f


class PlanFileError(ReconcilerError):
    """A saved plan that can't be read, or that this version does not understand."""


def short_digest(digest: str) -> str:
    return digest[:SHORT_DIGEST]


def plan_to_json(plan: Plan, *, with_digest: bool = True) -> dict[str, Any]:
    document = _small_sections(plan, with_digest=with_digest)
    document["changes"] = list(_change_documents(plan))
    document["requests"] = list(_request_documents(plan))
    document["projected_soc"] = dict(_soc_documents(plan))
    return {key: document[key] for key in _SECTIONS if key in document}


_SECTIONS = (
    "format_version",
    "digest",
    "target",
    "now",
    "expires_at",
    "selection",
    "changes",
    "requests",
    "diagnostics",
    "not_planned",
    "predictions",
    "fingerprints",
    "drift",
    "summary",
    "projected_soc",
    "soc_bounds",
    "resolved_assets",
    "exact_scope",
)
"""The plan document's keys, in the order the file writes them."""


def _small_sections(plan: Plan, *, with_digest: bool) -> dict[str, Any]:
    """Every section but the three that grow with the periods (:func:`_change_documents`,
    :func:`_request_documents`, :func:`_soc_documents`)."""
    expires = plan.expires_at
    document: dict[str, Any] = {"format_version": FORMAT_VERSION}
    if with_digest:
        document["digest"] = plan.digest
    return document | {
        "target": plan.target.to_json(),
        "now": isoformat_z(plan.now),
        "expires_at": isoformat_z(expires) if expires else None,
        "selection": list(plan.selection),
        "diagnostics": [d.to_json() for d in plan.diagnostics],
        "not_planned": [n.to_json() for n in plan.not_planned],
        "predictions": [p.to_json() for p in plan.predictions],
        "fingerprints": dict(sorted(plan.fingerprints.items())),
        "drift": [d.to_json() for d in plan.drift],
        "summary": plan.summary(),
        "soc_bounds": {
            asset: {"lower": lower, "upper": upper} for asset, (lower, upper) in plan.soc_bounds.items()
        },
        "resolved_assets": [r.to_json() for r in plan.resolutions],
        "exact_scope": {
            asset: [day.isoformat() for day in days] for asset, days in sorted(plan.exact_scope.items())
        },
    }


def _change_documents(plan: Plan) -> Iterator[dict[str, Any]]:
    carrier = {id(change): index for index, (_, carried) in enumerate(plan.requests) for change in carried}
    return ({**c.to_json(), "request": carrier[id(c)]} for c in plan.changes)


def _request_documents(plan: Plan) -> Iterator[dict[str, Any]]:
    return (request.to_json() for request, _ in plan.requests)


def _soc_documents(plan: Plan, *, key_order: bool = False) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    assets = sorted(plan.soc) if key_order else list(plan.soc)
    return ((asset, [{"time": isoformat_z(t), "soc": soc} for t, soc in plan.soc[asset]]) for asset in assets)


def _decimal(value: object) -> int | float:
    # A decimal from a manifest (95.5, 0.943) has a float whose shortest repr is the same text,
    # so the JSON text is exact and reads back as the same Decimal (parse_float=Decimal).
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _digest(document: dict[str, Any], number: Callable[[object], object]) -> str:
    content = {key: value for key, value in document.items() if key != "digest"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=number)
    return DIGEST_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_number(value: object) -> float:
    # A number read back as Decimal was written as a float's shortest repr (2500.5, 50.0, 1e-05):
    # the same float writes the same text again.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} in a plan")


def content_digest(document: dict[str, Any]) -> str:
    """SHA-256 of a plan document as read from its file (numbers as ``Decimal``), without its
    ``digest``: keys sorted, no spaces, every number written as the file wrote it."""
    return _digest(document, _read_number)


def plan_digest(plan: Plan) -> str:
    """The digest a saved plan records: of the JSON its file holds, as :func:`content_digest`
    computes it from the file. The same text as :func:`_digest` of :func:`plan_to_json`, hashed
    as it is written, one change, request and SoC series at a time: the document of a large plan
    is never whole in memory."""
    hasher = hashlib.sha256()

    def canonical(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_decimal)

    def write(text: str) -> None:
        hasher.update(text.encode("utf-8"))

    def write_all(opening: str, parts: Iterable[str], closing: str) -> None:
        write(opening)
        for index, part in enumerate(parts):
            write("," + part if index else part)
        write(closing)

    small = _small_sections(plan, with_digest=False)
    bulk: dict[str, Callable[[], None]] = {
        "changes": lambda: write_all("[", map(canonical, _change_documents(plan)), "]"),
        "requests": lambda: write_all("[", map(canonical, _request_documents(plan)), "]"),
        "projected_soc": lambda: write_all(
            "{", (f"{canonical(a)}:{canonical(s)}" for a, s in _soc_documents(plan, key_order=True)), "}"
        ),
    }
    write("{")
    for index, key in enumerate(sorted([*small, *bulk])):
        write(("," if index else "") + canonical(key) + ":")
        if key in bulk:
            bulk[key]()
        else:
            write(canonical(small[key]))
    write("}")
    return DIGEST_PREFIX + hasher.hexdigest()


_ONE_PER_LINE = ("changes", "requests", "projected_soc")
"""The bulk of a plan: one entry per line, each written by the C encoder (``indent`` would send
the whole document through the pure-Python one: 2.7 s for a year of quarter-hours)."""


def dumps(plan: Plan) -> str:
    """The plan file's text: small sections indented, one change, request or SoC series per line."""

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=_decimal)

    def section(key: str, value: Any) -> str:
        if key in _ONE_PER_LINE and value:
            if isinstance(value, dict):
                lines = [f"    {compact(k)}: {compact(v)}" for k, v in value.items()]
                return "{\n" + ",\n".join(lines) + "\n  }"
            return "[\n" + ",\n".join(f"    {compact(item)}" for item in value) + "\n  ]"
        return json.dumps(value, indent=2, ensure_ascii=False, default=_decimal).replace("\n", "\n  ")

    document = plan_to_json(plan)
    body = ",\n".join(f"  {compact(key)}: {section(key, value)}" for key, value in document.items())
    return "{\n" + body + "\n}\n"


def write_plan(plan: Plan, path: Path) -> None:
    """Write atomically: a reader never sees half a plan, a failed write leaves no file; no secret."""
    text = redact(dumps(plan))
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


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a number a plan can hold")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing anything but a regular file under the size cap, unparsed."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise PlanFileError(
                f"{path}: not a regular file; a plan file is the JSON that `plan --out` wrote"
            )
        if info.st_size > MAX_PLAN_FILE_BYTES:
            raise PlanFileError(
                f"{path}: {info.st_size} bytes, over the {MAX_PLAN_FILE_BYTES // (1024 * 1024)} MiB a plan "
                "file may have; refused without reading it"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_PLAN_FILE_BYTES + 1)  # the file may grow after stat
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such plan file") from None
    except OSError as exc:
        raise PlanFileError(f"{path}: can't read plan file ({exc.__class__.__name__})") from None
    if len(data) > MAX_PLAN_FILE_BYTES:
        raise PlanFileError(
            f"{path}: over the {MAX_PLAN_FILE_BYTES // (1024 * 1024)} MiB a plan file may have"
        )
    return data


def load_document(path: Path) -> dict[str, Any]:
    """The plan file as JSON values (numbers as ``Decimal``), checked against its schema."""
    from reconciler.core.schemas import load_schema

    raw = _read_bytes(path)
    try:
        data = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_not_a_number)
    except UnicodeDecodeError:
        raise PlanFileError(f"{path}: not a JSON plan file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{path}:{exc.lineno}: not a JSON plan file ({exc.msg})") from None
    except ValueError as exc:  # NaN, Infinity
        raise PlanFileError(f"{path}: not a plan file: {exc}; nothing was written") from None
    except RecursionError:
        raise PlanFileError(f"{path}: not a plan file: JSON nested too deeply") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else type(data).__name__
        raise PlanFileError(
            f"{path}: expected a plan with format_version {FORMAT_VERSION!r}, found {found!r}; "
            "make a new plan with this version of reconciler"
        )

    import jsonschema

    schema = load_schema("plan.schema.json")
    validator = jsonschema.Draft202012Validator(schema)
    if _bulk_valid(validator, schema, data):
        return data
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise PlanFileError(f"{path}: invalid plan file at {where}: {first.message}")
    return data


def _bulk_valid(validator: Any, schema: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether ``data`` is valid, checking its bulk by hand: a year of periods is a hundred
    thousand values that jsonschema would take seconds over. The per-period maps of the changes
    (``before``/``after``: numbers by time) and the projected SoC series (``{time, soc}`` items)
    are checked here as the schema words them and cut to their first entry in a shallow copy that
    jsonschema checks for the rest (the entry left keeps every rule on them that is not per entry,
    such as a schedule change's ``minProperties``). False means "not shown valid": the caller runs jsonschema on the whole for the
    worded error (so every error reads as before)."""
    instant = re.compile(schema["$defs"]["instant"]["pattern"])

    def number(value: object) -> bool:
        return type(value) in (int, Decimal) or bool(validator.is_type(value, "number"))

    thin = dict(data)
    changes = data.get("changes")
    if isinstance(changes, list):
        thin["changes"] = thinned = []
        for change in changes:
            if isinstance(change, dict):
                change = dict(change)
                for side in ("before", "after"):
                    periods = change.get(side)
                    if isinstance(periods, dict):  # the schema's object form: numbers by time
                        if not all(number(v) for v in periods.values()):
                            return False
                        change[side] = dict(itertools.islice(periods.items(), 1))
            thinned.append(change)
    soc = data.get("projected_soc")
    if isinstance(soc, dict):
        thin["projected_soc"] = series_of = {}
        for name, series in soc.items():
            if isinstance(series, list):
                for item in series:
                    if not (
                        isinstance(item, dict)
                        and "time" in item
                        and "soc" in item
                        and isinstance(item["time"], str)
                        and instant.search(item["time"])
                        and number(item["soc"])
                    ):
                        return False
                series = series[:1]
            series_of[name] = series
    return bool(validator.is_valid(thin))


def read_plan(path: Path) -> Plan:
    """Read a saved plan and check everything it records that can be checked offline."""
    from reconciler.plan.recorded import RecordedPlanError, changes_from_json, check_requests

    data = load_document(path)
    target = TargetInfo.from_json(data["target"])
    try:
        changes = changes_from_json(data["changes"], data["fingerprints"])
    except RecordedPlanError as exc:
        raise PlanFileError(f"{path}: {exc}; the whole file is refused and nothing was written") from None
    resolutions = _resolutions(path, data.get("resolved_assets", []), changes)
    plan = Plan(
        target=target,
        now=parse_instant(data["now"]),
        changes=changes,
        diagnostics=tuple(
            Diagnostic(**{**d, "severity": Severity(d["severity"])}) for d in data["diagnostics"]
        ),
        predictions=tuple(Prediction.from_json(p) for p in data["predictions"]),
        fingerprints=dict(data["fingerprints"]),
        drift=tuple(DriftEntry.from_json(d) for d in data.get("drift", [])),
        soc={
            asset: [(parse_instant(p["time"]), p["soc"]) for p in points]
            for asset, points in data.get("projected_soc", {}).items()
        },
        soc_bounds={
            asset: (bounds["lower"], bounds["upper"]) for asset, bounds in data.get("soc_bounds", {}).items()
        },
        selection=tuple(data["selection"]),
        recorded_digest=data["digest"],
        resolutions=resolutions,
        exact_scope={
            asset: tuple(date.fromisoformat(day) for day in days)
            for asset, days in data.get("exact_scope", {}).items()
        },
    )
    try:  # against the requests the plan derives (and keeps, for apply and the renderings)
        check_requests(changes, plan.requests, data["changes"], data["requests"], target)
    except RecordedPlanError as exc:
        raise PlanFileError(f"{path}: {exc}; the whole file is refused and nothing was written") from None
    recorded, computed = data["digest"], content_digest(data)
    if recorded != computed:
        raise PlanFileError(
            f"{path}: the plan's content does not match its digest (recorded {short_digest(recorded)}, "
            f"content {short_digest(computed)}): the file was changed after `plan` wrote it. Review and "
            "save a new plan; nothing was written"
        )
    return plan


def _resolutions(
    path: Path, items: list[dict[str, Any]], changes: tuple[Change, ...]
) -> tuple[Resolution, ...]:
    """The recorded selector resolutions, each one an asset's only, and every change of a resolved
    asset writing the asset it was resolved to (apply resolves each selector again)."""
    resolutions: list[Resolution] = []
    for index, item in enumerate(items):
        try:
            resolution = Resolution.from_json(item)
        except ValueError as exc:
            raise PlanFileError(f"{path}: resolved_assets[{index}]: {exc}; nothing was written") from None
        if any(r.asset == resolution.asset for r in resolutions):
            raise PlanFileError(
                f"{path}: resolved_assets[{index}]: {resolution.asset} is resolved twice; nothing was written"
            )
        resolutions.append(resolution)
    resolved = {r.asset: r.virtual_asset for r in resolutions}
    for change in changes:
        if change.asset in resolved and change.virtual_asset != resolved[change.asset]:
            raise PlanFileError(
                f"{path}: {change.address} writes virtual asset {change.virtual_asset}, but the plan "
                f"resolved {change.asset} to {resolved[change.asset]}; nothing was written"
            )
    return tuple(resolutions)
