"""Every lake key and prefix the pipeline writes or reads, built in one place from the run or incident id.

The layout (under the lake root):

- `scans/<run>/`: findings and summary of one scan run;
- `extracts/<table>/<run>/`: the rows a scan found changed (encrypted parts and a manifest);
- `state/`: watermarks, snapshot buckets and their index, incident versions, the report pointer;
- `incidents/<id>/v<N>/`: one version of an incident (affected people, obligations, review, batches);
- `incidents/<id>/delivery/`, `incidents/<id>/fulfilments/`: delivery events and rounds, recorded filings;
- `incidents/_inputs/<id>/`: responders' encrypted scope files;
- `reports/<run>/`, `alerts/<run>/`: the compliance report and deadline alerts;
- `evidence/`: manifests, the hash-chained ledger and its head;
- `exchange/`: the intake API's replay guard and processors' sealed shares (HPKE to the processor, never plaintext).
"""

from __future__ import annotations

import re
from datetime import datetime

SCANS = "scans/"
EXTRACTS = "extracts/"
STATE = "state/"
INCIDENTS = "incidents/"
REPORTS = "reports/"
ALERTS = "alerts/"
EVIDENCE = "evidence/"
LEDGER = "evidence/ledger/"
MANIFESTS = "evidence/manifests/"
HEAD = "evidence/HEAD.json"
INCIDENT_STATE = "state/incidents/"
REPORT_POINTER = "state/reports/latest.json"
EXCHANGE_REPLAY = "exchange/replay/"
EXCHANGE_SHARES = "exchange/shares/"


def run_key(run_id: str) -> str:
    """A run id made safe for object keys (Airflow run ids carry ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", run_id)


def stamp(moment: datetime) -> str:
    """A moment as a key fragment (YYYYmmddTHHMMSS)."""
    return moment.strftime("%Y%m%dT%H%M%S")


# -- scan ----------------------------------------------------------------------------------------------------


def scan_prefix(run_id: str) -> str:
    """Where one scan run's findings and summary live."""
    return f"{SCANS}{run_key(run_id)}"


def scan_findings(run_id: str) -> str:
    """findings.json of a scan run."""
    return f"{scan_prefix(run_id)}/findings.json"


def scan_summary(run_id: str) -> str:
    """summary.json of a scan run."""
    return f"{scan_prefix(run_id)}/summary.json"


def extract_prefix(table: str, run_slug: str) -> str:
    """The changed rows one scan run extracted from one table."""
    return f"{EXTRACTS}{table}/{run_slug}"


def extract_part(table: str, run_slug: str, number: int) -> str:
    """One encrypted Parquet part of an extract."""
    return f"{extract_prefix(table, run_slug)}/part-{number:05d}.parquet.enc"


def extract_manifest(table: str, run_slug: str) -> str:
    """The counts-only manifest of an extract."""
    return f"{extract_prefix(table, run_slug)}/_manifest.json"


def snapshot_prefix(table: str) -> str:
    """The current minimised copy of a table, in encrypted buckets."""
    return f"{STATE}snapshots/{table}"


def snapshot_index(table: str) -> str:
    """A snapshot's index (row counts and cached check results per bucket)."""
    return f"{snapshot_prefix(table)}/index.json"


def snapshot_bucket(table: str, bucket: int, digest: str) -> str:
    """One encrypted snapshot bucket, named by its content so a rewrite never overwrites the committed one."""
    return f"{snapshot_prefix(table)}/bucket-{bucket:06d}-{digest[:12]}.parquet.enc"


def watermark(table: str) -> str:
    """The last high-water mark of a table's change column."""
    return f"{STATE}watermarks/{table}.json"


# -- incidents -----------------------------------------------------------------------------------------------


def incident_prefix(incident_id: str, version: int | None = None) -> str:
    """Where an incident (or one version of it) lives."""
    return f"{INCIDENTS}{incident_id}" + (f"/v{version}" if version else "")


def incident_versions(incident_id: str) -> str:
    """The versions recorded for an incident."""
    return f"{INCIDENT_STATE}{incident_id}/versions.json"


def incident_input(incident_id: str, file_name: str) -> str:
    """A responder's encrypted scope file for an incident."""
    return f"{INCIDENTS}_inputs/{incident_id}/{file_name}"


def affected_people(incident_id: str, version: int) -> str:
    """The encrypted affected-individuals table of a version."""
    return f"{incident_prefix(incident_id, version)}/affected.parquet.enc"


def affected_groups(incident_id: str, version: int) -> str:
    """AFFECTED.json of a version (counts only)."""
    return f"{incident_prefix(incident_id, version)}/affected.json"


def incident_summary(incident_id: str, version: int) -> str:
    """summary.json of a version (counts only)."""
    return f"{incident_prefix(incident_id, version)}/summary.json"


