"""``reconciler watch``: the always-on loop, its events, wake moments, webhooks and metrics."""
