"""``reconciler drift``: live vs desired, each difference with its cause."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from reconciler.cli.options import (
    PlatformOptions,
    color_option,
    format_option,
    only_option,
    platform_options,
    platform_session,
    use_color,
    verbosity_options,
)
from reconciler.cli.output import (
    not_compared,
    print_manifest_errors,
    report_failed_reads,
    report_missing_assets,
    unreadable,
)
from reconciler.cli.progress import Verbosity, progress
from reconciler.core.diagnostics import Diagnostic, sort_key
from reconciler.drift.adopt import Adoption, adopt
from reconciler.drift.find import drift_json, find_drift
from reconciler.plan.fmt import local
from reconciler.plan.selection import Selection
from reconciler.project.workflow import InvalidManifests, read_session_live
from reconciler.render.drift import render_drift_markdown, render_drift_text


@click.command("drift")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option("text", "json", "markdown")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 without drift, 2 with drift, 1 on error (without it: 0 unless there is an error).",
)
@click.option(
    "--adopt",
    "adopt_live",
    is_flag=True,
    help="Write live values into the manifests where re-validation or an unavailability changed them.",
)
@only_option
@color_option
@verbosity_options()
@platform_options
def drift(
    paths: tuple[Path, ...],
    output_format: str,
    detailed_exitcode: bool,
    adopt_live: bool,
    selection: Selection,
    no_color: bool,
    verbosity: Verbosity,
    platform: PlatformOptions,
) -> int:
    """Report every difference between the manifests and live state, and its cause.

    \b
    Causes: revalidation, unavailability, auction_result, out_of_band. Each difference carries its
    period's state (editable, soft_locked, frozen) and whether apply could still write it.
    Exit codes: 0 ok, 1 error; with --detailed-exitcode 0 no drift, 2 drift (as plan does).
    A manifest with errors is reported and left out (exit 1); the others are compared.
    --adopt rewrites only the affected schedule entries (comments and layout stay), checks the
    result with the manifest loader first, and prints each change with its file and line.
    Examples:
      reconciler drift examples/ --detailed-exitcode
      reconciler drift examples/ --adopt
    """
    try:
        with (
            platform_session(paths, platform, selection) as session,
            progress(verbosity, use_color(no_color), "Reading live state") as reporter,
        ):
            now = session.connection.now()
            live = read_session_live(session, now, reporter.on_read)
            description = session.connection.description
            target = session.target_info.to_json()
    except InvalidManifests as exc:
        print_manifest_errors(exc.result, exc.outcome)
        return 1
    unread = unreadable(session.manifests, live)
    entries = find_drift(session.manifests, live, now, selection)
    resolutions = session.resolutions or ()
    if output_format == "json":
        left_out = not_compared(session.manifests, live, session.held, target["organisation"], "drift")
        document = drift_json(entries, target, now, selection, not_compared=left_out, resolutions=resolutions)
        click.echo(json.dumps(document, indent=2))
    else:
        header = f"Drift against {description} at {local(now)}."
        if not selection.everything:
            header += f" Selection in effect ({selection.describe()}): other objects were not compared."
        header = "\n".join([header, *(f"Resolved: {r.describe()}." for r in resolutions)])
        body = render_drift_markdown(entries) if output_format == "markdown" else render_drift_text(entries)
        if not body and (session.held or unread):
            body = ["No drift in the manifests that could be compared (the others could not be, below)."]
        elif not body:
            what = (
                "live state matches the manifests" if selection.everything else "the selected objects match"
            )
            body = [f"No drift: {what}."]
        click.echo("\n".join([header, "", *body]))
    if session.held:
        _print_held(session.held)
    if adopt_live:
        print_adoption(adopt(entries, session.manifests, live), to_stderr=output_format == "json")
    missing = report_missing_assets(session.manifests, live.missing, target["organisation"])
    failed_reads = report_failed_reads(session.manifests, live.failed, "drift")
    if missing or failed_reads or any(d.is_error for d in session.held):
        return 1
    return 2 if entries and detailed_exitcode else 0


def _print_held(held: Sequence[Diagnostic]) -> None:
    """Manifests with errors, and selectors that named no asset or several: not compared, named,
    and the run fails."""
    for diagnostic in sorted(held, key=sort_key):
        click.echo(diagnostic.render(), err=True)
    names = sorted({d.address for d in held if d.is_error and d.address})
    click.echo(f"Not compared (the errors above): {', '.join(names)}.", err=True)


def print_adoption(adoption: Adoption, *, to_stderr: bool) -> None:
    if not adoption.changes:
        click.echo("Nothing to adopt: no drift from re-validation or an unavailability.", err=to_stderr)
        return
    files = len({c.file for c in adoption.changes})
    click.echo(
        f"Adopted live values into {files} file{'s' if files != 1 else ''} "
        "(auction results and changes outside reconciler are left as they are):",
        err=to_stderr,
    )
    for change in adoption.changes:
        click.echo(f"  {change.describe()}", err=to_stderr)
