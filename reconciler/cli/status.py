"""``reconciler status``: deadlines as countdowns, results, revenue (D21), schedule energy, drift."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.cli.options import PlatformOptions, format_option, platform_options, platform_session
from reconciler.cli.output import print_manifest_errors, report_failed_reads, report_missing_assets
from reconciler.core.diagnostics import sort_key
from reconciler.drift.find import find_drift
from reconciler.plan.fmt import local
from reconciler.project.workflow import InvalidManifests, read_session_live
from reconciler.render.status import build_status, status_json
from reconciler.render.status_text import render_status_markdown, render_status_text


@click.command("status")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option("text", "json", "markdown")
@platform_options
def status(paths: tuple[Path, ...], output_format: str, platform: PlatformOptions) -> int:
    """Show the desk's view of each managed asset. Read-only.

    \b
    Per asset: each managed bid with its deadline as a countdown (or "closed"), its result once
    published (accepted / offered kW, the price that pays) and its revenue (DECISIONS.md D21:
    FCR settlementPrice and aFRR capacityPrice × accepted MW × the product's real hours; aFRR
    energy is paid on activations, so unknown); today's and tomorrow's schedule energy (MWh
    charged and discharged); the projected state of charge at end of life; open drift by cause.
    Exit codes: 0 shown, 1 error.
    Examples:
      reconciler status examples/portfolio
      reconciler status examples/portfolio --format json
    """
    try:
        with platform_session(paths, platform) as session:
            now = session.connection.now()
            live = read_session_live(session, now)
            description = session.connection.description
            target = session.target_info.to_json()
    except InvalidManifests as exc:
        print_manifest_errors(exc.result, exc.outcome)
        return 1
    assets = build_status(session.manifests, live, find_drift(session.manifests, live, now), now)
    if output_format == "json":
        click.echo(json.dumps(status_json(assets, target, now), indent=2, ensure_ascii=False))
    else:
        header = f"Status against {description} at {local(now)}."
        if output_format == "markdown":
            body = render_status_markdown(assets, now)
        else:
            body = render_status_text(assets, now)
        click.echo("\n".join([header, *body]))
    for diagnostic in sorted(session.held, key=sort_key):  # selectors that named no asset, or several
        click.echo(diagnostic.render(), err=True)
    held = any(d.is_error for d in session.held)
    missing = report_missing_assets(session.manifests, live.missing, target["organisation"])
    return 1 if report_failed_reads(session.manifests, live.failed, "status") or missing or held else 0
