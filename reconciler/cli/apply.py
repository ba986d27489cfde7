"""``reconciler apply``: make the writes of a saved plan exactly, or plan-show-ask-apply."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from reconciler.apply import ApplyReport, Outcome, Status, apply_changes, check_saved_plan
from reconciler.cli.options import PlatformOptions, color_option, platform_options, use_color
from reconciler.cli.output import emit_plan, print_manifest_errors
from reconciler.config import resolve_target
from reconciler.errors import ReconcilerError
from reconciler.plan.planfile import read_plan
from reconciler.targets import confirm_protected, connect
from reconciler.workflow import InvalidManifests, open_session, plan_session

MARKS = {Status.APPLIED: ("✓", "green"), Status.FAILED: ("✗", "red"), Status.MISSED: ("✗", "red")}


def _is_plan_file(paths: tuple[Path, ...]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".json"


@click.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--auto-approve", is_flag=True, help="Apply without asking (required on a protected target in CI)."
)
@color_option
@platform_options
def apply(paths: tuple[Path, ...], auto_approve: bool, no_color: bool, platform: PlatformOptions) -> int:
    """Make the planned writes: from a saved plan file (exactly, or refused), or from manifests.

    \b
    Examples:
      reconciler apply plan.json
      reconciler apply examples/ --auto-approve
    """
    color = use_color(no_color)
    if _is_plan_file(paths):
        return _apply_saved(paths[0], auto_approve, color, platform)
    try:
        with open_session(
            paths,
            target=platform.target,
            api_url=platform.api_url,
            organisation=platform.organisation,
            config=platform.config,
            parallelism=platform.parallelism,
        ) as session:
            result, _ = plan_session(session)
            emit_plan(result, "text", color)
            if result.has_errors:
                return 1
            if not result.changes:
                click.echo("Nothing to apply.")
                return 0
            connection = session.connection
            confirm_protected(connection.target, auto_approve, _prompt)
            if not connection.target.protected and not auto_approve:
                _ask_yes_no(connection.description)
            report = apply_changes(result.changes, connection.client, connection.now, _progress(color))
    except InvalidManifests as exc:
        print_manifest_errors(exc.result)
        return 1
    return _finish(report, color)


def _apply_saved(path: Path, auto_approve: bool, color: bool, platform: PlatformOptions) -> int:
    saved = read_plan(path)
    if saved.has_errors:
        raise ReconcilerError(f"{path}: this plan has errors and can't be applied; fix them and plan again")
    target = resolve_target(
        [path.parent],
        config=platform.config,
        target=platform.target or (None if platform.api_url else saved.target.name),
        api_url=platform.api_url,
        organisation=platform.organisation,
    )
    with connect(target, parallelism=platform.parallelism) as connection:
        check_saved_plan(saved, connection.client, connection.api_url, target.organisation, connection.now())
        if not saved.changes:
            click.echo("The plan has no changes; nothing to apply.")
            return 0
        confirm_protected(target, auto_approve, _prompt)
        click.echo(f"Applying {len(saved.changes)} change(s) from {path} to {connection.description}.")
        report = apply_changes(saved.changes, connection.client, connection.now, _progress(color))
    return _finish(report, color)


def _prompt(text: str) -> str:
    if not sys.stdin.isatty():
        raise ReconcilerError("no terminal to confirm on: pass --auto-approve to apply non-interactively")
    return str(click.prompt(text, default="", show_default=False))


def _ask_yes_no(description: str) -> None:
    answer = _prompt(f"Apply these changes to {description}? [y/N]")
    if answer.strip().lower() not in ("y", "yes"):
        raise ReconcilerError("not applied: the answer was not 'yes'")


def _progress(color: bool) -> Callable[[Outcome], None]:
    def show(outcome: Outcome) -> None:
        mark, colour = MARKS.get(outcome.status, ("-", "yellow"))
        text = f"  {click.style(mark, fg=colour) if color else mark} {outcome.status:<13} {outcome.change.address}"
        click.echo(text + (f": {outcome.message}" if outcome.message else ""))

    return show


def _finish(report: ApplyReport, color: bool) -> int:
    counts = {status: sum(o.status is status for o in report.outcomes) for status in Status}
    click.echo(
        f"Apply: {counts[Status.APPLIED]} applied, {counts[Status.FAILED]} failed, "
        f"{counts[Status.MISSED]} missed, {counts[Status.NOT_ATTEMPTED]} not attempted."
    )
    for mismatch in report.mismatches:
        click.echo(f"  re-read differs: {mismatch}", err=True)
    if report.ok:
        click.echo("Re-read matches what was written.")
        return 0
    return 1
