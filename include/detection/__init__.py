"""Detection and triage: Sigma rules over the store and its web logs, SIEM and processor reports, suspected incidents."""
