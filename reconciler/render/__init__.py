"""Renderings of plans and drift for people: text for terminals, markdown for pull requests."""
