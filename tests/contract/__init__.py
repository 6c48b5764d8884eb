"""Contract tests: the running server against the committed OpenAPI document."""
