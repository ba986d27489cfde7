"""``reconciler apply``: make the writes of a saved plan exactly, or plan-show-ask-apply."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import click

from reconciler.apply import ApplyReport, Outcome, Status, apply_changes, apply_json, check_saved_plan
from reconciler.cli.options import (
    PlatformOptions,
    color_option,
    format_option,
    lock_timeout_option,
    note,
    only_option,
    platform_options,
    platform_session,
    use_color,
    verbosity_options,
)
from reconciler.cli.output import print_manifest_errors
from reconciler.cli.progress import Reporter, Verbosity, progress
from reconciler.core.errors import ReconcilerError
from reconciler.plan.model import Change, Plan, TargetInfo
from reconciler.plan.planfile import read_plan, short_digest
from reconciler.plan.selection import Selection
from reconciler.platform.client import PlatformClient
from reconciler.project.config import Target, resolve_target
from reconciler.project.lock import hold_target_lock
from reconciler.project.targets import confirm_protected, connect, with_recorded_protection
from reconciler.project.workflow import InvalidManifests, plan_session, target_info
from reconciler.render.text import not_planned_lines, render_text

MARKS = {Status.APPLIED: ("✓", "green"), Status.FAILED: ("✗", "red"), Status.MISSED: ("✗", "red")}


def _is_plan_file(paths: tuple[Path, ...]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".json"


@click.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Apply without asking; on a protected platform only together with --target NAME.",
)
@format_option("text", "json")
@only_option
@lock_timeout_option
@color_option
@verbosity_options()
@platform_options
def apply(
    paths: tuple[Path, ...],
    auto_approve: bool,
    output_format: str,
    selection: Selection,
    lock_timeout: float,
    no_color: bool,
    verbosity: Verbosity,
    platform: PlatformOptions,
) -> int:
    """Make the writes of a saved plan exactly, or plan and apply manifests.

    With manifests, the plan is shown and applied after a yes at the terminal (or with
    --auto-approve). A saved plan was reviewed when it was made: it applies without a question,
    and is refused whole, before any request, when its content does not match its digest, a
    recorded request is not the one its change gives, it was made for another target, has
    expired, or any live object it read has changed since. Objects a plan could not plan (errors)
    are not written; everything else is, and the exit code is then 1.

    A protected platform (by API URL and organisation, whichever way it is reached; api.trlyr.com
    always) needs its target's name typed at a terminal, or --auto-approve with --target NAME,
    for manifests and plan files alike.

    One apply per target at a time on this machine: apply holds the target's lock from before it
    reads live state until it ends (--lock-timeout waits for another apply to finish), and a
    saved plan is applied once.

    --format json prints one JSON document on standard output (schemas/apply.schema.json): each
    write with its status, attempts and error, the summary, and what was held back and why; also
    when apply is refused. What people read then goes to standard error.

    \b
    Examples:
      reconciler apply plan.json
      reconciler apply examples/ --auto-approve
      reconciler apply examples/ --only 'munich-1/fcr/*' --auto-approve
      reconciler apply plan.json --format json > applied.json
    """
    color = use_color(no_color)
    out = Output(output_format == "json", color, verbosity)
    if _is_plan_file(paths):
        if not selection.everything:
            raise click.UsageError(
                "--only selects what to plan; a saved plan is applied as it was planned (its selection "
                "is recorded in it): make the plan with --only instead"
            )
        with out.refusals():
            return _apply_saved(paths[0], auto_approve, lock_timeout, out, platform)
    with out.refusals():
        return _apply_manifests(paths, auto_approve, selection, lock_timeout, out, platform)


@dataclass
class Output:
    """Where apply's output goes, and what it knows so far for the JSON document: with --format
    json, one document on standard output (also when apply is refused) and the lines people read
    on standard error."""

    as_json: bool
    color: bool
    verbosity: Verbosity
    plan: Plan | None = None
    target: TargetInfo | None = None
    now: datetime | None = None

    def say(self, text: str, *, err: bool = False, nl: bool = True) -> None:
        click.echo(text, err=err or self.as_json, nl=nl)

    @contextmanager
    def refusals(self) -> Iterator[None]:
        """With --format json, a refusal (stale plan, no approval, manifest errors, ...) is a
        document too: nothing was written, and ``refused`` says why. The error still reaches
        standard error and the exit code through the CLI's one handler."""
        try:
            yield
        except ReconcilerError as exc:
            if self.as_json:
                self.emit(None, str(exc))
            raise

    def emit(self, report: ApplyReport | None, refused: str | None = None) -> None:
        document = apply_json(report, self.plan, self.target, self.now, refused)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _apply_manifests(
    paths: tuple[Path, ...],
    auto_approve: bool,
    selection: Selection,
    lock_timeout: float,
    out: Output,
    platform: PlatformOptions,
) -> int:
    try:
        with platform_session(paths, platform, selection, lock_timeout) as session:
            out.target = session.target_info
            if auto_approve:  # refused before any read when it cannot be honoured
                _approve(session.connection.target, platform, auto_approve)
            with progress(out.verbosity, out.color, "Reading live state") as reporter:
                result = plan_session(session, reporter.on_read)
            out.plan, out.now = result, result.now
            if out.verbosity is not Verbosity.QUIET:
                out.say(render_text(result, color=out.color), nl=False)
            if not result.changes:
                return _finish(None, result, out)
            connection = session.connection
            if not auto_approve:
                _approve(connection.target, platform, auto_approve)
                if connection.target.protection is None:
                    _ask_yes_no(connection.description)
                # someone may have written while the question waited: apply only what was shown
                check_saved_plan(
                    result,
                    connection.client,
                    target_info(connection),
                    connection.now(),
                    times=connection.market_times,
                )
            out.now = connection.now()
            report = _write(result.changes, connection.client, connection.now, out)
    except InvalidManifests as exc:
        print_manifest_errors(exc.result, exc.outcome)
        if out.as_json:
            errors = sum(d.is_error for d in exc.result.diagnostics)
            out.emit(
                None, f"{errors} error(s) in the manifests; nothing was read from or written to any platform"
            )
        return 1
    return _finish(report, result, out)


