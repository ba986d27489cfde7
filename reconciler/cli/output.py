"""Printing shared by commands: plans in three formats, manifest diagnostics."""

from __future__ import annotations

import click

from reconciler.core.diagnostics import sort_key
from reconciler.manifest import LoadResult
from reconciler.plan.model import Plan
from reconciler.plan.planfile import dumps
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text


def emit_plan(plan: Plan, output_format: str, color: bool) -> None:
    if output_format == "json":
        click.echo(dumps(plan), nl=False)
    elif output_format == "markdown":
        click.echo(render_markdown(plan), nl=False)
    else:
        click.echo(render_text(plan, color=color), nl=False)


def print_manifest_errors(result: LoadResult) -> None:
    for diagnostic in sorted(result.diagnostics, key=sort_key):
        click.echo(diagnostic.render(), err=True)
    errors = sum(d.is_error for d in result.diagnostics)
    click.echo(
        f"{errors} error(s) in the manifests; nothing was read from or written to any platform.", err=True
    )
