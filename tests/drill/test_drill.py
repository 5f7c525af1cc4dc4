"""Breach drills: the whole chain over a demo-size store to the sink only, the report, and each readiness check."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import replace

import pytest
import sqlalchemy as sa

from include.config import Business, Config
from include.demo.store import SeedConfig, seed_store
from include.drill import readiness
from include.drill.run import run_drill
from include.drill.scenarios import CATALOGUE, drill_id, scenario
from include.drill.sink import DrillTransportError, SinkAdapter, require_sinks, sink_adapters
from include.drill.tasks import drill
from include.lake import keys
from include.lake.store import open_lake
from include.notices.business import named_business
from include.notices.delivery import adapters as transports
from include.notices.render import LOCALES

STAGES = ["record", "triage", "trigger", "scope", "obligations", "review", "approval", "batches", "delivery"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> dict:
    """The demo store at a small size, as SQLite (the demo's own engine)."""
    path = tmp_path_factory.mktemp("drill-store") / "store.db"
    manifest = seed_store(f"sqlite:///{path}", SeedConfig(customers=600, violations=0.0, seed=5)).to_dict()
    with sqlite3.connect(path) as connection:
        emails = [row[0].encode() for row in connection.execute("SELECT email FROM customer_entity") if row[0]]
    return {"url": f"sqlite:///{path}", "manifest": manifest, "emails": emails}


@pytest.fixture
def refuse_real_transports(monkeypatch) -> None:
    """Constructing SES, SMTP or the mail-house outbox fails the test: a drill must never build one."""

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a drill constructed {type(self).__name__}")

    for name in ("SesAdapter", "SmtpAdapter", "FileOutboxAdapter"):
        monkeypatch.setattr(getattr(transports, name), "__init__", refuse)


def config_for(lake_url: str, **settings: str) -> Config:
    return Config.from_env({"LAKE_URL": lake_url, "NOTICE_SEND_RATE": "0", **settings})


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_a_drill_runs_the_whole_chain_to_the_sink_and_reports_each_stage(name, store, tmp_path, refuse_real_transports):
    lake = open_lake((tmp_path / "lake").as_uri())
    result = drill(name, f"scheduled__2026-12-01T07:00:00+00:00-{name}", lake=lake, url=store["url"], config=config_for(lake.url))
    run = keys.run_key(f"scheduled__2026-12-01T07:00:00+00:00-{name}")
    report = json.loads(lake.get(keys.drill_report(run)))
    assert report["scenario"]["name"] == name and report["drill"] is True
    assert [s["name"] for s in report["stages"]] == STAGES and all(s["seconds"] >= 0 for s in report["stages"])
    ready = [s["seconds"] for s in report["stages"] if s["name"] != "delivery"]  # ready: approved and batched
    assert report["time_to_ready_seconds"] == pytest.approx(sum(ready), abs=0.01)
    assert report["target_seconds"] == 72 * 3600 and report["bottleneck"] in STAGES[:-1]
    assert report["shortest_deadline"]["due"] and {c["check"] for c in report["readiness"]} >= {"translations", "approvers"}
    assert all(set(c) == {"check", "ok", "fix", "detail"} and (c["ok"] or c["fix"]) for c in report["readiness"])
    assert result["incident_id"] == report["incident_id"] == drill_id(run)
    assert report["counts"]["notices"] > 0, "the drill batched and delivered notices to the sink"
    assert not [k for k, _ in lake.list(keys.INCIDENTS)], "the drill incident lives under drills/, not beside real incidents"
    own = open_lake(f"{lake.url}/{keys.drill_lake(run)}")
    assert [k for k, _ in own.list(keys.incident_prefix(report["incident_id"]) + "/")]
    pack = own.get(keys.review_sample(report["incident_id"], 1, "support-en", "support_pack.html")).decode()
    assert "Never ask for" in pack, "the customer-support pack is reviewed with the notices, in drills too"
    for key, _ in lake.list(keys.drill_prefix(run)):
        if not keys.is_encrypted_key(key):
            data = lake.get(key)
            assert not [e for e in store["emails"] if e in data], f"a customer's address in {key}"
    html = lake.get(keys.drill_report(run, "html")).decode()
    assert "DRILL" in html and f"<strong>{report['bottleneck']}</strong>" in html


def test_a_drill_refuses_any_transport_but_the_sink(store, tmp_path):
    lake = open_lake((tmp_path / "lake").as_uri())
    real = {"email": transports.FileOutboxAdapter(tmp_path / "outbox", "email", None), "postal": SinkAdapter("postal")}
    with pytest.raises(DrillTransportError, match="FileOutboxAdapter"):
        run_drill(
            scenario("credential_stuffing"), "r", lake=lake, url=store["url"], config=config_for(lake.url), adapters=lambda: real
        )
    assert not (tmp_path / "outbox").exists(), "nothing was written to the outbox"
    require_sinks(sink_adapters())


def test_unknown_scenarios_and_ids_are_refused_or_made_canonical():
    with pytest.raises(ValueError, match="checkout_skimmer"):
        scenario("ransomware")
    assert drill_id("manual__2026-12-03T10_00_00") == "DRILL-MANUAL__2026-12-03T10_00_00"


def test_removing_the_spanish_catalogue_fails_translations_with_its_fix(tmp_path):
    assert readiness.translations({"en", "es"})["ok"]
    shutil.copytree(LOCALES, tmp_path / "locale")
    shutil.rmtree(tmp_path / "locale" / "es")
    failed = readiness.translations({"en", "es"}, tmp_path / "locale")
    assert not failed["ok"] and "pybabel init" in failed["fix"] and failed["fix"].endswith(": es")


def test_a_regulator_without_a_contact_fails_with_the_rule_named():
    owed = {"id": "US-NJ/state_police", "recipient": "state_police", "required": True, "form_url": "https://nj.example/"}
    assert readiness.regulator_contacts([owed, {"id": "US-CA/individuals", "recipient": "individuals", "required": True}])["ok"]
    failed = readiness.regulator_contacts(
        [{**owed, "form_url": None}, {**owed, "id": "X/not-owed", "required": False, "form_url": None}]
    )
    assert not failed["ok"] and failed["fix"].endswith("include/legal/jurisdictions/ for: US-NJ/state_police")


def test_no_approvers_fails_with_the_setting_to_fix(tmp_path):
    failed = readiness.approvers(config_for(tmp_path.as_uri()))
    assert not failed["ok"] and "NOTICE_APPROVERS" in failed["fix"]
    assert readiness.approvers(config_for(tmp_path.as_uri(), NOTICE_APPROVERS="legal, counsel"))["ok"]


def test_business_contact_needs_a_toll_free_number():
    business = Business(name="Harbor", phone="+1-888-555-0100", email="p@h.example", address="1 Main St", website="")
    assert readiness.business_contact(business)["ok"]
    local = readiness.business_contact(replace(business, phone="+1-415-555-0100"))
    assert not local["ok"] and "toll-free" in local["fix"] and "Store Information" in local["fix"]
    assert not readiness.business_contact(None)["ok"]


def test_the_business_check_reads_the_store_the_notices_read(tmp_path):
    """Store Information in Magento names the business even with no BUSINESS_* setting; nothing at all fails."""
    config = config_for(tmp_path.as_uri())
    store = tmp_path / "store.db"
    engine = sa.create_engine(f"sqlite:///{store}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE core_config_data (scope TEXT, scope_id INT, path TEXT, value TEXT)")
    assert named_business(f"sqlite:///{store}", config) is None
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO core_config_data VALUES ('default', 0, 'general/store_information/name', 'Harbor Store')"
        )
    engine.dispose()
    business = named_business(f"sqlite:///{store}", config)
    assert business is not None and business.name == "Harbor Store"


