"""The scheduled scan: incremental extraction, Great Expectations validation, relational checks, drift and findings."""
