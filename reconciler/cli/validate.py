"""``reconciler validate PATH… [--now ISO] [--format text|json|github]``: offline checks, nothing written."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from reconciler.cli.options import verbosity_options
from reconciler.cli.progress import Verbosity
from reconciler.core.diagnostics import Severity
from reconciler.manifest import LoadResult, load_manifests
from reconciler.market import parse_instant
from reconciler.render.github import annotation

FORMAT_VERSION = "2"  # 2: virtualAsset became virtual_asset, as in every other output


def _instant(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """``--now``: an RFC 3339 instant with ``Z`` or an offset (a bare local time would be a guess)."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a time with an offset, e.g. 2026-11-23T06:55:00+01:00"
        ) from None


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="PATH...")
@click.option(
    "--now",
    metavar="ISO",
    callback=_instant,
    help="Pretend it is this time: bids whose deadline has passed or is within 30 minutes are warned "
    "about, and a selector's relative day (today, tomorrow, D+2) is resolved (a note says to which "
    "date). Without it a relative day is checked for its form only.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts, github for annotations in GitHub Actions.",
)
@verbosity_options(verbose_help="Also list every file read, and every file a directory scan skipped.")
def validate(paths: tuple[Path, ...], now: datetime | None, output_format: str, verbosity: Verbosity) -> int:
    """Check manifests offline: schema, times, units, prices; deadlines with --now.

    PATH is a manifest file or a directory, read recursively. Exit 0 when every manifest is valid,
    1 when not. Nothing is written and no platform is contacted. With --quiet only errors and
    warnings are printed (nothing at all when the manifests are clean). --format github prints
    each finding as a GitHub Actions annotation (::error file=…,line=…,col=…::…).

    \b
    Example:
      reconciler validate examples/ --now 2026-11-23T06:55:00+01:00
    """
    result = load_manifests(paths, now=now)
    if output_format == "json":
        click.echo(json.dumps(as_json(result), indent=2))
    elif output_format == "github":
        text = as_github(result, verbosity)
        if text:
            click.echo(text)
    else:
        text = as_text(result, verbosity)
        if text:
            click.echo(text)
    return 0 if result.ok else 1


def as_text(result: LoadResult, verbosity: Verbosity = Verbosity.NORMAL) -> str:
    if verbosity is Verbosity.QUIET:
        return "\n".join(d.render() for d in result.diagnostics if d.severity != Severity.NOTE)
    lines = []
    if verbosity is Verbosity.VERBOSE:
        lines += [f"read {file}" for file in result.files]
        lines += [f"skipped {file} (not a manifest)" for file in result.skipped]
    lines += [d.render() for d in result.diagnostics]
    lines.append(summary(result))
    return "\n".join(lines)


def as_github(result: LoadResult, verbosity: Verbosity = Verbosity.NORMAL) -> str:
    """One annotation per finding (notes only when not quiet), then the summary line for the log."""
    shown = [d for d in result.diagnostics if verbosity is not Verbosity.QUIET or d.severity != Severity.NOTE]
    lines = [annotation(d) for d in shown]
    if verbosity is not Verbosity.QUIET:
        lines.append(summary(result))
    return "\n".join(lines)


def summary(result: LoadResult) -> str:
    """``3 manifests, 0 errors, 0 warnings``; with errors ``1 valid manifest in 2 files, 3 errors,
    0 warnings`` (a manifest with an error is not counted); notes only when there are some."""
    errors = result.count(Severity.ERROR)
    manifests = _plural(len(result.manifests), "valid manifest" if errors else "manifest")
    if errors:
        manifests += f" in {_plural(len(result.files), 'file')}"
    counts = [
        manifests,
        _plural(errors, "error"),
        _plural(result.count(Severity.WARNING), "warning"),
    ]
    notes = result.count(Severity.NOTE)
    if notes:
        counts.append(_plural(notes, "note"))
    return ", ".join(counts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def as_json(result: LoadResult) -> dict[str, Any]:
    """The document ``schemas/validate.schema.json`` describes."""
    return {
        "format_version": FORMAT_VERSION,
        "valid": result.ok,
        "summary": {
            "manifests": len(result.manifests),
            "files": len(result.files),
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "notes": result.count(Severity.NOTE),
        },
        "manifests": [
            {
                "name": manifest.name,
                "virtual_asset": (
                    {"portfolio": manifest.selector.portfolio, "day": manifest.selector.day.text}
                    if manifest.selector is not None
                    else manifest.virtual_asset
                ),
                "organisation": manifest.organisation,
                "file": manifest.source.file,
                "line": manifest.source.line,
                "periods": len(manifest.wholesale.points) if manifest.wholesale else 0,
                "bids": len(manifest.bids),
            }
            for manifest in result.manifests
        ],
        "rejected": [
            {
                "name": rejected.name,
                "virtual_asset": rejected.virtual_asset,
                "file": rejected.source.file,
                "line": rejected.source.line,
                "errors": sum(d.is_error for d in rejected.diagnostics),
            }
            for rejected in result.rejected
        ],
        "files": list(result.files),
        "skipped": list(result.skipped),
        "diagnostics": [d.to_json() for d in result.diagnostics],
    }
