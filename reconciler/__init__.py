"""reconciler: schedule-as-code for virtual batteries on the terralayr (LAYR) platform."""

__version__ = "0.1.0"
