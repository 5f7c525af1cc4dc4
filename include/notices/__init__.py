"""Notices: content, rendering, review samples, channel planning, batches and delivery."""
