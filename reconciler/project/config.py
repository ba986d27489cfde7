"""The project config ``reconciler.yaml`` and choosing the target a command talks to.

``reconciler.yaml`` sits beside the manifests or in a parent folder (or is named with
``--config``) and names targets and a default::

    default: embedded
    targets:
      embedded:   {kind: embedded, fixture: sandbox-fixture.yaml, organisation: org-demo}
      production: {kind: platform, apiUrl: https://api.trlyr.com, organisation: org-x, protected: true}
      old-routes: {kind: platform, apiUrl: https://api.trlyr.com, organisation: org-y, ancillaryApi: legacy}

``--target NAME`` picks one; ``--api-url URL --organisation ID`` needs no config at all (a
loopback URL that answers ``/_sandbox/clock`` is treated as an emulator). Whichever way a target
is chosen, its protection comes from its API URL and organisation
(:mod:`reconciler.project.protection`), looked up in every config that could know it; a
protected platform is never used as the default. Credentials never come from here, only from the
environment. Errors point at ``file:line`` like the manifest loader's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from reconciler.core import schema_errors
from reconciler.core.errors import UsageError
from reconciler.core.schema_errors import SchemaProblem
from reconciler.core.schemas import load_schema
from reconciler.core.yamlsource import FileTooLargeError, YamlSourceError, load_single, read_file
from reconciler.platform.ancillary import DEFAULT_ANCILLARY_API, AncillaryApi
from reconciler.platform.session import is_loopback_host
from reconciler.platform.transport import HttpError, get_json_within
from reconciler.project.protection import ProtectedEntry, Protection, protection_for

CONFIG_NAME = "reconciler.yaml"
SCHEMA_NAME = "config.schema.json"
KINDS = ("embedded", "emulator", "platform")
EMULATOR_PROBE_PATH = "/_sandbox/clock"
PROBE_TIMEOUT_SECONDS = 2.0

HOW_TO_NAME_A_TARGET = (
    "no target to talk to: name one with --target NAME (from a reconciler.yaml beside the manifests "
    "or in a parent folder, or given with --config FILE), or pass --api-url URL --organisation ID; "
    "examples/reconciler.yaml shows a config whose default is the embedded sandbox"
)


@dataclass(frozen=True)
class Target:
    """Where live state lives. ``source`` says where it was defined (``file:line`` or an option)."""

    name: str
    kind: str  # "embedded" | "emulator" | "platform"
    api_url: str | None
    organisation: str
    fixture: Path | None
    protected: bool  # what its entry declares; the protection in effect is ``protection``
    source: str
    config: Path | None = None  # the reconciler.yaml that defines it (None for --api-url)
    protection: Protection | None = None  # set by resolve_target from the URL and organisation
    ancillary_api: AncillaryApi = DEFAULT_ANCILLARY_API  # the bid routes it speaks (D18)


@dataclass(frozen=True)
class ProjectConfig:
    path: Path
    default: str | None
    targets: dict[str, Target]


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# -- discovery ------------------------------------------------------------------------------


def nearest_config(start: Path) -> Path | None:
    """The nearest ``reconciler.yaml`` at or above ``start`` (a file's folder, or a folder)."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate_dir in (folder, *folder.parents):
        candidate = candidate_dir / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def find_config(start_paths: Sequence[Path], explicit: Path | None) -> Path | None:
    """``explicit`` if given, else the nearest ``reconciler.yaml`` at or above the manifests.

    Manifests that lead to two different configs are a usage error: one command, one project.
    """
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--config {explicit}: no such file")
        return explicit
    found: dict[Path, Path] = {}
    for start in start_paths or [Path.cwd()]:
        if (candidate := nearest_config(start)) is not None:
            found.setdefault(candidate, start)
    if len(found) > 1:
        listing = "; ".join(f"{display_path(cfg)} (for {start})" for cfg, start in found.items())
        raise UsageError(f"the paths belong to different projects: {listing}; pass --config FILE")
    return next(iter(found), None)


def nearest_configs(start_paths: Sequence[Path]) -> list[Path]:
    """The nearest ``reconciler.yaml`` of each path, once each (several projects allowed)."""
    found = (nearest_config(start) for start in start_paths)
    return list(dict.fromkeys(path for path in found if path is not None))


# -- loading with line marks ----------------------------------------------------------------

Lines = dict[tuple[str | int, ...], int]


def _dotted(path: Sequence[str]) -> str:
    return ".".join(path) or "(top level)"


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _schema_message(problem: SchemaProblem) -> str:
    """What a config line says about one schema problem (its field path is printed before it)."""
    if problem.code == schema_errors.UNKNOWN_KEY:
        hint = f" (did you mean {problem.hint!r}?)" if problem.hint else f"; expected {problem.expected}"
        return f"unknown field {problem.key!r}{hint}"
    if problem.code == schema_errors.MISSING_KEY:
        return f"missing field {problem.key!r}"
    if problem.code == schema_errors.FORBIDDEN_KEY and isinstance(problem.value, dict):
        return f"field {problem.key!r} does not belong to a target of kind {problem.value.get('kind')!r}"
    hint = f" (did you mean {problem.hint!r}?)" if problem.hint else ""
    return f"expected {problem.expected}; found {problem.found}{hint}"


def _read_yaml(path: Path) -> tuple[Any, Lines]:
    file = display_path(path)
    try:
        text = read_file(path)
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror or exc}") from None
    except (FileTooLargeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{file}: cannot read: {exc}") from None
    try:
        return load_single(text, file)
    except YamlSourceError as exc:
        raise UsageError(f"{file}:{exc.line}: {exc}") from None


def _where(file: str, lines: Lines, path: Sequence[str | int]) -> str:
    """``file:line`` of the deepest part of ``path`` that exists in the file."""
    for length in range(len(path), -1, -1):
        if tuple(path[:length]) in lines:
            return f"{file}:{lines[tuple(path[:length])]}"
    return f"{file}:1"


def load_config(path: Path) -> ProjectConfig:
    """Read and check ``reconciler.yaml``; every error names file, line and field."""
    file = display_path(path)
    data, lines = _read_yaml(path)
    if data is None:
        raise UsageError(f"{file}:1: the file is empty; expected 'targets:' (see examples/reconciler.yaml)")
    validator = jsonschema.Draft202012Validator(load_schema(SCHEMA_NAME))
    problems: dict[str, int] = {}
    for problem in schema_errors.explain(validator.iter_errors(data), describe=_describe):
        about = problem.path[:-1] if problem.code == schema_errors.MISSING_KEY else problem.path
        field_path = tuple(str(part) for part in about)
        where = _where(file, lines, field_path)
        message = _schema_message(problem)
        problems.setdefault(f"{where}: {_dotted(field_path)}: {message}", int(where.rsplit(":", 1)[1]))
    if problems:
        raise UsageError("\n".join(sorted(problems, key=lambda text: (problems[text], text))))
    targets = {
        name: Target(
            name=name,
            kind=entry["kind"],
            api_url=entry.get("apiUrl"),
            organisation=entry["organisation"],
            fixture=(path.parent / entry["fixture"]) if "fixture" in entry else None,
            protected=bool(entry.get("protected", False)),
            source=_where(file, lines, ("targets", name)),
            config=path.resolve(),
            ancillary_api=AncillaryApi(entry.get("ancillaryApi", DEFAULT_ANCILLARY_API)),
        )
        for name, entry in data["targets"].items()
    }
    default = data.get("default")
    if default is not None and default not in targets:
        raise UsageError(
            f"{_where(file, lines, ('default',))}: default: no target named {default!r}; "
            f"known targets: {', '.join(targets)}"
        )
    return ProjectConfig(path=path, default=default, targets=targets)


# -- resolving ------------------------------------------------------------------------------


def probe_emulator(api_url: str) -> bool:
    """True when ``api_url`` answers ``GET /_sandbox/clock`` like a ``reconciler sandbox``."""
    try:
        answer = get_json_within(api_url.rstrip("/") + EMULATOR_PROBE_PATH, PROBE_TIMEOUT_SECONDS)
        return isinstance(answer, dict) and "now" in answer
    except (HttpError, ValueError, TypeError):
        return False


def _entries(project: ProjectConfig) -> list[ProtectedEntry]:
    return [
        ProtectedEntry(t.name, t.api_url, t.organisation, t.protected, t.source)
        for t in project.targets.values()
    ]


def _protection(chosen: Target, configs: Sequence[Path]) -> Protection | None:
    """The protection of ``chosen``'s URL and organisation in every config that could know it."""
    entries: list[ProtectedEntry] = []
    for path in dict.fromkeys(p.resolve() for p in configs):
        entries += _entries(load_config(path))
    protection = protection_for(chosen.api_url, chosen.organisation, entries)
    if chosen.protected:  # its own entry's protection holds with another --organisation too
        own = Protection((chosen.name,), (f"target {chosen.name!r} ({chosen.source}) is protected",))
        protection = own.merged(protection)
    return protection


def _api_url_target(api_url: str, organisation: str | None) -> Target:
    if not organisation:
        raise UsageError("--api-url needs --organisation ID (the organisation's ID on that platform)")
    url = httpx.URL(api_url)
    emulator = url.scheme == "http" and is_loopback_host(url.host) and probe_emulator(api_url)
    return Target(
        name=api_url,
        kind="emulator" if emulator else "platform",
        api_url=api_url,
        organisation=organisation,
        fixture=None,
        protected=False,
        source="--api-url",
    )


def resolve_target(
    manifest_paths: Sequence[Path],
    *,
    config: Path | None,
    target: str | None,
    api_url: str | None,
    organisation: str | None,
    protection_configs: Sequence[Path] = (),
) -> Target:
    """The target a command talks to, with its protection; raises :class:`UsageError` saying how
    to name one. Protection is looked up in the chosen config, the configs nearest to the paths,
    and ``protection_configs`` (a saved plan's recorded config)."""
    known_configs = [*nearest_configs(manifest_paths), *protection_configs]
    if api_url is not None:
        if target is not None:
            raise UsageError("--target and --api-url exclude each other: use one of them")
        chosen = _api_url_target(api_url, organisation)
        configs = [config] if config is not None else []
        return replace(chosen, protection=_protection(chosen, [*configs, *known_configs]))
    path = find_config(manifest_paths, config)
    if path is None:
        if target is not None:
            raise UsageError(
                f"--target {target}: no {CONFIG_NAME} found beside the manifests or in a parent folder; "
                "pass --config FILE, or --api-url URL --organisation ID"
            )
        raise UsageError(HOW_TO_NAME_A_TARGET)
    project = load_config(path)
    known = ", ".join(project.targets)
    if target is not None:
        if target not in project.targets:
            hint = schema_errors.suggest(target, list(project.targets))
            suggestion = f" (did you mean {hint!r}?)" if hint else ""
            raise UsageError(f"unknown target {target!r}{suggestion}; {display_path(path)} defines: {known}")
        chosen = project.targets[target]
    else:
        if project.default is None:
            raise UsageError(
                f"{display_path(path)} names no default target: pass --target NAME (one of: {known})"
            )
        chosen = project.targets[project.default]
    if organisation:
        chosen = replace(chosen, organisation=organisation)
    chosen = replace(chosen, protection=_protection(chosen, [path, *known_configs]))
    if target is None and chosen.protection is not None:
        why = "" if chosen.protected else f" ({chosen.protection.reason})"
        raise UsageError(
            f"the default target {chosen.name!r} ({chosen.source}) is protected{why} and is used only when "
            f"named: pass --target {(chosen.protection.names or (chosen.name,))[0]}"
        )
    return chosen
