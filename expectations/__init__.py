"""Great Expectations suites (suites/*.json) and the custom expectations they use (custom.py)."""
