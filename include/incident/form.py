"""What the Trigger DAG form shows: the incident id pattern in JSON Schema, readable labels for the choices."""

from __future__ import annotations

# The id pattern of include.legal.inputs.INCIDENT_ID for JSON Schema: Python's and the browser's regex engines both
# read it; "(?!\\n)$" refuses the trailing newline that "$" alone lets through in Python.
INCIDENT_ID_SCHEMA_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}(?!\n)$"
ZONE_LABEL = "(date, time and UTC offset)"
SCOPE_KIND_LABELS = {
    "all_rows": "Everyone in the compromised tables",
    "orders_window": "Customers who ordered within the window",
    "customer_updates_window": "Customers whose accounts changed within the window",
    "sessions_window": "Customers who logged in within the window",
    "lake_file": "Only the people in an uploaded scope file",
    "access_log": "Customers whose records one client read (access log)",
}
SCOPE_FILE_KIND_LABELS = {
    "null": "No scope file",
    "customer_ids": "Customer ids",
    "order_increment_ids": "Order numbers",
    "emails": "Email addresses",
}
ENTITY_TYPE_LABELS = {
    "nydfs_covered": "Licensed by NYDFS (23 NYCRR 500.17)",
    "glba_financial_institution": "A financial institution under GLBA (FTC Safeguards Rule)",
    "insurance_licensee": "An insurance licensee (state insurance data security laws)",
    "sec_registrant": "An SEC registrant (Form 8-K Item 1.05)",
    "card_merchant": "A card-accepting merchant (PCI DSS, card brands)",
}
