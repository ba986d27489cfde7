"""``reconciler sandbox --fixture FILE [--port N] [--host H]``: serve the local platform sandbox."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.market import isoformat_z

DEFAULT_PORT = 8321


@click.command("sandbox")
@click.option(
    "--fixture",
    "fixture_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Sandbox fixture (YAML, schemas/sandbox-fixture.schema.json).",
)
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="TCP port."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Admin routes (/_sandbox/...) answer loopback callers only.",
)
def sandbox(fixture_path: Path, port: int, host: str) -> int:
    """Serve the local LAYR platform sandbox over HTTP until Ctrl-C.

    The sandbox answers the platform API as API.md and DECISIONS.md describe, with its own clock
    (moved only by POST /_sandbox/clock) and the organisations, users and virtual assets of the
    fixture. Passwords are never printed.

    \b
    Example:
      reconciler sandbox --fixture examples/sandbox-fixture.yaml --port 8321
    """
    from reconciler.sandbox.fixture import load_fixture
    from reconciler.sandbox.server import listen, serve

    fixture = load_fixture(fixture_path)
    sock, url = listen(host, port)
    click.echo(f"LAYR sandbox serving {url} (fixture {fixture_path}, clock {isoformat_z(fixture.now)})")
    for org in fixture.organisations:
        users = ", ".join(user.username for user in org.users)
        assets = ", ".join(asset.name or asset.id for asset in org.virtual_assets) or "no virtual assets"
        click.echo(f"  organisation {org.id}: users {users}; {assets}")
    click.echo("Press Ctrl-C to stop.")
    serve(fixture, sock)
    return 0