def test_object_lock_fails_on_a_file_lake_and_senders_need_a_secret(tmp_path):
    assert not readiness.object_lock(open_lake(tmp_path.as_uri()))["ok"]
    assert not readiness.intake_senders({})["ok"]
    sender = {"AIRFLOW_CONN_EXCHANGE_SENDER_SPLUNK": json.dumps({"conn_type": "generic", "password": "s3cret"})}
    assert readiness.intake_senders(sender)["ok"]
    assert not readiness.intake_senders({"AIRFLOW_CONN_EXCHANGE_SENDER_SPLUNK": "{}"})["ok"]


def test_contact_coverage_names_the_jurisdiction_under_the_threshold():
    import pandas as pd

    people = pd.DataFrame(
        {
            "jurisdiction": ["US-CA"] * 10 + ["US-TX"] * 2,
            "email_valid": [True] * 10 + [False, False],
            "postal_valid": [False] * 12,
        }
    )
    failed = readiness.contact_coverage(people)
    assert not failed["ok"] and "US-TX 0%" in failed["fix"] and "US-CA" not in failed["fix"]


def test_the_sink_reaches_nobody():
    sink = SinkAdapter("email")
    sent = sink.send({"key": "k" * 32, "language": "es", "to": "victim@example.com"})
    assert sent.provider_id.startswith("drill-sink-") and sink.taken == {"es": 1} and sink.poll_events() == []


