"""
### Breach incident run

Turns a breach report into: every affected individual, the laws that apply to each, every deadline, notices
held for legal approval, published notification batches and a first delivery round.

Trigger it from the **Trigger DAG** form, the REST API (`POST /api/v2/dags/breach_incident/dagRuns`), a SIEM or
`breachctl incident start FILE.json`. The first task validates the parameters again and fails, naming the bad
field, before anything is written.

Outputs under `<lake>/incidents/<incident_id>/v<N>/`: `affected.parquet.enc` (encrypted), `affected.json` and
`summary.json` (counts), `obligations.json`, `obligations.html` (calendar), `filings/` (regulator filing drafts,
JSON and HTML), review samples, and after approval
`batches/` with its manifest. Re-running an incident writes the next version only when its scope changed, and
nobody already batched in an earlier version is batched again.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param, dag, task

from include.config import SOURCE_POOL, notice_approvers
from include.incident.form import (
    ENTITY_TYPE_LABELS,
    INCIDENT_ID_SCHEMA_PATTERN,
    SCOPE_FILE_KIND_LABELS,
    SCOPE_KIND_LABELS,
    ZONE_LABEL,
)
from include.incident.trigger import SCOPE_FILE_KINDS, SCOPE_KINDS
from include.legal.inputs import ENTITY_TYPES
from include.pii.labels import category_display, table_display
from include.pii.map import fideslang_categories, load_pii_map

OPTIONAL_TIME = {"type": ["null", "string"], "format": "date-time"}
PII_TABLES = table_display(load_pii_map())
CATEGORIES = category_display(sorted(fideslang_categories()))


@task(retries=0)
def validate_trigger(params=None, dag_run=None) -> dict:
    """Validate the parameters again; a bad field fails the run here, before anything is written."""
    from airflow.sdk.exceptions import AirflowFailException

    from include.incident.tasks import accept_trigger
    from include.legal.inputs import InputError

    try:
        return accept_trigger(dict(params), dag_run=dag_run)
    except InputError as error:
        raise AirflowFailException(str(error)) from None


@task(pool=SOURCE_POOL, show_return_value_in_logs=False)
def resolve_scope(trigger: dict, run_id=None) -> dict:
    """Every affected individual (encrypted in the lake), counts by jurisdiction, channel and residency."""
    from include.incident import tasks
    from include.incident.trigger import trigger_from

    return tasks.resolve_scope(trigger_from(trigger), run_id)


@task
def compute_obligations(trigger: dict, scope: dict) -> dict:
    """obligations.json, the regulator filing drafts and the obligations calendar for this version."""
    from include.incident import tasks
    from include.incident.trigger import trigger_from

    return tasks.compute_obligations(trigger_from(trigger), scope["version"], new_version=scope["new_version"])


@task.short_circuit
def new_version(scope: dict) -> bool:
    """Only a changed scope goes to approval and new notices."""
    return scope["new_version"]


@task(show_return_value_in_logs=False)
def prepare_review(trigger: dict, scope: dict) -> dict:
    """Counts, obligations and rendered samples for a synthetic person, for legal approval."""
    from include.incident.trigger import trigger_from
    from include.notices.review import prepare_review

    return prepare_review(trigger_from(trigger), scope["version"])


@task
def record_decision(trigger: dict, scope: dict, decision: dict | None, run_id=None) -> dict:
    """Record who approved or rejected, when and why; a rejection stops the run."""
    from airflow.sdk.exceptions import AirflowFailException

    from include.incident.approval import record_decision
    from include.incident.trigger import trigger_from

    record = record_decision(trigger_from(trigger), scope["version"], decision, run_id)
    if not record["approved"]:
        raise AirflowFailException(f"notices rejected by {record['by']}: {record['reason'] or 'no reason given'}")
    return record


@task(show_return_value_in_logs=False)
def build_batches(trigger: dict, scope: dict) -> dict:
    """Render and chunk the notices of people not yet batched, per channel, encrypted."""
    from include.incident.trigger import trigger_from
    from include.notices.tasks import build

    return build(trigger_from(trigger), scope["version"])


@task(show_return_value_in_logs=False)
def deliver(trigger: dict, run_id=None) -> dict:
    """First delivery round, as `breachctl notices deliver` runs it (later rounds run in incident_deadline_monitor)."""
    from include.notices.tasks import first_round

    return first_round(trigger["incident_id"], run_id)


@task
def seal_evidence(
    trigger: dict | None,
    scope: dict | None,
    obligations: dict | None,
    review: dict | None,
    batches: dict | None,
    delivery: dict | None,
    run_id=None,
    dag_run=None,
) -> dict | None:
    """Manifest of everything this run wrote, chained into the ledger (a teardown: runs even when a step failed)."""
    from include.evidence.seal import seal
    from include.lake.keys import run_key

    if trigger is None:
        return None
    results = {
        "resolve_scope": scope,
        "compute_obligations": obligations,
        "prepare_review": review,
        "build_batches": batches,
        "deliver": delivery,
    }
    started_at = dag_run.start_date.isoformat() if dag_run and dag_run.start_date else None
    return seal("breach_incident", run_id, results, run_slug=f"{trigger['incident_id']}-{run_key(run_id)}", started_at=started_at)


@dag(
    dag_id="breach_incident",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["compliance", "incident", "notification"],
    default_args={"owner": "incident-response", "retries": 2, "retry_delay": timedelta(minutes=2)},
    params={
        "incident_id": Param(
            type="string",
            minLength=3,
            maxLength=64,
            pattern=INCIDENT_ID_SCHEMA_PATTERN,
            title="Incident id",
            section="Incident",
            description="3 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. INC-2026-0042).",
        ),
        "notes": Param(
            None,
            type=["null", "string"],
            format="multiline",
            title="Internal notes",
            section="Incident",
            description="Kept out of logs, XCom and the audit trail (only its presence is recorded).",
        ),
        "discovered_at": Param(
            type="string",
            format="date-time",
            title=f"Discovered at {ZONE_LABEL}",
            section="Timeline",
            description="When anyone at the business first learned of it: the earliest clock (California's 30 days, GDPR's "
            "72 hours). ISO 8601 with its offset, e.g. 2026-11-30T09:00:00-08:00.",
        ),
        "business_timezone": Param(
            None,
            type=["null", "string"],
            title="Business time zone",
            section="Timeline",
            description="IANA name (e.g. America/Los_Angeles) the legal day counts use; default BUSINESS_TIMEZONE.",
        ),
        "aware_at": Param(
            None,
            **OPTIONAL_TIME,
            title=f"Reasonably certain of the breach at {ZONE_LABEL}",
            section="Timeline",
            description="GDPR/UK 'awareness'; empty means discovery (the earliest).",
        ),
        "determined_at": Param(None, **OPTIONAL_TIME, title=f"Breach determined at {ZONE_LABEL}", section="Timeline"),
        "scope_identified_at": Param(None, **OPTIONAL_TIME, title=f"Scope identified at {ZONE_LABEL}", section="Timeline"),
        "breach_start": Param(None, **OPTIONAL_TIME, title=f"Breach window start {ZONE_LABEL}", section="Timeline"),
        "breach_end": Param(None, **OPTIONAL_TIME, title=f"Breach window end {ZONE_LABEL}", section="Timeline"),
        "compromised_tables": Param(
            [],
            type="array",
            minItems=1,
            items={"type": "string", "enum": sorted(PII_TABLES)},
            examples=sorted(PII_TABLES),
            values_display=PII_TABLES,
            title="Compromised tables",
            section="Compromised data",
            description="Every store table the attacker could read; each is listed with the personal data it holds.",
        ),
        "data_elements": Param(
            [],
            type="array",
            items={"type": "string", "enum": sorted(CATEGORIES)},
            examples=sorted(CATEGORIES),
            values_display=CATEGORIES,
            title="Data elements involved",
            section="Compromised data",
            description="Only these kinds of data were exposed; leave empty when everything the tables hold was.",
        ),
        "encrypted": Param(False, type="boolean", title="The compromised data was encrypted", section="Compromised data"),
        "key_compromised": Param(
            False, type="boolean", title="The encryption key was compromised too", section="Compromised data"
        ),
        "scope_kind": Param(
            "all_rows",
            enum=list(SCOPE_KINDS),
            values_display=SCOPE_KIND_LABELS,
            title="Who is affected",
            section="Scope",
            description="Everyone in the tables, or only those the window, file or access log below selects.",
        ),
        "window_start": Param(None, **OPTIONAL_TIME, title=f"Window start {ZONE_LABEL}", section="Scope"),
        "window_end": Param(None, **OPTIONAL_TIME, title=f"Window end {ZONE_LABEL}", section="Scope"),
        "scope_file": Param(
            None,
            type=["null", "string"],
            title="Scope file (lake key)",
            section="Scope",
            description="incidents/_inputs/<this incident>/<file>.csv|txt|json.enc, as upload-scope prints it",
        ),
        "scope_file_kind": Param(
            None,
            type=["null", "string"],
            enum=[None, *SCOPE_FILE_KINDS],
            values_display=SCOPE_FILE_KIND_LABELS,
            title="Scope file holds",
            section="Scope",
            description="Only with a scope file.",
        ),
        "access_log": Param(
            None,
            type=["null", "string"],
            title="Access log (scope access_log)",
            section="Scope",
            description="Path of one of the configured access logs (DETECTION_ACCESS_LOGS).",
        ),
        "access_log_client": Param(
            None,
            type=["null", "string"],
            title="Client address (scope access_log)",
            section="Scope",
            description="The customers whose records this client read through REST are in scope.",
        ),
        "le_agency": Param(None, type=["null", "string"], title="Agency", section="Law-enforcement delay"),
        "le_start": Param(None, **OPTIONAL_TIME, title=f"Delay from {ZONE_LABEL}", section="Law-enforcement delay"),
        "le_end": Param(None, **OPTIONAL_TIME, title=f"Delay until {ZONE_LABEL}", section="Law-enforcement delay"),
        "entity_types": Param(
            [],
            type="array",
            items={"type": "string", "enum": list(ENTITY_TYPES)},
            examples=list(ENTITY_TYPES),
            values_display=ENTITY_TYPE_LABELS,
            title="The business is",
            section="Entity",
            description="Switches on NYDFS 500.17, the FTC Safeguards Rule, insurance laws, SEC 8-K Item 1.05, card brands.",
        ),
        "extortion_paid_at": Param(None, **OPTIONAL_TIME, title=f"Extortion payment made at {ZONE_LABEL}", section="Entity"),
        "materiality": Param(
            None,
            type=["null", "object"],
            title="SEC materiality determination",
            section="Entity",
            description='{"material": true, "determined_at": "..."} (Form 8-K Item 1.05).',
        ),
        "risk_of_harm_determinations": Param(
            [],
            type="array",
            items={"type": "object"},
            title="Documented no-harm determinations",
            section="Entity",
            description='[{"jurisdiction": "US-FL", "determined_at": "...", "documented": true}] where a state allows them.',
        ),
        "notice_description": Param(
            None,
            type=["null", "string"],
            format="multiline",
            title="What happened (notice text)",
            section="Notice",
            description="Plain-language description for the notices; reviewed at approval.",
        ),
    },
)
def breach_incident():
    legal_approval = HITLOperator(
        task_id="legal_approval",
        subject="Approve breach notices for incident {{ ti.xcom_pull(task_ids='validate_trigger')['incident_id'] }}",
        body="{{ ti.xcom_pull(task_ids='prepare_review')['body'] }}",
        options=["Approve", "Reject"],
        params={
            "reason": Param(
                None,
                type=["null", "string"],
                title="Reason",
                description="Optional when approving; give it when rejecting (it is recorded in the audit trail).",
            )
        },
        response_timeout=timedelta(days=7),
        retries=0,
        assigned_users=[{"id": name, "name": name} for name in notice_approvers()] or None,
    )

    trigger = validate_trigger()
    scope = resolve_scope(trigger)
    obligations = compute_obligations(trigger, scope)
    review = prepare_review(trigger, scope)
    obligations >> new_version(scope) >> review >> legal_approval
    decision = record_decision(trigger, scope, legal_approval.output)
    batches = build_batches(trigger, scope)
    decision >> batches
    delivery = deliver(trigger)
    batches >> delivery
    seal_evidence(trigger, scope, obligations, review, batches, delivery).as_teardown(setups=trigger)


breach_incident()
