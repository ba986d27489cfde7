"""What every layer shares: the error root, diagnostics, secret redaction, JSON Schemas, YAML with marks."""
