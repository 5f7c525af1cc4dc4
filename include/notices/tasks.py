"""The breach_incident DAG's notice steps after approval: batches, then delivery rounds (also run by the monitor)."""

from __future__ import annotations

import base64
import json
import logging
from datetime import date

from include.config import Config, get_connection, has_connection, load_config
from include.incident.trigger import IncidentTrigger
from include.incident.versions import read_individuals
from include.lake import keys
from include.lake.store import Lake, open_lake
from include.legal.rules import load_rules
from include.notices.batches import BatchesResult, NoticeSettings, build_batches
from include.notices.business import business_details, notice_url
from include.notices.content import incident_facts
from include.notices.delivery.adapters import DeliveryAdapter, FileOutboxAdapter, SesAdapter, SmtpAdapter
from include.notices.delivery.rounds import DeliveryResult, deliver_round

log = logging.getLogger("airflow.task")


def excused_jurisdictions(obligations: list[dict]) -> set[str]:
    """Jurisdictions whose residents' notice a documented no-harm determination made not required."""
    return {
        o["jurisdiction"] for o in obligations if o["recipient"] == "individuals" and not o["required"] and o.get("determination")
    }


def build(
    trigger: IncidentTrigger, version: int, *, lake: Lake | None = None, url: str | None = None, config: Config | None = None
) -> BatchesResult:
    """After approval: the notification batches of this version (the business from the store at `url`)."""
    lake, config = lake or open_lake(), config or load_config()
    individuals = read_individuals(lake, keys.affected_people(trigger.incident_id, version))
    obligations = json.loads(lake.get(keys.obligations(trigger.incident_id, version)))["obligations"]
    excused = excused_jurisdictions(obligations)
    if excused:
        individuals = individuals[~individuals["jurisdiction"].isin(excused)].reset_index(drop=True)
        log.info("no notices for %s: documented no-harm determination", ", ".join(sorted(excused)))
    credit = {o["jurisdiction"]: o.get("credit_monitoring_months") for o in obligations if o["recipient"] == "individuals"}
    business = business_details(url, config)
    settings = NoticeSettings(
        business=business,
        incident=incident_facts(trigger, date.today()),
        credit_monitoring=credit,
        sender=business.email or "privacy@example.com",
        notice_url=notice_url(business, trigger.incident_id),
    )
    result = build_batches(
        lake,
        incident_id=trigger.incident_id,
        version=version,
        individuals=individuals,
        key_compromised=trigger.key_compromised,
        rules=load_rules(),
        settings=settings,
        cost_per_notice=config.cost_per_notice,
    )
    manifest = result["manifest"]
    log.info(
        "batches v%d: %d new notices (%s), %d already batched earlier, %d covered by substitute notice",
        version,
        manifest["new_notices"],
        manifest["by_channel"],
        manifest["excluded_already_batched"],
        manifest["substitute_covered"],
    )
    return {
        "outputs": result["outputs"],
        "counts": {
            "new_notices": manifest["new_notices"],
            "by_channel": manifest["by_channel"],
            "excluded_already_batched": manifest["excluded_already_batched"],
            "substitute_covered": manifest["substitute_covered"],
        },
    }


def mail_house_key(config: Config) -> bytes:
    """The mail house's X25519 public key (connection `mail_house`, extra.public_key, base64)."""
    if not has_connection(config.mail_house_conn_id):
        raise RuntimeError(
            f"file outbox needs the mail house's X25519 public key: connection '{config.mail_house_conn_id}', "
            "extra.public_key (base64)"
        )
    return base64.b64decode(get_connection(config.mail_house_conn_id).extra["public_key"])


def ses_adapter(config: Config) -> SesAdapter:
    """Amazon SES with events from the configured SQS queue (endpoint from the AWS connection where one is set)."""
    import boto3  # noqa: PLC0415 (boto3 only for the SES transport)
    from botocore.config import Config as BotoConfig  # noqa: PLC0415

    extra = get_connection(config.aws_conn_id).extra if has_connection(config.aws_conn_id) else {}
    endpoint = {"endpoint_url": extra["endpoint_url"]} if extra.get("endpoint_url") else {}
    if not config.notice_sender:
        raise RuntimeError("the SES transport needs NOTICE_SENDER (a verified sender address)")
    # No botocore retries for sending: a request retried after a read timeout could send a second copy.
    once = BotoConfig(retries={"total_max_attempts": 1, "mode": "standard"})
    return SesAdapter(
        boto3.client("ses", config=once, **endpoint),
        sender=config.notice_sender,
        events_queue_url=config.ses_events_queue,
        sqs_client=boto3.client("sqs", **endpoint),
        configuration_set=config.ses_configuration_set,
    )


def adapters_from_configuration(config: Config | None = None) -> dict[str, DeliveryAdapter]:
    """Email and postal adapters for the configured transport (file | smtp | ses); postal always via the outbox."""
    config = config or load_config()
    outbox = config.notice_outbox_dir
    adapters: dict[str, DeliveryAdapter] = {"postal": FileOutboxAdapter(outbox / "postal", "postal", mail_house_key(config))}
    if config.notice_transport == "file":
        adapters["email"] = FileOutboxAdapter(outbox / "email", "email", mail_house_key(config))
    elif config.notice_transport == "smtp":
        info = get_connection(config.smtp_conn_id)
        adapters["email"] = SmtpAdapter(info.host or "localhost", info.port or 25, username=info.login, password=info.password)
    else:
        adapters["email"] = ses_adapter(config)
    return adapters


def deliver(
    incident_id: str,
    run_id: str,
    *,
    lake: Lake | None = None,
    adapters: dict[str, DeliveryAdapter] | None = None,
    config: Config | None = None,
    wait: float | None = None,
) -> DeliveryResult:
    """One delivery round for an incident (what both DAGs and `breachctl notices deliver` run).

    Only one round per incident runs at a time: when another holds the incident's lease, this one waits up to
    `wait` seconds (NOTICE_LEASE_WAIT by default) and otherwise returns a summary saying it was skipped.
    """
    config = config or load_config()
    return deliver_round(
        lake or open_lake(config=config),
        incident_id,
        adapters or adapters_from_configuration(config),
        keys.run_key(run_id),
        per_second=config.notice_send_rate,
        lease_ttl=config.notice_lease_ttl,
        wait=config.notice_lease_wait if wait is None else wait,
        retry_backoff=config.notice_retry_backoff,
    )


def first_round(incident_id: str, run_id: str, *, config: Config | None = None) -> DeliveryResult:
    """The incident run's own round: it waits out one lease period, so a retry after a killed worker takes the dead
    round's lease over instead of skipping (a round that still renews it is alive and delivering: then it skips)."""
    config = config or load_config()
    return deliver(incident_id, run_id, config=config, wait=max(config.notice_lease_wait, config.notice_lease_ttl + 5))
