"""Delivery of notices: adapters, the per-person ledger, HPKE sealing and delivery rounds."""
