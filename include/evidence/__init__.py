"""Evidence for auditors: sealing each run into the ledger, verifying the ledger, and the HTML evidence index."""