def test_the_compliance_report_lists_the_last_drills_oldest_first(store, tmp_path):
    from include.reporting.report import build_report

    lake = open_lake((tmp_path / "lake").as_uri())
    for name in ("credential_stuffing", "processor_report"):
        drill(name, f"manual__{name}", lake=lake, url=store["url"], config=config_for(lake.url))
    build_report(lake, "report-1")
    metrics = json.loads(lake.get("reports/report-1/metrics.json"))
    assert [d["scenario"] for d in metrics["drills"]] == [CATALOGUE[n].title for n in ("credential_stuffing", "processor_report")]
    assert all(d["readiness_total"] == 8 and d["time_to_ready_seconds"] > 0 for d in metrics["drills"])
    html = lake.get("reports/report-1/report.html").decode()
    assert "<h2>Drills</h2>" in html and CATALOGUE["processor_report"].title in html


def test_the_sink_round_is_unthrottled_whatever_the_send_rate(store, tmp_path, monkeypatch):
    """A drill at a million people must not wait out the providers' rate (NOTICE_SEND_RATE) on a sink."""
    rates: list[float] = []
    original = transports.RateLimiter.__init__

    def recording(self, per_second, *args, **kwargs):
        rates.append(per_second)
        original(self, per_second, *args, **kwargs)

    monkeypatch.setattr(transports.RateLimiter, "__init__", recording)
    monkeypatch.setenv("NOTICE_SEND_RATE", "2")
    lake = open_lake((tmp_path / "lake").as_uri())
    result = drill(
        "credential_stuffing", "manual__rate", lake=lake, url=store["url"], config=config_for(lake.url, NOTICE_SEND_RATE="2")
    )
    assert rates == [0.0] and result["bottleneck"] != "delivery"


def test_every_step_of_a_drill_reads_the_drills_store_and_configuration(store, tmp_path):
    """The notices and samples name the business in the drill's store, not whatever the environment points at."""
    copy = tmp_path / "store.db"
    shutil.copy(store["url"].removeprefix("sqlite:///"), copy)
    with sqlite3.connect(copy) as connection:
        connection.execute(
            "UPDATE core_config_data SET value = 'Drill Test Savings' WHERE path = 'general/store_information/name'"
        )
    lake = open_lake((tmp_path / "lake").as_uri())
    drill("credential_stuffing", "manual__business", lake=lake, url=f"sqlite:///{copy}", config=config_for(lake.url))
    own = open_lake(f"{lake.url}/{keys.drill_lake(keys.run_key('manual__business'))}")
    incident = drill_id(keys.run_key("manual__business"))
    pack = own.get(keys.review_sample(incident, 1, "support-en", "support_pack.html")).decode()
    assert "Drill Test Savings" in pack and "Harbor Lane Financial" not in pack
