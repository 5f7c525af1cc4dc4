"""Every lake key and prefix the pipeline writes or reads, built in one place from the run or incident id.

The layout (under the lake root):

- `scans/<run>/`: findings and summary of one scan run;
- `extracts/<table>/<run>/`: the rows a scan found changed (encrypted parts and a manifest);
- `state/`: watermarks, snapshot buckets and their index, incident versions, the report pointer (sealed like every
  output), and `state/leases/` (operational lease records, pruned, never sealed);
- `incidents/<id>/v<N>/`: one version of an incident (affected people, obligations, filing drafts, review, batches);
- `incidents/<id>/delivery/`, `incidents/<id>/fulfilments/`: delivery events and rounds, recorded filings;
- `incidents/_inputs/<id>/`: responders' encrypted scope files (never overwritten: a different upload under the
  same name gets `<name>-2.<ext>.enc`, ...);
- `reports/<run>/`, `alerts/<run>/`: the compliance report and deadline alerts;
- `evidence/`: manifests, the signed hash-chained ledger and its head (never overwritten, except the head);
- `detections/`: suspected incidents (`suspects/`), detection runs (`runs/<run>/`), triage decisions (`triage/`);
- `exchange/`: the intake API's replay guard and processors' sealed shares (HPKE to the processor, never plaintext).

Objects whose key ends in `.enc` are client-side encrypted; reading one that is not is refused.
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
DETECTIONS = "detections/"
LEASES = "state/leases/"
LEDGER_LEASE = "evidence-ledger"
ENCRYPTED_SUFFIX = ".enc"
EXCHANGE_REPLAY = "exchange/replay/"
EXCHANGE_SHARES = "exchange/shares/"


def run_key(run_id: str) -> str:
    """A run id made safe for object keys (Airflow run ids carry ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", run_id)


def stamp(moment: datetime) -> str:
    """A moment as a key fragment (YYYYmmddTHHMMSS)."""
    return moment.strftime("%Y%m%dT%H%M%S")


def is_encrypted_key(key: str) -> bool:
    """True when the layout says the object at key is client-side encrypted."""
    return key.endswith(ENCRYPTED_SUFFIX)


def numbered(name: str, attempt: int) -> str:
    """A file name for the n-th distinct object of the same name (`list.csv.enc` -> `list-2.csv.enc`); 1 is the name."""
    if attempt <= 1:
        return name
    stem, dot, extensions = name.partition(".")
    return f"{stem}-{attempt}{dot}{extensions}"


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


def incident_inputs(incident_id: str) -> str:
    """The folder of an incident's own input files (a trigger may name scope files under it only)."""
    return f"{INCIDENTS}_inputs/{incident_id}/"


def incident_input(incident_id: str, file_name: str) -> str:
    """A responder's encrypted scope file for an incident."""
    return f"{incident_inputs(incident_id)}{file_name}"


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


def filings_prefix(incident_id: str, version: int) -> str:
    """The regulator filing drafts of a version."""
    return f"{incident_prefix(incident_id, version)}/filings"


def filing_draft(incident_id: str, version: int, obligation: str, extension: str) -> str:
    """One filing draft (json or html); the obligation id's '/' becomes '--' (US-CA--attorney_general_sample.json)."""
    if extension not in ("json", "html"):
        raise ValueError(f"filing drafts are json or html, not {extension!r}")
    return f"{filings_prefix(incident_id, version)}/{obligation.replace('/', '--')}.{extension}"


def filings_index(incident_id: str, version: int) -> str:
    """The index of a version's filing drafts (what is owed to whom, and how to record it as filed)."""
    return f"{filings_prefix(incident_id, version)}/index.json"


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


def substitute_web_notice(incident_id: str, version: int, jurisdiction: str, language: str) -> str:
    """The web notice posted for substitute notice in one jurisdiction and language."""
    return f"{batches_prefix(incident_id, version)}/substitute/notice-{jurisdiction}-{language}.html"


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


def delivery_quarantine(incident_id: str, round_key: str) -> str:
    """Which batch records a round could not read (object key and line number, never the record)."""
    return f"{INCIDENTS}{incident_id}/delivery/quarantine/{round_key}.json"


DELIVERY_STATE = f"{STATE}delivery/"


def delivery_journal_prefix(incident_id: str) -> str:
    """Per-message journal of rounds in progress (compacted into delivery events at each chunk's end)."""
    return f"{DELIVERY_STATE}incidents/{incident_id}/journal/"


def delivery_journal(incident_id: str, instance: str, seq: int) -> str:
    """One journal entry: the outcome of the previous message and the `sending` of the next."""
    return f"{delivery_journal_prefix(incident_id)}{instance}-{seq:09d}.jsonl"


def provider_inbox_prefix(incident_id: str) -> str:
    """Provider events (deliveries, bounces, acknowledgements) filed under their incident, not yet in the ledger."""
    return f"{DELIVERY_STATE}incidents/{incident_id}/inbox/"


def provider_inbox(incident_id: str, source: str, unique: str) -> str:
    """One object of provider events filed under an incident."""
    return f"{provider_inbox_prefix(incident_id)}{source}-{unique}.jsonl"


UNROUTED_EVENTS = f"{DELIVERY_STATE}unrouted/"


def unrouted_events(source: str, unique: str) -> str:
    """Provider events no incident claims (kept, retried on every routing pass, reported)."""
    return f"{UNROUTED_EVENTS}{source}-{unique}.jsonl"


def delivery_lease(incident_id: str) -> str:
    """The lease name of an incident's delivery rounds (one round at a time)."""
    return f"delivery/{incident_id}"


def provider_events_lease(source: str) -> str:
    """The lease name of the one consumer of a provider's event queue."""
    return f"provider-events/{source}"


def fulfilments_prefix(incident_id: str) -> str:
    """Where recorded regulator and agency filings of an incident live."""
    return f"{INCIDENTS}{incident_id}/fulfilments/"


def fulfilment(incident_id: str, obligation: str, at: datetime, attempt: int = 1) -> str:
    """One recorded fulfilment of an obligation (a different record for the same moment gets the next attempt)."""
    return f"{fulfilments_prefix(incident_id)}{fulfilment_name(obligation, at, attempt)}.json"


def fulfilment_name(obligation: str, at: datetime, attempt: int = 1) -> str:
    """A fulfilment's file name without extension (also its evidence run key)."""
    return f"{obligation.replace('/', '__')}-{stamp(at)}" + (f"-{attempt}" if attempt > 1 else "")


def incident_of(key: str) -> str | None:
    """The incident id a key under incidents/ belongs to."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == INCIDENTS.rstrip("/") else None


# -- detection and triage -----------------------------------------------------------------------------------


def detection_run(run_id: str) -> str:
    """detections.json of one breach_detection run (rule ids, counts, suspected-incident ids; no event content)."""
    return f"{DETECTIONS}runs/{run_key(run_id)}/detections.json"


def detection_watermark() -> str:
    """Where the last detection run's window ended."""
    return f"{STATE}detection/watermark.json"


def detection_history() -> str:
    """What detection runs learn for the next one (keyed hashes of admin networks and addresses, admin roles)."""
    return f"{STATE}detection/history.json"


def suspect_update(suspect_id: str, seq: int) -> str:
    """A later sighting of an already recorded suspected incident."""
    return f"{DETECTIONS}suspects/{suspect_id}/updates/{seq:06d}.json"


def triage_decision(suspect_id: str) -> str:
    """The triage decision on a suspected incident (recorded once)."""
    return f"{DETECTIONS}triage/{suspect_id}.json"


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


def manifest(dag_id: str, run_slug: str, attempt: int = 1) -> str:
    """The manifest of one sealed run; a re-seal with different content gets the next attempt (never an overwrite)."""
    return f"{MANIFESTS}{dag_id}/{run_slug}" + (f".seal-{attempt}" if attempt > 1 else "") + ".json"


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


EVIDENCED_PREFIXES = (SCANS, EXTRACTS, INCIDENTS, REPORTS, ALERTS, STATE, MANIFESTS)
"""Everything under these prefixes must be listed by a sealed manifest (or declared deleted), except UNSEALED_PREFIXES."""
UNSEALED_PREFIXES = (LEASES,)


DRILLS = "drills/"


def drill_prefix(run_slug: str) -> str:
    """Everything one drill wrote: its report and, under lake/, the drill incident's own lake."""
    return f"{DRILLS}{run_slug}/"


def drill_lake(run_slug: str) -> str:
    """The prefix a drill's synthetic incident runs in (its own ledger, incidents and detections)."""
    return f"{drill_prefix(run_slug)}lake"


def drill_report(run_slug: str, extension: str = "json") -> str:
    """A drill's time-to-ready report (json or html)."""
    return f"{drill_prefix(run_slug)}report.{extension}"


def review_page(incident_id: str, version: int) -> str:
    """The review page legal opens from the approval request: counts, elements and every sample linked."""
    return f"{incident_prefix(incident_id, version)}/review/index.html"