def _apply_saved(
    path: Path,
    auto_approve: bool,
    lock_timeout: float,
    out: Output,
    platform: PlatformOptions,
) -> int:
    saved = read_plan(path)
    out.plan = saved
    recorded = _recorded_config(saved.target.config)
    target = resolve_target(
        [path.parent],
        config=platform.config or recorded,
        target=platform.target
        or (None if platform.api_url or not saved.target.config else saved.target.name),
        api_url=platform.api_url or (None if saved.target.config else saved.target.api_url),
        organisation=platform.organisation or (None if saved.target.config else saved.target.organisation),
        protection_configs=[recorded] if recorded else [],
    )
    # the plan's requests were derived with its ancillary API (D18): re-derived and sent with it too
    target = replace(with_recorded_protection(target, saved.target), ancillary_api=saved.target.ancillary_api)
    with (
        connect(target, parallelism=platform.parallelism, deadline=platform.deadline) as connection,
        hold_target_lock(target, timeout=lock_timeout, note=note) as lock,
    ):
        out.target, out.now = target_info(connection), connection.now()
        if auto_approve:  # refused before any read when it cannot be honoured
            _approve(target, platform, auto_approve)
        with progress(out.verbosity, out.color, "Checking live state") as reporter:
            check_saved_plan(
                saved,
                connection.client,
                out.target,
                out.now,
                reporter.on_read,
                connection.market_times,
            )
        if not saved.changes:
            return _finish(None, saved, out)
        if not auto_approve:  # an unprotected saved plan applies without a question (Terraform's rule)
            _approve(target, platform, auto_approve)
        lock.claim_plan(saved, str(path), connection.instance())
        if out.verbosity is not Verbosity.QUIET:
            selected = f", selection {' '.join(saved.selection)}" if saved.selection else ""
            out.say(
                f"Applying plan {short_digest(saved.digest)} ({len(saved.changes)} change(s){selected}) "
                f"from {path} to {connection.description}."
            )
        out.now = connection.now()
        report = _write(saved.changes, connection.client, connection.now, out)
    return _finish(report, saved, out)


def _approve(target: Target, platform: PlatformOptions, auto_approve: bool) -> None:
    confirm_protected(target, named=platform.target, auto_approve=auto_approve, prompt_fn=_prompt)


def _recorded_config(config: str | None) -> Path | None:
    """The reconciler.yaml the plan was made with, when it is still there."""
    return Path(config) if config and Path(config).is_file() else None


def _prompt(text: str) -> str | None:
    """The answer typed at the terminal; None when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        return None
    return str(click.prompt(text, default="", show_default=False))


def _ask_yes_no(description: str) -> None:
    answer = _prompt(f"Apply these changes to {description}? [y/N]")
    if answer is None:
        raise ReconcilerError("no terminal to confirm on: pass --auto-approve to apply non-interactively")
    if answer.strip().lower() not in ("y", "yes"):
        raise ReconcilerError("not applied: the answer was not 'yes'")


def _write(
    changes: Sequence[Change],
    client: PlatformClient,
    now: Callable[[], datetime],
    out: Output,
) -> ApplyReport:
    with progress(out.verbosity, out.color, "Writing", total=len(changes)) as reporter:
        try:
            return apply_changes(changes, client, now, outcome_printer(reporter, out))
        except KeyboardInterrupt:
            click.echo(
                "Stopped: the writes in flight finished (listed above) and no new write started; "
                "`reconciler plan` shows what is left.",
                err=True,
            )
            raise


def outcome_printer(reporter: Reporter, out: Output) -> Callable[[Outcome], None]:
    """One line per write (with --quiet only the writes that did not succeed), and the bar moves on."""

    def show(outcome: Outcome) -> None:
        reporter.advance()
        if out.verbosity is Verbosity.QUIET and outcome.status is Status.APPLIED:
            return
        mark, colour = MARKS.get(outcome.status, ("-", "yellow"))
        text = f"  {click.style(mark, fg=colour) if out.color else mark} {outcome.status:<13} {outcome.change.address}"
        reporter.line(text + (f": {outcome.message}" if outcome.message else ""), err=out.as_json)

    return show


def _finish(report: ApplyReport | None, plan: Plan, out: Output) -> int:
    """The summary: what was written, what the re-read found, and what the plan held back; with
    --format json also the document."""
    if report is None:
        out.say("Nothing to apply.")
        ok = True
    else:
        counts = {status: sum(o.status is status for o in report.outcomes) for status in Status}
        out.say(
            f"Apply: {counts[Status.APPLIED]} applied, {counts[Status.FAILED]} failed, "
            f"{counts[Status.MISSED]} missed, {counts[Status.NOT_ATTEMPTED]} not attempted."
        )
        for mismatch in report.mismatches:
            out.say(f"  re-read differs: {mismatch}", err=True)
        ok = report.ok
        if ok and out.verbosity is not Verbosity.QUIET:
            out.say("Re-read matches what was written.")
    held = not_planned_lines(plan)
    if held:
        count = len(plan.not_planned)
        heading = (
            f"Held back, not written: {count} object{'s' if count != 1 else ''} with errors in the plan:"
        )
        out.say(click.style(heading, fg="red") if out.color else heading)
        for line in held[1:]:
            out.say(line)
    if out.as_json:
        out.emit(report)
    return 0 if ok and not held else 1
