"""The compliance metrics report: JSON, CSV and a self-contained, accessible HTML page with trends over 90 runs."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from include.incident.versions import incident_ids, latest_version
from include.lake import keys
from include.lake.ledger import read_head
from include.lake.store import Lake
from include.legal.exposure import ccpa_exposure
from include.legal.inputs import parse_affected
from include.legal.rules import load_rules
from include.monitoring.deadlines import check_incident
from include.notices.delivery.ledger import NOTIFIED, fold, read_events, settle_unconfirmed, status_counts
from include.pages import render_page
from include.reporting.charts import Series, line_chart
from include.reporting.headline import headline_figures, headline_tiles, todo_today
from include.scan.findings import KINDS

TEMPLATES = Path(__file__).parent / "templates"
HISTORY_RUNS = 90
CCPA_DAMAGES: dict[str, Any] = {
    "min": 107,
    "max": 799,
    "citation": "Cal. Civ. Code § 1798.150(a)(1), amounts as adjusted by the CPPA from 2025-01-01",
}


def scan_history(lake: Lake, runs: int = HISTORY_RUNS) -> list[dict[str, Any]]:
    """The last `runs` scan summaries, oldest first."""
    summaries = [json.loads(lake.get(key)) for key, _ in lake.list(keys.SCANS) if key.endswith("/summary.json")]
    return sorted(summaries, key=lambda s: s["scanned_at"])[-runs:]


def incident_metrics(lake: Lake, now: datetime) -> list[dict[str, Any]]:
    """Per incident: obligations with days left, discovery-to-notice times, delivery rates, California exposure."""
    incidents = []
    for incident_id in incident_ids(lake):
        version = latest_version(lake, incident_id)
        if version is None:
            continue
        summary = json.loads(lake.get(keys.incident_summary(incident_id, version)))
        obligations = check_incident(lake, incident_id, now, warn_days=3)
        document = json.loads(lake.get(keys.obligations(incident_id, version)))
        discovered = next(
            (o["clock"]["at"] for o in document["obligations"] if o["clock"]["event"] == "discovery" and o["clock"]["at"]), None
        )
        people = fold(read_events(lake, incident_id))
        settle_unconfirmed(people)
        counts = status_counts(people)
        attempted = sum(counts.values())
        notified = sum(counts.get(s, 0) for s in NOTIFIED)  # a letter handed over or a substitute notice is not yet notice
        times = []
        for row in obligations:
            if row["recipient"] == "individuals" and discovered:
                met = row["met_at"]
                took = (datetime.fromisoformat(met) - datetime.fromisoformat(discovered)).total_seconds() / 86400 if met else None
                allowed = (
                    (datetime.fromisoformat(row["due"]) - datetime.fromisoformat(discovered)).total_seconds() / 86400
                    if row["due"]
                    else None
                )
                times.append(
                    {
                        "jurisdiction": row["jurisdiction"],
                        "days_to_notice": None if took is None else round(took, 1),
                        "days_allowed": None if allowed is None else round(allowed, 1),
                        "within_deadline": None if took is None or allowed is None else took <= allowed,
                    }
                )
        covered = ccpa_exposure(parse_affected(json.loads(lake.get(keys.affected_groups(incident_id, version)))), load_rules())
        counted = covered["consumers_counted"]
        incidents.append(
            {
                "incident_id": incident_id,
                "version": version,
                "individuals": summary["individuals"],
                "discovered_at": discovered,
                "open_obligations": [o for o in obligations if not o["met_at"]],
                "met_obligations": sum(1 for o in obligations if o["met_at"]),
                "discovery_to_notice": times,
                "delivery": {
                    "status": counts,
                    "attempted": attempted,
                    "notified_rate": round(notified / attempted, 4) if attempted else None,
                    "bounce_rate": round(counts["bounced"] / attempted, 4) if attempted else None,
                },
                "exposure": {
                    "california_residents": covered["california_residents"],
                    "consumers_counted": counted,
                    "credentials_only": covered["credentials_only"],
                    "basis": covered["basis"],
                    "min_usd": counted * CCPA_DAMAGES["min"],
                    "max_usd": counted * CCPA_DAMAGES["max"],
                    "citation": CCPA_DAMAGES["citation"],
                    "needs_legal_review": covered["needs_legal_review"],
                },
            }
        )
    return incidents


def drill_history(lake: Lake, runs: int = 12) -> list[dict[str, Any]]:
    """The last drills, oldest first: time to ready, target, bottleneck and readiness (from drills/<run>/report.json)."""
    found = []
    for key, _ in lake.list(keys.DRILLS):
        if key.endswith("/report.json") and key.count("/") == 2:
            report = json.loads(lake.get(key))
            found.append(
                {
                    "run": report["run"],
                    "scenario": report["scenario"]["title"],
                    "started_at": report["started_at"],
                    "time_to_ready_seconds": report["time_to_ready_seconds"],
                    "within_target": report["within_target"],
                    "bottleneck": report["bottleneck"],
                    "readiness_passed": sum(c["ok"] for c in report["readiness"]),
                    "readiness_total": len(report["readiness"]),
                }
            )
    return sorted(found, key=lambda d: d["started_at"])[-runs:]


def build_metrics(lake: Lake, now: datetime, previous: dict[str, Any] | None) -> dict[str, Any]:
    """Everything the report shows, as one JSON document (counts only)."""
    history = scan_history(lake)
    latest = history[-1] if history else None
    trend = [
        {
            "run_id": s["run_id"],
            "scanned_at": s["scanned_at"],
            "by_severity": s["by_severity"],
            "affected_rows_by_kind": s["affected_rows_by_kind"],
            "pass_rate": round(s["checks_passed"] / s["checks_run"], 4) if s["checks_run"] else None,
            "findings": s["findings"],
        }
        for s in history
    ]
    incidents = incident_metrics(lake, now)
    metrics: dict[str, Any] = {
        "generated_at": now.isoformat(timespec="seconds"),
        "runs_in_trend": len(trend),
        "latest_scan": None
        if latest is None
        else {
            "run_id": latest["run_id"],
            "scanned_at": latest["scanned_at"],
            "by_severity": latest["by_severity"],
            "by_kind": latest["by_kind"],
            "affected_rows_by_kind": latest["affected_rows_by_kind"],
            "pass_rate": trend[-1]["pass_rate"],
            "coverage": latest.get("coverage", {}),
        },
        "trend": trend,
        "incidents": incidents,
        "drills": drill_history(lake),
        "exposure_total": {
            "california_residents": sum(i["exposure"]["california_residents"] for i in incidents),
            "consumers_counted": sum(i["exposure"]["consumers_counted"] for i in incidents),
            "min_usd": sum(i["exposure"]["min_usd"] for i in incidents),
            "max_usd": sum(i["exposure"]["max_usd"] for i in incidents),
            "citation": CCPA_DAMAGES["citation"],
        },
    }
    head = read_head(lake) or {}
    metrics["evidence_head"] = {"seq": head.get("seq"), "entry_hash": head.get("entry_hash")}
    metrics["summary"] = summary_paragraph(metrics, previous)
    metrics["headline"] = headline_figures(metrics)
    metrics["tiles"] = headline_tiles(metrics["headline"], previous)
    metrics["todo"] = todo_today(metrics)
    return metrics


def summary_paragraph(metrics: dict[str, Any], previous: dict[str, Any] | None) -> str:
    """One paragraph: where the store stands and what changed since the last report."""
    latest = metrics["latest_scan"]
    if latest is None:
        return "No scan has run yet, so there is nothing to report on the store's data."
    severe = latest["by_severity"]["critical"] + latest["by_severity"]["high"]
    text = (
        f"The latest scan ({latest['scanned_at'][:10]}) has {severe} critical or high finding(s) and an expectation pass rate of "
        f"{(latest['pass_rate'] or 0) * 100:.1f}%."
    )
    open_obligations = sum(len(i["open_obligations"]) for i in metrics["incidents"])
    if metrics["incidents"]:
        text += f" {len(metrics['incidents'])} incident(s) are tracked with {open_obligations} obligation(s) still open."
    if previous and previous.get("latest_scan"):
        before = previous["latest_scan"]
        delta = severe - (before["by_severity"]["critical"] + before["by_severity"]["high"])
        pans = latest["affected_rows_by_kind"]["plaintext_pan"] - before["affected_rows_by_kind"]["plaintext_pan"]
        new_incidents = len(metrics["incidents"]) - len(previous.get("incidents", []))
        text += (
            f" Since the last report: critical and high findings {'+' if delta >= 0 else ''}{delta}, rows with plaintext card "
            f"numbers {'+' if pans >= 0 else ''}{pans}, new incidents {new_incidents}."
        )
    else:
        text += " This is the first report, so there is no earlier one to compare with."
    return text


def metrics_csv(metrics: dict[str, Any]) -> str:
    """Flat metric,scope,value rows of the trend and incidents."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scanned_at", "run_id", "metric", "value"])
    for run in metrics["trend"]:
        for severity, value in run["by_severity"].items():
            writer.writerow([run["scanned_at"], run["run_id"], f"findings_{severity}", value])
        for kind, value in run["affected_rows_by_kind"].items():
            writer.writerow([run["scanned_at"], run["run_id"], f"rows_{kind}", value])
        writer.writerow([run["scanned_at"], run["run_id"], "pass_rate", run["pass_rate"]])
    for incident in metrics["incidents"]:
        writer.writerow([metrics["generated_at"], incident["incident_id"], "individuals", incident["individuals"]])
        writer.writerow([metrics["generated_at"], incident["incident_id"], "open_obligations", len(incident["open_obligations"])])
        writer.writerow(
            [metrics["generated_at"], incident["incident_id"], "notified_rate", incident["delivery"]["notified_rate"]]
        )
        writer.writerow(
            [
                metrics["generated_at"],
                incident["incident_id"],
                "exposure_consumers_counted",
                incident["exposure"]["consumers_counted"],
            ]
        )
        writer.writerow([metrics["generated_at"], incident["incident_id"], "exposure_min_usd", incident["exposure"]["min_usd"]])
        writer.writerow([metrics["generated_at"], incident["incident_id"], "exposure_max_usd", incident["exposure"]["max_usd"]])
    return out.getvalue()


