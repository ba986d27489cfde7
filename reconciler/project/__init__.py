"""A project: its ``reconciler.yaml``, the target a command talks to, and the steps commands share."""
