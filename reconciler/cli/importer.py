"""``reconciler import``: write a manifest that matches the live state of one virtual asset."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import click

from reconciler.cli.options import PlatformOptions, platform_options
from reconciler.core.diagnostics import has_errors
from reconciler.core.errors import ReconcilerError, UsageError
from reconciler.drift.adopt import write_files
from reconciler.drift.importer import render_manifest, schema_reference
from reconciler.manifest import read_manifest_text
from reconciler.manifest.selectors import AssetSelector, parse_selector_day
from reconciler.manifest.values import ValueProblem
from reconciler.market import MARKET_TZ
from reconciler.plan.fmt import local
from reconciler.plan.resolve import Mismatch, day_window, match_selector
from reconciler.platform.assets import read_asset_list
from reconciler.platform.client import PlatformClient
from reconciler.platform.reading import ReadScope, read_live
from reconciler.project.config import resolve_target
from reconciler.project.targets import connect


@click.command("import")
@click.option("--virtual-asset", "virtual_asset", metavar="ID", help="The platform's ID.")
@click.option(
    "--portfolio",
    metavar="PORTFOLIO",
    help="Instead of --virtual-asset: the asset of this portfolioID whose lifetime covers --day; "
    "the manifest addresses it by this selector.",
)
@click.option(
    "--day",
    metavar="DAY",
    help="With --portfolio: a date (2026-11-24) or a day relative to the target's clock in "
    "Europe/Berlin (today, tomorrow, D+2, D-1); the manifest keeps it as written.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the manifest to FILE (default: standard output).",
)
@click.option("--name", metavar="NAME", help="metadata.name of the manifest (default: the ID).")
@click.option("--force", is_flag=True, help="Overwrite --out when it exists.")
@platform_options
def import_manifest(
    virtual_asset: str | None,
    portfolio: str | None,
    day: str | None,
    out: Path | None,
    name: str | None,
    force: bool,
    platform: PlatformOptions,
) -> int:
    """Write a manifest that matches the live state of one virtual asset.

    \b
    The asset is named by --virtual-asset ID, or by --portfolio and --day: then the manifest
    says virtualAsset: {portfolio: ..., day: ...}, and plan resolves it again each run (with
    --day tomorrow, tomorrow's asset of the portfolio, whichever day that is).
    The schedule is the active one (after platform corrections), compressed into ranges in
    local Europe/Berlin time with mode: exact over every day of the asset's life; bids are those
    of the delivery days still open for bidding (today to seven days ahead).
    The target comes from reconciler.yaml beside --out or in a folder above it (without
    --out: in the working directory), or from --target, --api-url or --config.
    Examples:
      reconciler import --virtual-asset 7c1e0d4e-0000-4000-8000-000000000001 --out munich-1.yaml
      reconciler import --portfolio 5f3a9c2e-0000-4000-8000-00000000a004 --day tomorrow --out leipzig.yaml
    """
    selector = _selector(virtual_asset, portfolio, day)
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
        if selector is not None:
            virtual_asset = _resolve(connection.client, selector, now, connection.description)
        assert virtual_asset is not None  # one of the two is given (_selector)
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
        name=name or (virtual_asset if selector is None else default_name(selector)),
        organisation=resolved.organisation,
        origin=f"{description} at {local(now)}",
        schema=schema_reference(directory),
        selector=selector,
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
        how = "" if selector is None else f" ({selector.describe()})"
        click.echo(f"Wrote {out}: virtual asset {virtual_asset}{how} from {description}.", err=True)
    return 0


def _selector(virtual_asset: str | None, portfolio: str | None, day: str | None) -> AssetSelector | None:
    """The selector --portfolio and --day give, or None with --virtual-asset; exactly one way."""
    if (virtual_asset is None) == (portfolio is None) or (portfolio is None) != (day is None):
        raise click.UsageError(
            "name the asset by --virtual-asset ID, or by --portfolio PORTFOLIO with --day DAY"
        )
    if portfolio is None or day is None:
        return None
    if not portfolio.strip():
        raise click.UsageError("--portfolio is empty; give the portfolioID of the assets")
    try:
        return AssetSelector(portfolio, parse_selector_day(day))
    except ValueProblem as problem:
        raise click.UsageError(f"--day {day!r}: expected {problem.expected}") from None


def default_name(selector: AssetSelector) -> str:
    """metadata.name for a selector's manifest: ``<portfolio>-tomorrow``, ``<portfolio>-Dplus2``."""
    day = selector.day.text.replace("+", "plus").replace("D-", "Dminus")
    return re.sub(r"[^A-Za-z0-9._-]", "-", f"{selector.portfolio}-{day}").lstrip("._-")[-63:] or day


def _resolve(client: PlatformClient, selector: AssetSelector, now: datetime, description: str) -> str:
    """The one asset the selector names now (Europe/Berlin days, as the manifest will say)."""
    _, start, end = day_window(selector, MARKET_TZ, now)
    listing = read_asset_list(client, start, end)
    if isinstance(listing, str):
        raise ReconcilerError(f"the list of virtual assets could not be read ({description}): {listing}")
    _, match = match_selector(selector, MARKET_TZ, listing, now)
    if isinstance(match, Mismatch):
        raise ReconcilerError(f"{match.message} ({description}); nothing was written")
    return match.id
