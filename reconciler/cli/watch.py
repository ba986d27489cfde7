"""``reconciler watch``: always on, tells the desk about corrections, results and near deadlines."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from reconciler.cli.options import PlatformOptions, platform_options, platform_session
from reconciler.cli.output import print_manifest_errors
from reconciler.core.errors import ReconcilerError

if TYPE_CHECKING:  # the watch machinery loads only when the command runs
    from reconciler.watch.events import EventKind
    from reconciler.watch.loop import Watcher
    from reconciler.watch.metrics import WatchMetrics
    from reconciler.watch.output import Outputs

STOP_GRACE_S = 2.0  # a cycle in flight gets this long to finish after SIGTERM or Ctrl-C
WEBHOOK_FLUSH_S = 1.0  # queued webhook deliveries get this long when watch stops
ONCE_WEBHOOK_FLUSH_S = 20.0  # --once waits for its deliveries (retries included) up to this long


@click.command("watch")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--webhook",
    "webhooks",
    multiple=True,
    metavar="URL",
    help="POST each event as JSON with a one-line 'text' (chat webhooks show it). Repeatable.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    metavar="N",
    help="Serve Prometheus metrics at http://127.0.0.1:N/metrics (0: any free port, printed).",
)
@click.option(
    "--interval",
    type=click.FloatRange(1, 86400),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="Read at least this often, besides every re-validation, gate, deadline and publication.",
)
@click.option("--once", is_flag=True, help="One cycle, then exit: 0 no events, 2 events, 1 error.")
@platform_options
def watch(
    paths: tuple[Path, ...],
    webhooks: tuple[str, ...],
    metrics_port: int | None,
    interval: float,
    once: bool,
    platform: PlatformOptions,
) -> int:
    """Always on: tell each new correction, auction result and near deadline once.

    \b
    Wakes just after each moment that can change live state for the managed assets (each
    period's re-validation 7 minutes before it, gate closures, bid deadlines, result
    publications), and otherwise every --interval. Events are JSON lines on standard output
    (schemas/watch-event.schema.json); at a terminal each is also a line on standard error.
    Kinds: correction, auction_result, out_of_band, deadline_near, read_failed,
    manifest_invalid, webhook_failed. Read-only: watch never writes to the platform.
    Stops on SIGTERM or Ctrl-C with exit 0.
    Examples:
      reconciler watch examples/portfolio --webhook https://chat.example.com/hooks/T0KEN
      reconciler watch examples/portfolio --once
    """
    from reconciler.project.workflow import InvalidManifests
    from reconciler.watch.loop import Watcher
    from reconciler.watch.metrics import WatchMetrics
    from reconciler.watch.output import Outputs
    from reconciler.watch.webhooks import Webhooks

    metrics = WatchMetrics() if metrics_port is not None else None
    outputs = Outputs(sys.stdout, sys.stderr, human=sys.stderr.isatty(), metrics=metrics)
    try:
        with platform_session(paths, platform) as session:
            if metrics is not None and metrics_port is not None:
                outputs.log(f"metrics at {serve_metrics(metrics, metrics_port)}")
            hooks = Webhooks(webhooks, outputs.webhook_failure)
            outputs.webhooks = hooks
            for name, why in hooks.refused:
                outputs.webhook_failure(name, f"not used: {why}", None)
            connection = session.connection
            watcher = Watcher(
                paths,
                session.manifests,
                connection,
                session.target_info,
                outputs,
                interval=interval,
                emulated=connection.target.kind != "platform",
            )
            names = ", ".join(m.name for m in session.manifests)
            outputs.log(f"watching {names} on {connection.description}")
            try:
                if once:
                    cycle = watcher.cycle()
                    hooks.close(ONCE_WEBHOOK_FLUSH_S)
                    return once_exit_code(cycle.ok, outputs.emitted)
                finished = run_until_signal(watcher)
                hooks.close(WEBHOOK_FLUSH_S)
                if not finished:
                    abandon(outputs)
            finally:
                if metrics is not None:
                    metrics.shutdown()
    except InvalidManifests as exc:
        print_manifest_errors(exc.result)
        return 1
    outputs.log("watch stopped")
    return 0


def serve_metrics(metrics: WatchMetrics, port: int) -> str:
    try:
        url: str = metrics.serve(port)
    except OSError as exc:
        raise ReconcilerError(f"cannot serve metrics on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    return url


def once_exit_code(ok: bool, emitted: list[EventKind]) -> int:
    from reconciler.watch.events import ERROR_KINDS

    if not ok or any(kind in ERROR_KINDS for kind in emitted):
        return 1
    return 2 if emitted else 0


def run_until_signal(watcher: Watcher) -> bool:
    """Run the loop on a worker thread until SIGTERM or Ctrl-C; whether the loop has ended.

    A read in flight may be retrying a slow platform for longer than a service manager waits:
    it gets :data:`STOP_GRACE_S`, then :func:`abandon` ends the process without it.
    """
    stop = threading.Event()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            watcher.run(stop)
        except BaseException as exc:  # handed to the main thread, whose handler reports it
            failure.append(exc)
            stop.set()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    worker = threading.Thread(target=work, name="reconciler-watch", daemon=True)
    worker.start()
    try:
        while not stop.wait(0.5):
            pass
        worker.join(STOP_GRACE_S)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failure:
        raise failure[0]
    return not worker.is_alive()


def abandon(outputs: Outputs) -> None:
    """Exit 0 now, leaving a read in flight behind: watch never writes to the platform, so
    nothing is left half done (a normal exit would wait for the client's worker threads)."""
    outputs.log("watch stopped (a read in flight was abandoned)")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
