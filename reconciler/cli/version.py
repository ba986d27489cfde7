"""``reconciler version [--format text|json]``: what is installed, for bug reports and scripts."""

from __future__ import annotations

import json
import platform
from typing import Any

import click

from reconciler import __version__
from reconciler.cli.options import format_option
from reconciler.core.schemas import SCHEMA_BASE_URL, load_schema
from reconciler.plan.model import FORMAT_VERSION as PLAN_FORMAT_VERSION

FORMAT_VERSION = "1"


def version_info() -> dict[str, Any]:
    manifest = load_schema("manifest.schema.json")
    return {
        "format_version": FORMAT_VERSION,
        "name": "reconciler",
        "version": __version__,
        "python": platform.python_version(),
        "manifest_api_version": manifest["properties"]["apiVersion"]["const"],
        "plan_format_version": PLAN_FORMAT_VERSION,
        "schemas": SCHEMA_BASE_URL,
    }


@click.command("version")
@format_option("text", "json")
def version(output_format: str) -> int:
    """Print reconciler's version, and the formats it reads and writes.

    \b
    Example:
      reconciler version --format json
    """
    info = version_info()
    if output_format == "json":
        click.echo(json.dumps(info, indent=2))
    else:
        click.echo(
            f"reconciler {info['version']} (Python {info['python']}; manifests "
            f"{info['manifest_api_version']}, plan files format {info['plan_format_version']})"
        )
    return 0
