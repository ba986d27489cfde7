"""Drift: what differs between manifests and live state and why; ``--adopt``; ``import``."""
