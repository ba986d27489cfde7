"""The platform's rules as pure functions, shared by the planner and the sandbox.

Imports nothing of the project but ``reconciler.market`` (DESIGN.md §7).
"""