def obligations(incident_id: str, version: int) -> str:
    """obligations.json of a version."""
    return f"{incident_prefix(incident_id, version)}/obligations.json"


def obligations_calendar(incident_id: str, version: int) -> str:
    """The accessible obligations calendar of a version."""
    return f"{incident_prefix(incident_id, version)}/obligations.html"


def review_sample(incident_id: str, version: int, sample: str, name: str) -> str:
    """One rendered review sample (sample is '<jurisdiction>-<language>')."""
    return f"{incident_prefix(incident_id, version)}/review/samples/{sample}/{name}"


def batches_prefix(incident_id: str, version: int) -> str:
    """The notification batches of a version."""
    return f"{incident_prefix(incident_id, version)}/batches"


def batch_object(incident_id: str, version: int, channel: str, number: int) -> str:
    """One encrypted batch of ~10,000 records of one channel."""
    return f"{batches_prefix(incident_id, version)}/{channel}/batch-{number:05d}.jsonl.gz.enc"


def batch_keys(incident_id: str, version: int) -> str:
    """Idempotency keys batched by a version (no personal data)."""
    return f"{batches_prefix(incident_id, version)}/keys.parquet"


def batch_manifest(incident_id: str, version: int) -> str:
    """The batches' manifest."""
    return f"{batches_prefix(incident_id, version)}/manifest.json"


def substitute_web_notice(incident_id: str, version: int) -> str:
    """The web notice posted for substitute notice."""
    return f"{batches_prefix(incident_id, version)}/substitute/notice.html"


def is_batch_object(key: str, channel: str) -> bool:
    """True when key is a batch object of the channel."""
    return f"/batches/{channel}/batch-" in key


def is_batch_keys(key: str) -> bool:
    """True when key is a version's keys.parquet."""
    return key.endswith("/batches/keys.parquet")


def delivery_events_prefix(incident_id: str) -> str:
    """Where an incident's delivery events live."""
    return f"{INCIDENTS}{incident_id}/delivery/events/"


def delivery_events(incident_id: str, round_key: str, unique: str) -> str:
    """One immutable object of delivery events written by a round."""
    return f"{delivery_events_prefix(incident_id)}{round_key}-{unique}.jsonl"


def delivery_round(incident_id: str, round_key: str) -> str:
    """The summary of one delivery round."""
    return f"{INCIDENTS}{incident_id}/delivery/rounds/{round_key}.json"


def fulfilments_prefix(incident_id: str) -> str:
    """Where recorded regulator and agency filings of an incident live."""
    return f"{INCIDENTS}{incident_id}/fulfilments/"


def fulfilment(incident_id: str, obligation: str, at: datetime) -> str:
    """One recorded fulfilment of an obligation."""
    return f"{fulfilments_prefix(incident_id)}{fulfilment_name(obligation, at)}.json"


def fulfilment_name(obligation: str, at: datetime) -> str:
    """A fulfilment's file name without extension (also its evidence run key)."""
    return f"{obligation.replace('/', '__')}-{stamp(at)}"


def incident_of(key: str) -> str | None:
    """The incident id a key under incidents/ belongs to."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == INCIDENTS.rstrip("/") else None


# -- reports, alerts, evidence ---------------------------------------------------------------------------------


def report_prefix(run_slug: str) -> str:
    """One compliance report's outputs."""
    return f"{REPORTS}{run_slug}"


def report_file(run_slug: str, name: str) -> str:
    """metrics.json, metrics.csv or report.html of a report."""
    return f"{report_prefix(run_slug)}/{name}"


def deadline_alerts(run_id: str) -> str:
    """deadlines.json of one monitor run."""
    return f"{ALERTS}{run_key(run_id)}/deadlines.json"


def ledger_entry(seq: int) -> str:
    """One ledger entry."""
    return f"{LEDGER}{seq:012d}.json"


def manifest(dag_id: str, run_slug: str) -> str:
    """The manifest of one sealed run."""
    return f"{MANIFESTS}{dag_id}/{run_slug}.json"


# -- exchange API --------------------------------------------------------------------------------------------


def replay_marker(minute: int, digest: str) -> str:
    """One accepted signed request, under the minute of its signed timestamp (older minutes are pruned)."""
    return f"{EXCHANGE_REPLAY}{minute:010d}/{digest}"


def replay_minute(key: str) -> int | None:
    """The minute a replay marker belongs to."""
    part = key.removeprefix(EXCHANGE_REPLAY).split("/", 1)[0]
    return int(part) if part.isdigit() else None


def processor_share(incident_id: str, version: int, processor: str, recipient: str) -> str:
    """A processor's sealed share of one approved version, for one recipient key (a rotated key gets a new share)."""
    return f"{EXCHANGE_SHARES}{incident_id}/v{version}/{processor}-{recipient[:16]}.json"


EVIDENCED_PREFIXES = (SCANS, EXTRACTS, INCIDENTS, REPORTS, ALERTS, MANIFESTS)
