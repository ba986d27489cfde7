"""``reconciler plan``: read live state, validate, diff, predict; optionally save the plan."""

from __future__ import annotations

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
from reconciler.cli.output import emit_plan, print_manifest_errors
from reconciler.cli.progress import Verbosity, progress
from reconciler.plan.planfile import write_plan
from reconciler.plan.selection import Selection
from reconciler.project.workflow import InvalidManifests, plan_session


@click.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="Save the plan (JSON) for `apply FILE`."
)
@format_option("text", "json", "markdown")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 without changes, 2 with changes, 1 on error.")
@only_option
@color_option
@verbosity_options()
@platform_options
def plan(
    paths: tuple[Path, ...],
    out: Path | None,
    output_format: str,
    detailed_exitcode: bool,
    selection: Selection,
    no_color: bool,
    verbosity: Verbosity,
    platform: PlatformOptions,
) -> int:
    """Show the writes that would make live state match the manifests.

    Nothing is written. With --out the plan is saved for `reconciler apply FILE`, which makes
    exactly these writes or refuses if live state has changed since. An error about one object
    (an asset, its schedule, one bid) holds back that object and what depends on it; the rest is
    planned, the plan (and its file) names what was not, and the exit code is 1.

    \b
    Examples:
      reconciler plan examples/ --out plan.json
      reconciler plan manifests/ --target production --format markdown --out plan.json > plan.md
    """
    color = use_color(no_color)
    try:
        with (
            platform_session(paths, platform, selection) as session,
            progress(verbosity, color, "Reading live state") as reporter,
        ):
            result = plan_session(session, reporter.on_read)
    except InvalidManifests as exc:
        print_manifest_errors(exc.result, exc.outcome)
        return 1
    emit_plan(result, output_format, color)
    if out is not None:
        write_plan(result, out)
        if verbosity is not Verbosity.QUIET:
            held = len(result.not_planned)
            note = (
                f" (it holds back {held} object(s) with errors: apply writes the rest and exits 1)"
                if held
                else ""
            )
            click.echo(f"Saved the plan to {out}{note}; apply it with: reconciler apply {out}", err=True)
    if result.has_errors:
        return 1
    if detailed_exitcode and result.changes:
        return 2
    return 0
