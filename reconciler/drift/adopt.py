"""``drift --adopt``: write the values the platform set back into the manifests.

Only drift the platform caused is adopted (``revalidation``, ``unavailability``): the manifest's
desired value becomes the live one, so git stays the source of truth. ``auction_result`` is not
adopted: the manifest records what was offered, and the live bid still shows that offer.
``out_of_band`` is not adopted either: ``apply`` reverts it.

Edits touch only the affected schedule entries, in the file's own text, so comments and layout
stay: an entry whose periods all take one new value gets a new ``power``; otherwise it is split
into runs (``{at}`` for one quarter-hour, ``{from, to}`` for more), the first in its place and
the others right after it, in the entry's style. A CSV schedule gets the ``power`` cell of each
affected row replaced.

:func:`plan_adoption` is pure (texts in, texts out). :func:`adopt` reads the files, loads every
rewritten manifest with the manifest loader, checks that it validates and now says the live
values, and only then writes with :func:`write_files` (temporary files, then ``os.replace``).
On any failure no file is touched.

Why text patches and not a comment-preserving round trip (ruamel.yaml 0.19, measured on the cases
of tests/drift/test_adopt_edits.py): a round trip re-emits the whole file, so it re-indents every
sequence to one house style (all three example manifests change unless the indentation is
configured to match each file), moves a comment that stood before the next entry above the
entries inserted by a split, narrows ``}  # kW`` to ``} # kW``, and writes an empty document as
``null``; and loading plus dumping a 2 880-entry schedule takes 5.1 s where these patches take
1.5 s. Patches touch only the scalars and lines that change.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.core.diagnostics import Diagnostic, has_errors
from reconciler.core.errors import ReconcilerError
from reconciler.core.redaction import redact
from reconciler.drift.importer import (
    ScheduleRange,
    compress,
    entry_fields,
    flow_entry,
    manifest_time,
    power_text,
)
from reconciler.manifest import Manifest, SourceRef, read_manifest_text
from reconciler.market import PERIOD
from reconciler.plan.causes import PLATFORM_CAUSES, Cause, DriftEntry
from reconciler.plan.fmt import fmt_power, local
from reconciler.platform.live import LiveState
from reconciler.rules.units import normalize

_ITEM_INDEX = re.compile(r"^spec\.wholesale\.schedule\[(\d+)\]$")
_DASH = re.compile(r"^[ \t]*-[ \t]+$")

# Per manifest name: period -> (the live kW to adopt, why the platform set it).
Targets = Mapping[str, Mapping[datetime, tuple[Decimal, Cause]]]


class AdoptError(ReconcilerError):
    """Adoption was refused; no file was written."""


@dataclass(frozen=True)
class AdoptedChange:
    """A run of periods of one schedule entry (or one CSV row) that now holds the live value."""

    file: str
    line: int
    address: str
    start: datetime
    end: datetime
    before_kw: Decimal
    after_kw: Decimal
    cause: Cause
    how: str

    def describe(self) -> str:
        if self.end - self.start == PERIOD:
            when = local(self.start)
        else:
            when = f"{local(self.start)}–{local(self.end, with_date=False)}"
        return (
            f"{self.file}:{self.line}: {self.address} {when}: {fmt_power(self.before_kw)} → "
            f"{fmt_power(self.after_kw)} ({self.cause}); {self.how}"
        )


@dataclass(frozen=True)
class Adoption:
    texts: Mapping[str, str]  # file -> its new text; only the files that change
    changes: tuple[AdoptedChange, ...]


@dataclass(frozen=True)
class TextEdit:
    """Replace ``text[start:end]`` (an insertion when ``start == end``)."""

    start: int
    end: int
    text: str


def adoption_targets(
    entries: Sequence[DriftEntry], manifests: Sequence[Manifest], live: LiveState
) -> Targets:
    """The periods to adopt, platform-caused schedule drift, with the exact live kW."""
    by_name = {m.name: m for m in manifests}
    targets: dict[str, dict[datetime, tuple[Decimal, Cause]]] = {}
    for entry in entries:
        manifest = by_name.get(entry.asset)
        if (
            manifest is None
            or entry.cause not in PLATFORM_CAUSES
            or entry.address != f"{manifest.name}/wholesale"
        ):
            continue
        live_kw = live.assets[manifest.virtual_asset].wholesale.schedule.get(entry.time, Decimal(0))
        targets.setdefault(manifest.name, {})[entry.time] = (live_kw, entry.cause)
    return targets


# --- pure: texts in, texts out -------------------------------------------------------------------


def plan_adoption(texts: Mapping[str, str], manifests: Sequence[Manifest], targets: Targets) -> Adoption:
    """The new texts of the manifest files (and CSV schedules) in ``texts`` for ``targets``."""
    edits: dict[str, list[TextEdit]] = {}
    changes: list[AdoptedChange] = []
    for manifest in manifests:
        wanted = targets.get(manifest.name, {})
        schedule = manifest.wholesale
        if not wanted:
            continue
        if schedule is None or any(t not in schedule.sources for t in wanted):
            raise AdoptError(f"{manifest.source}: {manifest.name} does not list every period to adopt")
        covers: dict[SourceRef, list[datetime]] = {}  # each entry or CSV row -> its periods, in order
        for period, source in schedule.sources.items():
            covers.setdefault(source, []).append(period)
        for source in sorted({schedule.sources[t] for t in wanted}, key=lambda s: (s.file, s.line, s.column)):
            periods = covers[source]
            old = {t: schedule.points[t] for t in periods}
            new = {t: wanted[t][0] if t in wanted else old[t] for t in periods}
            text = texts[source.file]
            if source.file == manifest.source.file:
                runs = compress(new, keep_zero=True)
                item, parent = schedule_item(text, manifest, source)
                found = entry_edits(text, item, parent, runs, schedule.unit, manifest.timezone)
                how = "power set" if len(runs) == 1 else f"entry split into {len(runs)}"
            else:
                found = [csv_power_edit(text, source, power_text(new[periods[0]], schedule.unit))]
                how = "CSV row"
            edits.setdefault(source.file, []).extend(found)
            changes += _report(manifest, source, old, new, wanted, how)
    return Adoption(
        texts={file: apply_edits(texts[file], found) for file, found in edits.items()},
        changes=tuple(changes),
    )


def _report(
    manifest: Manifest,
    source: SourceRef,
    old: Mapping[datetime, Decimal],
    new: Mapping[datetime, Decimal],
    wanted: Mapping[datetime, tuple[Decimal, Cause]],
    how: str,
) -> list[AdoptedChange]:
    runs: list[AdoptedChange] = []
    for period in sorted(t for t in new if t in wanted):
        change = (old[period], new[period], wanted[period][1])
        last = runs[-1] if runs else None
        if last and last.end == period and (last.before_kw, last.after_kw, last.cause) == change:
            runs[-1] = replace(last, end=period + PERIOD)
            continue
        address = f"{manifest.name}/wholesale"
        runs.append(AdoptedChange(source.file, source.line, address, period, period + PERIOD, *change, how))
    return runs


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def schedule_item(text: str, manifest: Manifest, source: SourceRef) -> tuple[MappingNode, SequenceNode]:
    """The YAML node of the schedule entry ``source`` names, and the sequence that holds it."""
    missing = AdoptError(f"{source}: cannot find the schedule entry {source.path}; nothing adopted")
    match = _ITEM_INDEX.match(source.path)
    if match is None:
        raise missing
    index = int(match.group(1))
    for root in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if root is None or (root.start_mark.line + 1, root.start_mark.column + 1) != (
            manifest.source.line,
            manifest.source.column,
        ):
            continue  # an empty document, or another manifest of the file
        sequence = _child(_child(_child(root, "spec"), "wholesale"), "schedule")
        if isinstance(sequence, SequenceNode) and index < len(sequence.value):
            item = sequence.value[index]
            if isinstance(item, MappingNode):
                return item, sequence
    raise missing


def _child(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)


def entry_edits(
    text: str, item: MappingNode, parent: SequenceNode, runs: Sequence[ScheduleRange], unit: str, tz: ZoneInfo
) -> list[TextEdit]:
    """Set one entry's power, or split it into ``runs``.

    The entry itself keeps the first run: only its ``power`` (and, when split, its ``to``) scalar
    is rewritten, so its key order, quoting and comments stay. The other runs follow it, in its
    style (flow or block).
    """
    power, to = _child(item, "power"), _child(item, "to")
    assert power is not None  # the manifest validated: every entry has a power
    edits = [_replace(power, power_text(runs[0].kw, unit))]
    if len(runs) == 1:
        return edits
    assert to is not None  # an entry of several periods is a range
    edits.append(_replace(to, _quoted_like(to, manifest_time(runs[0].end, tz))))
    end = item.end_mark.index if item.flow_style else item.value[-1][1].end_mark.index
    if parent.flow_style:
        return [*edits, TextEdit(end, end, "".join(f", {flow_entry(r, unit, tz)}" for r in runs[1:]))]
    newline = "\r\n" if "\r\n" in text else "\n"
    line_start = text.rfind("\n", 0, item.start_mark.index) + 1
    prefix = text[line_start : item.start_mark.index]
    if not _DASH.match(prefix):  # the mapping starts on the line after its "-"
        prefix = " " * max(item.start_mark.column - 2, 0) + "- "
    indent = newline + " " * len(prefix)

    def render(entry: ScheduleRange) -> str:
        if item.flow_style:
            return flow_entry(entry, unit, tz)
        return indent.join(f"{key}: {value}" for key, value in entry_fields(entry, unit, tz))

    line_end = text.find("\n", end)
    if line_end == -1:
        line_end = len(text)
    elif text[line_end - 1] == "\r":
        line_end -= 1
    return [*edits, TextEdit(line_end, line_end, "".join(newline + prefix + render(r) for r in runs[1:]))]


def _replace(node: Node, text: str) -> TextEdit:
    return TextEdit(node.start_mark.index, node.end_mark.index, text)


def _quoted_like(node: Node, value: str) -> str:
    """``value`` quoted as ``node`` was (plain, 'single' or "double")."""
    style = node.style if isinstance(node, ScalarNode) else '"'
    if style is None or style == "":
        return value
    return f"'{value}'" if style == "'" else f'"{value}"'


def csv_power_edit(text: str, source: SourceRef, power: str) -> TextEdit:
    """Replace the ``power`` cell of the CSV row on ``source.line``, keeping the rest of the row."""
    lines = text.splitlines(keepends=True)
    header = next((line for line in lines if line.strip(" \t\r\n,")), "")
    names = [cell.strip().lower() for cell in next(csv.reader([header]), [])]
    if "power" not in names or not 1 <= source.line <= len(lines):
        raise AdoptError(f"{source}: cannot find the power cell of this CSV row; nothing adopted")
    column = names.index("power")
    row = lines[source.line - 1].rstrip("\r\n")
    offset = sum(len(line) for line in lines[: source.line - 1])
    if '"' in row:
        cells = next(csv.reader([row]))
        cells[column] = power
        return TextEdit(offset, offset + len(row), ",".join(cells))
    cells = row.split(",")
    cell = cells[column]
    lead = len(cell) - len(cell.lstrip())
    trail = len(cell) - len(cell.rstrip())
    cells[column] = cell[:lead] + power + cell[len(cell) - trail :]
    return TextEdit(offset, offset + len(row), ",".join(cells))


# --- I/O -----------------------------------------------------------------------------------------


def adopt(entries: Sequence[DriftEntry], manifests: Sequence[Manifest], live: LiveState) -> Adoption:
    """Rewrite the manifests so platform-caused drift disappears; check everything, then write."""
    wanted = adoption_targets(entries, manifests, live)
    files = sorted({m.source.file for m in manifests if m.name in wanted})
    texts = {file: read_file(file) for file in files}
    current: list[Manifest] = []
    for file in files:
        loaded, problems = read_manifest_text(texts[file], file)
        if has_errors(problems):
            raise AdoptError(f"{file} changed since drift read it and no longer validates; nothing adopted")
        current += [m for m in loaded if m.name in wanted]
    for manifest in current:
        _check_unchanged(manifest, wanted[manifest.name], entries)
        for file in _csv_files(manifest):
            texts.setdefault(file, read_file(file))
    adoption = plan_adoption(texts, current, wanted)
    for file in files:
        _check_result(file, texts, adoption, [m for m in current if m.source.file == file], wanted)
    write_files(adoption.texts)
    return adoption


def _csv_files(manifest: Manifest) -> set[str]:
    schedule = manifest.wholesale
    sources = schedule.sources.values() if schedule is not None else ()
    return {s.file for s in sources if s.file != manifest.source.file}


def _check_unchanged(
    manifest: Manifest, wanted: Mapping[datetime, tuple[Decimal, Cause]], entries: Sequence[DriftEntry]
) -> None:
    """The files still say what drift compared against (else someone edited them meanwhile)."""
    desired = {e.time: e.desired for e in entries if e.address == f"{manifest.name}/wholesale"}
    points = manifest.wholesale.points if manifest.wholesale is not None else {}
    for period in wanted:
        now = points.get(period)
        if now is None or normalize(now) != normalize(Decimal(str(desired[period]))):
            raise AdoptError(
                f"{manifest.source.file} changed since drift read it ({manifest.name} {local(period)}): "
                "run drift again; nothing adopted"
            )


def _check_result(
    file: str, texts: Mapping[str, str], adoption: Adoption, manifests: Sequence[Manifest], wanted: Targets
) -> None:
    """Load the rewritten manifest (and rewritten CSVs) and see that it validates and says live."""
    text = adoption.texts.get(file, texts[file])
    csvs = {c for m in manifests for c in _csv_files(m)}
    if csvs & set(adoption.texts):
        loaded, problems = _load_staged(file, text, {c: adoption.texts.get(c, texts[c]) for c in csvs})
    else:
        loaded, problems = read_manifest_text(text, file)
    if has_errors(problems):
        details = "\n".join(d.render() for d in problems if d.is_error)
        raise AdoptError(f"adopting would leave {file} invalid, so nothing was written:\n{details}")
    for manifest in loaded:
        points = manifest.wholesale.points if manifest.wholesale is not None else {}
        for period, (kw, _) in wanted.get(manifest.name, {}).items():
            if period not in points or normalize(points[period]) != normalize(kw):
                raise AdoptError(
                    f"adopting would not set {manifest.name} {local(period)} to the live {fmt_power(kw)}; "
                    "nothing was written"
                )


def _load_staged(
    file: str, text: str, csv_texts: Mapping[str, str]
) -> tuple[list[Manifest], list[Diagnostic]]:
    """Load ``text`` as ``file`` with its CSV files holding ``csv_texts``, from a temporary copy."""
    paths = [Path(file).resolve(), *(Path(c).resolve() for c in csv_texts)]
    root = Path(os.path.commonpath([p.parent for p in paths]))
    with tempfile.TemporaryDirectory(prefix="reconciler-adopt-") as staging:
        for path, content in zip(paths, [text, *csv_texts.values()], strict=True):
            copy = Path(staging) / path.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(content, encoding="utf-8", newline="")
        staged = str(Path(staging) / paths[0].relative_to(root))
        loaded, problems = read_manifest_text(text, staged, project_root=Path(staging))
    shown = [replace(d, file=d.file.replace(staging, str(root))) if d.file else d for d in problems]
    return loaded, shown


def read_file(file: str) -> str:
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise AdoptError(f"cannot read {file}: {exc}; nothing adopted") from None


def write_files(texts: Mapping[str, str]) -> None:
    """Write every file or none: each to a temporary file beside it, then ``os.replace`` them all;
    secrets masked."""
    staged: list[tuple[str, str]] = []
    for file in texts:
        if not Path(file).parent.is_dir():
            raise ReconcilerError(f"cannot write {file}: the folder {Path(file).parent} does not exist")
    try:
        for file, text in texts.items():
            target = Path(file)
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((temporary, file))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(redact(text))
            if target.exists():
                os.chmod(temporary, target.stat().st_mode & 0o7777)
        for temporary, file in staged:
            os.replace(temporary, file)
    except OSError as exc:
        failed = next((file for temporary, file in staged if temporary == exc.filename), exc.filename)
        raise ReconcilerError(f"cannot write {failed or 'the files'}: {exc.strerror or exc}") from None
    finally:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.remove(temporary)