def charts(metrics: dict[str, Any]) -> dict[str, str]:
    """The report's SVG charts."""
    trend = metrics["trend"]
    labels = [t["scanned_at"][:10] for t in trend]
    severity = line_chart(
        "severity",
        "Findings by severity, per scan run",
        f"Number of findings of each severity over the last {len(trend)} scan runs; the table below gives every value.",
        labels,
        [Series(s.capitalize(), [t["by_severity"][s] for t in trend]) for s in ("critical", "high", "medium", "low")],
    )
    card = line_chart(
        "cards",
        "Rows with plaintext card numbers, stored security codes and unencrypted secrets",
        "Rows found per scan run for the three most serious kinds of finding; the table below gives every value.",
        labels,
        [
            Series("Plaintext card numbers", [t["affected_rows_by_kind"]["plaintext_pan"] for t in trend]),
            Series("Stored security codes", [t["affected_rows_by_kind"]["stored_cvv"] for t in trend]),
            Series("Unencrypted secrets", [t["affected_rows_by_kind"]["unencrypted_value"] for t in trend]),
        ],
    )
    rate = line_chart(
        "passrate",
        "Expectation pass rate, per scan run",
        "Share of checks with no finding per scan run.",
        labels,
        [Series("Pass rate", [(t["pass_rate"] or 0) * 100 for t in trend])],
        percent=True,
    )
    return {"severity": severity, "cards": card, "pass_rate": rate}


