"""``reconciler import``: write a manifest that matches the live state of one virtual asset."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import PlatformOptions, platform_options
from reconciler.core.diagnostics import has_errors
from reconciler.core.errors import ReconcilerError, UsageError
from reconciler.drift.adopt import write_files
from reconciler.drift.importer import render_manifest, schema_reference
from reconciler.manifest import read_manifest_text
from reconciler.plan.fmt import local
from reconciler.platform.reading import ReadScope, read_live
from reconciler.project.config import resolve_target
from reconciler.project.targets import connect


@click.command("import")
@click.option("--virtual-asset", "virtual_asset", required=True, metavar="ID", help="The platform's ID.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the manifest to FILE (default: standard output).",
)
@click.option("--name", metavar="NAME", help="metadata.name of the manifest (default: the ID).")
@click.option("--force", is_flag=True, help="Overwrite --out when it exists.")
@platform_options
def import_manifest(
    virtual_asset: str, out: Path | None, name: str | None, force: bool, platform: PlatformOptions
) -> int:
    """Write a manifest that matches the live state of one virtual asset.

    \b
    The schedule is the active one (after platform corrections), compressed into ranges in
    local Europe/Berlin time with mode: exact; bids are those of the delivery days still open
    for bidding (today to seven days ahead).
    The target comes from reconciler.yaml beside --out or in a folder above it (without
    --out: in the working directory), or from --target, --api-url or --config.
    Example:
      reconciler import --virtual-asset 7c1e0d4e-0000-4000-8000-000000000001 --out munich-1.yaml
    """
    if out is not None and out.exists() and not force:
        raise UsageError(f"{out} exists: pass --force to overwrite it, or choose another --out")
    directory = out.parent if out is not None else Path.cwd()
    resolved = resolve_target(
        [directory] if out is not None else [],
        config=platform.config,
        target=platform.target,
        api_url=platform.api_url,
        organisation=platform.organisation,
    )
    with connect(resolved, parallelism=platform.parallelism, deadline=platform.deadline) as connection:
        now = connection.now()
        scopes = {virtual_asset: ReadScope(open_days=True)}
        live = read_live(connection.client, scopes, now, times=connection.market_times)
        description = connection.description
    if virtual_asset in live.failed:
        raise ReconcilerError(
            f"virtual asset {virtual_asset} could not be read ({description}): "
            f"{live.failed[virtual_asset]}; nothing was written"
        )
    asset = live.assets.get(virtual_asset)
    if asset is None:
        raise ReconcilerError(
            f"virtual asset {virtual_asset} not found in organisation {resolved.organisation} "
            f"({description}); nothing was written"
        )
    text = render_manifest(
        asset,
        name=name or virtual_asset,
        organisation=resolved.organisation,
        origin=f"{description} at {local(now)}",
        schema=schema_reference(directory),
    )
    display = str(out) if out is not None else "<standard output>"
    _, diagnostics = read_manifest_text(text, display)
    if has_errors(diagnostics):
        for diagnostic in diagnostics:
            click.echo(diagnostic.render(), err=True)
        raise ReconcilerError(f"the imported manifest would not validate; {display} was not written")
    if out is None:
        click.echo(text, nl=False)
    else:
        write_files({str(out): text})
        click.echo(f"Wrote {out}: virtual asset {virtual_asset} from {description}.", err=True)
    return 0
