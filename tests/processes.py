"""Starting ``reconciler`` in a process of its own that a test can interrupt."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# A job started in the background by a non-interactive shell (as a CI runner may start the
# suite) inherits SIGINT ignored, and Python keeps it ignored: Ctrl-C tests would then test
# nothing. The child restores Python's own handler before the CLI starts.
_INTERRUPTIBLE = (
    "import signal, sys\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "from reconciler.cli import main\n"
    "main(sys.argv[1:])\n"
)


def reconciler_argv(*args: str) -> list[str]:
    """``python -m reconciler ARGS``, answering SIGINT like a terminal user's Ctrl-C."""
    return [sys.executable, "-c", _INTERRUPTIBLE, *args]


def serve_sandbox_then_interrupt(
    fixture: Path, while_serving: Callable[[list[str]], None] | None = None
) -> tuple[list[str], str]:
    """Run ``reconciler sandbox --fixture FIXTURE --port 0``, read its three banner lines, call
    ``while_serving(banner)`` while it serves, then Ctrl-C it: ``(banner, what it printed after)``."""
    process = subprocess.Popen(
        reconciler_argv("sandbox", "--fixture", str(fixture), "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(3)]
        if while_serving is not None:
            while_serving(banner)
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=10)
    return banner, rest
