"""The local LAYR platform sandbox (DESIGN.md §6): a real HTTP emulator of API.md + DECISIONS.md.

``app.create_app`` builds the ASGI app; ``server.running_sandbox`` serves it on an ephemeral
loopback port for the embedded default and the tests; ``reconciler sandbox`` serves it in the
foreground. It uses ``reconciler.rules`` and ``reconciler.market`` and never the client.

This package imports nothing on its own: the rest of reconciler enters only through
:mod:`reconciler.sandbox.embedded`, imported inside the function that starts an embedded target,
so commands that talk to a real platform or an emulator never load the web server.
"""
