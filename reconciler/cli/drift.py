"""``reconciler drift``: live vs desired, each difference with its cause."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.cli.options import PlatformOptions, color_option, format_option, platform_options
from reconciler.cli.output import print_manifest_errors
from reconciler.drift import drift_json, find_drift
from reconciler.errors import ReconcilerError
from reconciler.plan.fmt import local
from reconciler.plan.render_drift import render_drift_markdown, render_drift_text
from reconciler.workflow import InvalidManifests, open_session, read_session_live


@click.command("drift")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option("text", "json", "markdown")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 without drift, 2 with drift, 1 on error.")
@color_option
@platform_options
def drift(
    paths: tuple[Path, ...],
    output_format: str,
    detailed_exitcode: bool,
    no_color: bool,
    platform: PlatformOptions,
) -> int:
    """Report every difference between the manifests and live state, and its cause.

    \b
    Causes: revalidation, unavailability, auction_result, out_of_band.
    Example:
      reconciler drift examples/ --detailed-exitcode
    """
    try:
        with open_session(
            paths,
            target=platform.target,
            api_url=platform.api_url,
            organisation=platform.organisation,
            config=platform.config,
            parallelism=platform.parallelism,
        ) as session:
            now = session.connection.now()
            live = read_session_live(session)
            description = session.connection.description
            target = session.target_info.to_json()
    except InvalidManifests as exc:
        print_manifest_errors(exc.result)
        return 1
    if live.missing:
        missing = ", ".join(sorted(live.missing))
        raise ReconcilerError(
            f"virtual asset(s) not found in organisation {target['organisation']}: {missing}"
        )
    entries = find_drift(session.manifests, live, now)
    if output_format == "json":
        click.echo(json.dumps(drift_json(entries, target, now), indent=2))
    else:
        header = f"Drift against {description} at {local(now)}."
        body = render_drift_markdown(entries) if output_format == "markdown" else render_drift_text(entries)
        click.echo("\n".join([header, "", *(body or ["No drift: live state matches the manifests."])]))
    return 2 if entries and detailed_exitcode else 0
