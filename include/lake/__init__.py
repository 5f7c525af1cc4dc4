"""The lake: storage backends, client-side encryption, every key and prefix, encrypted tables and the evidence ledger."""
