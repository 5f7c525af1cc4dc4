"""One alert in each accepted format, shaped as the SIEMs send them (extra fields included)."""

from __future__ import annotations

import json
import time


def ocsf(uid: str = "f-0001") -> dict:
    """An OCSF 1.x Detection Finding (class 2004) naming a PII-map table among its resources."""
    now_ms = int(time.time() * 1000)
    return {
        "class_uid": 2004,
        "category_uid": 2,
        "type_uid": 200401,
        "activity_id": 1,
        "time": now_ms,
        "severity_id": 4,
        "status_id": 1,
        "metadata": {"version": "1.3.0", "product": {"name": "Example SIEM", "vendor_name": "Example"}},
        "finding_info": {
            "uid": uid,
            "title": "Bulk export of customer_entity by admin jane.doe@example.com from 198.51.100.7",
            "analytic": {"uid": "rule-42", "name": "Bulk customer export", "type_id": 1},
            "types": ["Data Exfiltration"],
            "first_seen_time": now_ms - 60_000,
            "last_seen_time": now_ms,
        },
        "resources": [{"name": "customer_entity", "type": "Database Table"}, {"name": "web-01", "type": "Host"}],
        "count": 3,
        "unmapped": {"raw": "anything the SIEM adds is ignored"},
    }


def splunk(sid: str = "scheduler__admin__search__RMD5a1b2c3_at_1764000000_42") -> dict:
    """Splunk's webhook alert action body (the first result row carries personal data; it is never kept)."""
    return {
        "result": {
            "_time": str(int(time.time()) - 30),
            "urgency": "critical",
            "count": "12",
            "table": "sales_order_payment",
            "user": "john.smith@example.com",
            "src_ip": "203.0.113.9",
        },
        "sid": sid,
        "results_link": f"https://splunk.example:8000/app/search/@go?sid={sid}",
        "search_name": "Card data read outside the payment service",
        "owner": "admin",
        "app": "search",
    }


def elastic(uuid: str = "3f5e1c2a-9d0b-4c7e-8a61-1b2c3d4e5f60") -> dict:
    """An Elastic Security alert document as the alerts index stores it (nested kibana.alert.* fields)."""
    return {
        "@timestamp": "2026-11-28T14:05:00.000Z",
        "kibana": {
            "alert": {
                "uuid": uuid,
                "severity": "high",
                "risk_score": 73,
                "original_time": "2026-11-28T13:59:12.000Z",
                "rule": {"name": "Magento admin login from a new country", "uuid": "b7f0d3e2-rule", "rule_id": "mag-007"},
                "reason": "authentication event with source 192.0.2.44 by mary@example.com",
            }
        },
        "user": {"name": "mary@example.com"},
        "source": {"ip": "192.0.2.44"},
    }


SAMPLES = {"ocsf": ocsf, "splunk": splunk, "elastic": elastic}
PERSONAL = ("jane.doe@example.com", "john.smith@example.com", "mary@example.com", "198.51.100.7", "203.0.113.9", "192.0.2.44")


def body(document: dict) -> bytes:
    return json.dumps(document).encode()
