"""Incident versions: each resolution of an incident's scope that changed who or what is affected gets a new version."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import pandas as pd
import pyarrow as pa

from include.incident.trigger import IncidentTrigger
from include.lake import crypto, keys
from include.lake.store import Lake, StoredOutput
from include.lake.tables import read_encrypted_table, write_encrypted_table


def incident_ids(lake: Lake) -> list[str]:
    """Incidents that have at least one resolved version."""
    ids = {key.split("/")[2] for key, _ in lake.list(keys.INCIDENT_STATE) if key.endswith("/versions.json")}
    return sorted(ids)


def load_versions(lake: Lake, incident_id: str) -> list[dict[str, Any]]:
    """Versions recorded for an incident, oldest first."""
    key = keys.incident_versions(incident_id)
    return json.loads(lake.get(key))["versions"] if lake.exists(key) else []


def latest_version(lake: Lake, incident_id: str) -> int | None:
    """Newest version number of an incident."""
    versions = load_versions(lake, incident_id)
    return versions[-1]["version"] if versions else None


def save_versions(lake: Lake, incident_id: str, versions: list[dict[str, Any]]) -> StoredOutput:
    """Record the incident's versions (state, no personal data; sealed with the run that wrote it)."""
    return lake.put(keys.incident_versions(incident_id), json.dumps({"versions": versions}, indent=1).encode()).as_dict()


def fingerprint(individuals: pd.DataFrame, trigger: IncidentTrigger) -> str:
    """Identifies a resolution: who, where, what, under which facts (changes make a new version)."""
    digest = hashlib.sha256(json.dumps(trigger.model_dump(mode="json", exclude={"notes"}), sort_keys=True).encode())
    for row in individuals.sort_values("person")[
        ["person", "jurisdiction", "data_elements", "encrypted_elements", "email_valid", "postal_valid"]
    ].itertuples(index=False):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def write_individuals(lake: Lake, key: str, individuals: pd.DataFrame) -> StoredOutput:
    """The affected individuals, encrypted client-side (only the columns notices need)."""
    table = pa.Table.from_pandas(individuals, preserve_index=False)
    return write_encrypted_table(lake, key, table, crypto.default_wrapper()).as_dict()


def read_individuals(lake: Lake, key: str) -> pd.DataFrame:
    """Read back write_individuals."""
    return read_encrypted_table(lake, key, crypto.default_wrapper()).to_pandas()


def summarise_individuals(individuals: pd.DataFrame) -> dict[str, Any]:
    """Counts only: by jurisdiction, data element, channel, residency source and language."""
    elements = Counter(e for els in individuals["data_elements"] for e in els)
    email = individuals["email_valid"].astype(bool)
    postal = individuals["postal_valid"].astype(bool)
    return {
        "individuals": len(individuals),
        "by_jurisdiction": dict(sorted(Counter(individuals["jurisdiction"]).items())),
        "by_data_element": dict(sorted(elements.items())),
        "by_channel": {
            "email": int(email.sum()),
            "postal": int(postal.sum()),
            "email_and_postal": int((email & postal).sum()),
            "none": int((~email & ~postal).sum()),
        },
        "by_residency_source": dict(sorted(Counter(individuals["residency_source"]).items())),
        "unknown_residency": int((individuals["jurisdiction"] == "UNKNOWN").sum()),
        "by_language": dict(sorted(Counter(individuals["language"]).items())),
        "credentials_exposed": int(individuals["credentials_exposed"].astype(bool).sum()),
    }


def changes_from(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any] | None:
    if not previous:
        return None
    jurisdictions = set(previous["by_jurisdiction"]) | set(current["by_jurisdiction"])
    return {
        "from_version": previous["version"],
        "individuals": current["individuals"] - previous["individuals"],
        "by_jurisdiction": {
            j: current["by_jurisdiction"].get(j, 0) - previous["by_jurisdiction"].get(j, 0)
            for j in sorted(jurisdictions)
            if current["by_jurisdiction"].get(j, 0) != previous["by_jurisdiction"].get(j, 0)
        },
    }
