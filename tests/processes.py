"""Starting ``reconciler`` in a process of its own that a test can interrupt."""

from __future__ import annotations

import sys

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
