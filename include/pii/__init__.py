"""Personal data in the store: the PII map (fideslang categories) and the minimisation and retention policy."""