def render_report(metrics: dict[str, Any]) -> str:
    """The self-contained HTML report."""
    return render_page(
        TEMPLATES,
        "compliance_report.html.j2",
        title="Compliance report",
        m=metrics,
        charts=charts(metrics) if metrics["trend"] else {},
        kinds=KINDS,
    )


def build_report(lake: Lake, run_key: str, now: datetime | None = None) -> dict[str, Any]:
    """metrics.json, metrics.csv and report.html under reports/<run>/."""
    now = now or datetime.now(UTC)
    previous = None
    if lake.exists(keys.REPORT_POINTER):
        previous_key = json.loads(lake.get(keys.REPORT_POINTER))["metrics"]
        if not previous_key.startswith(keys.report_prefix(run_key) + "/") and lake.exists(previous_key):
            previous = json.loads(lake.get(previous_key))
    metrics = build_metrics(lake, now, previous)
    outputs = [
        lake.put(keys.report_file(run_key, "metrics.json"), json.dumps(metrics, indent=2).encode()).as_dict(),
        lake.put(keys.report_file(run_key, "metrics.csv"), metrics_csv(metrics).encode()).as_dict(),
        lake.put(keys.report_file(run_key, "report.html"), render_report(metrics).encode()).as_dict(),
    ]
    pointer = {"metrics": keys.report_file(run_key, "metrics.json"), "generated_at": metrics["generated_at"]}
    outputs.append(lake.put(keys.REPORT_POINTER, json.dumps(pointer).encode()).as_dict())
    return {"outputs": outputs, "summary": metrics["summary"]}
