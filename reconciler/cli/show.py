"""``reconciler show``: render a saved plan file."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import color_option, format_option, use_color
from reconciler.cli.output import emit_plan
from reconciler.plan.planfile import read_plan


@click.command("show")
@click.argument("planfile", type=click.Path(path_type=Path, dir_okay=False))
@format_option("text", "json", "markdown")
@color_option
def show(planfile: Path, output_format: str, no_color: bool) -> int:
    """Render a saved plan without contacting any platform.

    The file is checked as `apply` checks it offline (size, digest, recorded requests), and its
    digest is printed, so the plan reviewed can be matched with the file applied.

    \b
    Example:
      reconciler show plan.json --format markdown
    """
    emit_plan(read_plan(planfile), output_format, use_color(no_color))
    return 0
