"""Printing shared by commands: plans in three formats, manifest diagnostics."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import click

from reconciler.core.diagnostics import Diagnostic, sort_key
from reconciler.manifest import LoadResult, Manifest
from reconciler.plan.model import NotPlanned, Plan
from reconciler.plan.planfile import dumps
from reconciler.platform.live import LiveState
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text


def emit_plan(plan: Plan, output_format: str, color: bool) -> None:
    if output_format == "json":
        click.echo(dumps(plan), nl=False)
    elif output_format == "markdown":
        click.echo(render_markdown(plan), nl=False)
    else:
        click.echo(render_text(plan, color=color), nl=False)


def print_manifest_errors(
    result: LoadResult, outcome: str = "nothing was read from or written to any platform"
) -> None:
    for diagnostic in sorted(result.diagnostics, key=sort_key):
        click.echo(diagnostic.render(), err=True)
    errors = sum(d.is_error for d in result.diagnostics)
    click.echo(f"{errors} error(s) in the manifests; {outcome}.", err=True)


def report_failed_reads(manifests: Sequence[Manifest], failed: Mapping[str, str], what: str) -> bool:
    """One error line on standard error per manifest whose live state could not be read (a read
    that failed blocks only its asset); True when there was any."""
    for manifest in manifests:
        if manifest.virtual_asset in failed:
            click.echo(f"error: {manifest.source}: {read_failed_reason(manifest, failed, what)}", err=True)
    return any(manifest.virtual_asset in failed for manifest in manifests)


def report_missing_assets(manifests: Sequence[Manifest], missing: Collection[str], organisation: str) -> bool:
    """One error line on standard error per manifest whose virtual asset the platform does not
    know (that asset only is left out); True when there was any."""
    unknown = [m for m in manifests if m.virtual_asset in missing]
    for manifest in unknown:
        click.echo(f"error: {manifest.source}: {unknown_asset_reason(manifest, organisation)}", err=True)
    return bool(unknown)


def read_failed_reason(manifest: Manifest, failed: Mapping[str, str], what: str) -> str:
    return (
        f"{manifest.name}: {what} unknown, its live state could not be read: {failed[manifest.virtual_asset]}"
    )


def unknown_asset_reason(manifest: Manifest, organisation: str) -> str:
    return (
        f"{manifest.name} names virtual asset {manifest.virtual_asset}, which does not exist in "
        f"organisation {organisation} (or this account may not dispatch it)"
    )


def not_compared(
    manifests: Sequence[Manifest],
    live: LiveState,
    held: Sequence[Diagnostic],
    organisation: str,
    what: str,
) -> list[NotPlanned]:
    """For JSON: each asset left out (its manifest has errors, the platform does not know it, or
    a read failed), with the reasons the text output prints on standard error."""
    reasons: dict[str, list[str]] = {}
    for diagnostic in sorted(held, key=sort_key):
        if diagnostic.is_error and diagnostic.address:
            reasons.setdefault(diagnostic.address, []).append(diagnostic.message)
    for manifest in manifests:
        if manifest.virtual_asset in live.missing:
            reasons.setdefault(manifest.name, []).append(unknown_asset_reason(manifest, organisation))
        elif manifest.virtual_asset in live.failed:
            reasons.setdefault(manifest.name, []).append(read_failed_reason(manifest, live.failed, what))
    return [NotPlanned(address, tuple(found)) for address, found in sorted(reasons.items())]


def unreadable(manifests: Sequence[Manifest], live: LiveState) -> list[Manifest]:
    """The manifests whose live state is missing: an unknown asset, or a read that failed."""
    return [m for m in manifests if m.virtual_asset in live.missing or m.virtual_asset in live.failed]
