"""Deadline monitoring: every open obligation against the delivery ledger and recorded fulfilments."""
