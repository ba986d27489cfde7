"""Read manifest files and directories into checked, canonical desired state.

Paths may be files or directories. A directory is read recursively (``*.yaml``, ``*.yml``, hidden
entries skipped, in name order) and passes over files that are not manifests: any file named
``reconciler.yaml`` (the project config) and any file whose first document is not a
``VirtualAsset`` (sandbox fixtures, CI workflows). A first document that says
``apiVersion: reconciler/...`` or a ``kind`` close to VirtualAsset counts as a manifest, so a typo
is reported instead of the file going quietly unread. A file named explicitly is always a manifest.

Nothing here raises for bad input: every problem is a diagnostic, and nothing is written.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.core.diagnostics import Diagnostic, Severity, sort_key
from reconciler.core.yamlsource import FieldPath, YamlDocument, parse_yaml_text, read_text
from reconciler.manifest.bids import expand_bid_section
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.files import NOT_A_FILE, OUTSIDE, PROJECT_CONFIG, project_root
from reconciler.manifest.model import LoadResult, Manifest, Rejected, SourceRef
from reconciler.manifest.schedule import expand_wholesale
from reconciler.manifest.schema_check import check_structure
from reconciler.manifest.selectors import AssetSelector, parse_selector_day
from reconciler.manifest.values import ValueProblem, local_text
from reconciler.market import MARKET_TZ, to_utc

KIND = "VirtualAsset"
API_PREFIX = "reconciler/"
SUFFIXES = (".yaml", ".yml")


@dataclass
class _Run:
    now: datetime | None
    project_root: Path | None = None
    manifests: list[Manifest] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    manifest_files: set[Path] = field(default_factory=set)
    names: dict[str, SourceRef] = field(default_factory=dict)
    assets: dict[str, SourceRef] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)


def load_manifests(paths: Sequence[Path | str], now: datetime | None = None) -> LoadResult:
    """Read, check and expand every manifest under ``paths``; with ``now``, add deadline warnings."""
    run = _Run(now=to_utc(now) if now is not None else None)
    for given in paths:
        path = Path(given)
        if path.is_dir():
            root = project_root(path)
            found = [
                _read_file(run, file, explicit=False)
                for file in _manifest_candidates(path)
                if _in_project(run, file, root)
            ]
        elif path.is_file():
            found = [_read_file(run, path, explicit=True)]
        else:
            run.diagnostics.append(
                Diagnostic(
                    Severity.ERROR,
                    "path-not-found",
                    f"{given}: no such file or directory",
                    file=str(given),
                    expected="a manifest file or a directory of manifests",
                    found="nothing at that path",
                )
            )
            continue
        if not any(found):
            run.diagnostics.append(
                Diagnostic(
                    Severity.ERROR,
                    "no-manifests",
                    f"{given}: no manifest found",
                    file=str(given),
                    expected=f"*.yaml or *.yml files with kind: {KIND}",
                    found="none",
                )
            )
    return LoadResult(
        manifests=tuple(run.manifests),
        diagnostics=tuple(sorted(run.diagnostics, key=sort_key)),
        files=tuple(run.files),
        skipped=tuple(run.skipped),
        rejected=tuple(run.rejected),
    )


def read_manifest_text(
    text: str, file: str, now: datetime | None = None, project_root: Path | None = None
) -> tuple[list[Manifest], list[Diagnostic]]:
    """Check and expand the documents of one file's text. CSV paths resolve beside ``file``, and
    must stay inside ``project_root`` (default: found from ``file``, see
    :func:`reconciler.manifest.files.project_root`)."""
    run = _Run(now=to_utc(now) if now is not None else None, project_root=project_root)
    documents, problems = parse_yaml_text(text, file)
    run.diagnostics.extend(problems)
    for document in documents:
        _read_document(run, document)
    return run.manifests, sorted(run.diagnostics, key=sort_key)


def _manifest_candidates(directory: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root) / name
            for name in sorted(files)
            if name.endswith(SUFFIXES) and not name.startswith(".")
        )
    return found


def _in_project(run: _Run, file: Path, root: Path) -> bool:
    """A file a directory scan found is read only if it is a regular file inside the project: a
    symlink out of it, or a FIFO that would block the read, is a warning and stays unread."""
    try:
        inside = file.resolve().is_relative_to(root)
        regular = stat.S_ISREG(os.stat(file).st_mode)
    except (OSError, RuntimeError):  # a dangling symlink or a loop
        inside, regular = True, False
    if inside and regular:
        return True
    run.skipped.append(str(file))
    run.diagnostics.append(
        Diagnostic(
            Severity.WARNING,
            OUTSIDE if not inside else NOT_A_FILE,
            f"{file}: not read: "
            + ("it leads outside the project" if not inside else "it is not a regular file"),
            file=str(file),
            expected="manifests inside the project (the folder of reconciler.yaml, else the one named)",
            found="a symlink leading out" if not inside else "a FIFO, device, or broken symlink",
        )
    )
    return False


def _read_file(run: _Run, path: Path, *, explicit: bool) -> bool:
    """Read one file as manifests unless a directory scan finds it is none; True if it is one."""
    identity = path.resolve()
    if identity in run.manifest_files:
        return True  # named twice (a directory and a file in it): read once
    display = str(path)
    if not explicit and path.name == PROJECT_CONFIG:
        run.skipped.append(display)
        return False
    text, unreadable = read_text(path, display)
    documents, problems = parse_yaml_text(text, display) if text is not None else ([], [])
    if unreadable is not None:
        problems.append(unreadable)
    if not explicit and _not_a_manifest(documents, problems):
        run.skipped.append(display)
        return False
    if not documents and not problems:  # named, but empty or only comments: never "no changes"
        problems.append(
            Diagnostic(
                Severity.ERROR,
                "no-manifests",
                f"{display}: the file holds no YAML document",
                file=display,
                line=1,
                expected=f"at least one document with kind: {KIND}",
                found="an empty file" if not (text or "").strip() else "only comments",
            )
        )
    run.manifest_files.add(identity)
    run.files.append(display)
    run.diagnostics.extend(problems)
    for document in documents:
        _read_document(run, document)
    return True


def _not_a_manifest(documents: list[YamlDocument], problems: list[Diagnostic]) -> bool:
    if documents:
        return not _looks_like_manifest(documents[0].value)
    return not problems  # empty; a file that cannot be read or parsed may well be a manifest


def _looks_like_manifest(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    kind, api = value.get("kind"), value.get("apiVersion")
    if isinstance(api, str) and api.startswith(API_PREFIX):
        return True
    return isinstance(kind, str) and difflib.SequenceMatcher(None, kind.lower(), KIND.lower()).ratio() >= 0.8


def _read_document(run: _Run, document: YamlDocument) -> None:
    ctx = DocumentContext(document, now=run.now, project_root=run.project_root)
    for path, problem in document.problems:
        ctx.add(path, problem)
    accepted = _accepted(ctx.document.value, check_structure(ctx))
    manifest = _expand(ctx, accepted) if accepted is not None else None
    _check_unique(run, ctx)
    run.diagnostics.extend(ctx.diagnostics)
    if manifest is not None and not ctx.has_errors:
        run.manifests.append(manifest)
    elif ctx.has_errors:
        run.rejected.append(_rejected(ctx))


def _rejected(ctx: DocumentContext) -> Rejected:
    """A document with errors, named as far as its own fields allow (plans hold back that asset)."""
    value = ctx.document.value

    def field(*path: str) -> str | None:
        found: Any = value
        for key in path:
            found = found.get(key) if isinstance(found, dict) else None
        return found if isinstance(found, str) and ctx.clean(path) else None

    where = SourceRef(ctx.file, ctx.document.start.line, ctx.document.start.column)
    name = ctx.name or field("metadata", "name")
    return Rejected(name, field("spec", "virtualAsset"), where, tuple(ctx.diagnostics))


def _accepted(value: Any, refused: list[FieldPath]) -> Any:
    """What expansion may read: the document with every list entry (a schedule entry, a bid) that
    breaks the schema replaced by ``None``, so nothing reads a field the schema did not accept; or
    ``None`` when a break lies outside every entry, which stops the whole document. The entries
    left are valid: the schema constrains each entry on its own."""
    entries: set[FieldPath] = set()
    for path in refused:
        index = next((i for i, part in enumerate(path) if isinstance(part, int)), None)
        if index is None:
            return None
        entries.add(path[: index + 1])
    for entry in entries:
        value = _replaced(value, entry)
    return value


def _replaced(value: Any, path: FieldPath) -> Any:
    """``value`` with the item at ``path`` set to ``None``, copying only the containers on the way."""
    if not path:
        return None
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and isinstance(head, str) and head in value:
        return {**value, head: _replaced(value[head], rest)}
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        return [*value[:head], _replaced(value[head], rest), *value[head + 1 :]]
    return value


def _expand(ctx: DocumentContext, value: Any) -> Manifest | None:
    if not isinstance(value, dict):
        return None
    metadata = value.get("metadata")
    if isinstance(metadata, dict) and ctx.clean(("metadata", "name")):
        ctx.name = metadata.get("name")
    spec = value.get("spec")
    if not isinstance(spec, dict):
        return None
    tz = _timezone(ctx, spec)
    ctx.tz = tz
    asset = _asset(ctx, spec.get("virtualAsset"), tz)
    wholesale = expand_wholesale(ctx, spec.get("wholesale"), ("spec", "wholesale"), tz)
    fcr = expand_bid_section(ctx, "fcr", spec.get("fcr"), ("spec", "fcr"))
    afrr = expand_bid_section(ctx, "afrr", spec.get("afrr"), ("spec", "afrr"))
    if ctx.has_errors or ctx.name is None or asset is None:
        return None
    organisation = spec.get("organisation")
    return Manifest(
        name=ctx.name,
        asset=asset,
        organisation=organisation if isinstance(organisation, str) else None,
        timezone=tz,
        wholesale=wholesale,
        fcr=fcr,
        afrr=afrr,
        source=SourceRef(ctx.file, ctx.document.start.line, ctx.document.start.column),
        fields={".".join(path): ctx.ref(path) for path in _LOCATED_FIELDS if path in ctx.document.values},
    )


# Fields that later findings (against live state) point at: plan and drift name their line.
_LOCATED_FIELDS: tuple[tuple[str, ...], ...] = (
    ("spec", "virtualAsset"),
    ("spec", "organisation"),
    ("spec", "wholesale", "mode"),
)


_ASSET = ("spec", "virtualAsset")


def _asset(ctx: DocumentContext, value: Any, tz: ZoneInfo) -> str | AssetSelector | None:
    """``spec.virtualAsset``: a UUID as written, or a selector. With ``now`` (validate --now) a
    relative day is resolved, and said in a note; without it only its form is checked."""
    if isinstance(value, str) or not isinstance(value, dict) or not ctx.clean(_ASSET):
        return value if isinstance(value, str) else None
    try:
        day = parse_selector_day(value["day"])
    except ValueProblem as problem:
        where = (*_ASSET, "day")
        ctx.error(problem.code, problem.message, where, expected=problem.expected, found=problem.found)
        return None
    if day.relative and ctx.now is not None:
        ctx.report(
            Severity.NOTE,
            "selector-day",
            f"day {day.text} is {day.on(ctx.now, tz).isoformat()} at --now {local_text(ctx.now, tz)} "
            f"({tz.key}); plan resolves it with the target's clock",
            (*_ASSET, "day"),
            address=ctx.name,
        )
    return AssetSelector(value["portfolio"], day)


def _timezone(ctx: DocumentContext, spec: dict[str, Any]) -> ZoneInfo:
    name = spec.get("timezone")
    if not isinstance(name, str) or not ctx.clean(("spec", "timezone")):
        return MARKET_TZ
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # unknown key, malformed key, or a directory of the database
        ctx.error(
            "timezone-unknown",
            f"{name!r} is not a time zone",
            ("spec", "timezone"),
            expected="an IANA time zone such as Europe/Berlin or UTC",
            found=name,
        )
        return MARKET_TZ


def _check_unique(run: _Run, ctx: DocumentContext) -> None:
    """One document per virtual asset and per metadata.name, across everything read together.
    Two selectors alike (portfolio, day as written, timezone) name one asset; selectors that only
    resolve to one asset are found when a run resolves them (:mod:`reconciler.plan.resolve`)."""
    value = ctx.document.value
    if not isinstance(value, dict):
        return
    spec, metadata = value.get("spec"), value.get("metadata")
    selector = spec.get("virtualAsset") if isinstance(spec, dict) else None
    if isinstance(selector, dict) and ctx.clean(_ASSET):
        portfolio, day = selector.get("portfolio"), selector.get("day")
        spec = {"virtualAsset": f"portfolio {portfolio}, day {day} ({ctx.tz.key})"}
    checks = (
        (
            "virtualAsset",
            spec,
            ("spec", "virtualAsset"),
            run.assets,
            "duplicate-virtual-asset",
            "virtual asset",
        ),
        ("name", metadata, ("metadata", "name"), run.names, "duplicate-name", "metadata.name"),
    )
    for key, holder, path, registry, code, label in checks:
        if not isinstance(holder, dict) or not isinstance(holder.get(key), str) or not ctx.clean(path):
            continue
        declared = holder[key]
        here = ctx.ref(path)
        first = registry.setdefault(declared, here)
        if first is not here:
            ctx.error(
                code,
                f"{label} {declared} is already declared at {first}; one document per {label}",
                path,
                expected=f"a {label} declared once",
                found=f"{declared} again",
            )
