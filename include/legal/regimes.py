"""Risk-based regimes (GDPR, UK GDPR, PIPEDA, the Swiss FADP, Australia's notifiable data breaches, other countries):
a report to the authority and a notice to people, both owed on a risk judgment the engine lists but never makes.

Where the regime has an encryption exemption (GDPR Art. 34(3)(a)), encrypted data with the key safe is a documented
judgment for the authority and no notice to people; where it has none (PIPEDA, FADP, the Privacy Act 1988),
encryption is only a factor in the risk assessment, so encrypted groups still count.
"""

from __future__ import annotations

from typing import Any

from include.legal.assess import assess_group
from include.legal.clock import apply_deadline, clock_time, zone_names
from include.legal.inputs import AffectedGroup
from include.legal.model import Context, Obligation


def _place(jurisdiction: str) -> str:
    return jurisdiction.split("-", 1)[1] if "-" in jurisdiction else jurisdiction


def _authority(
    ctx: Context, jurisdiction: str, rule: dict[str, Any], regulator: dict[str, Any], counts: tuple[int, int]
) -> Obligation:
    """One report to an authority (or another organisation) under a risk-based regime."""
    exposed, clear = counts
    notes: list[str] = [regulator["needs_legal_review"]] if regulator.get("needs_legal_review") else []
    deadline = regulator["deadline"]
    clock_event = deadline.get("clock") or "discovery"
    clock_at = clock_time(ctx.incident, clock_event, notes) or ctx.incident.discovered_at
    zones = zone_names(ctx.incident, rule)
    determination = ctx.determination(jurisdiction)
    required = clear > 0 and determination is None
    obligation = Obligation(
        id=f"{jurisdiction}/{regulator['id']}",
        jurisdiction=jurisdiction,
        recipient=regulator["recipient"],
        name=regulator["name"],
        required=required,
        reason="",
        affected_count=exposed,
        due=apply_deadline(clock_at, deadline, jurisdiction, zones) if required else None,
        clock_event=clock_event,
        clock_at=clock_at,
        citation=regulator["citation"],
        review_notes=notes,
        timing=regulator.get("timing", "independent"),
        timezones=zones,
        extra={k: regulator[k] for k in ("content", "form_url", "contact", "filing") if regulator.get(k)},
    )
    if determination is not None and clear:
        obligation.reason = (
            f"not required: documented assessment on {determination.determined_at.date().isoformat()} that the breach is "
            f"unlikely to result in a risk ({rule['risk_of_harm']['citation'] if rule.get('risk_of_harm') else rule['statute']})"
        )
        obligation.review_notes.append("A decision not to report must be recorded with its reasons (see the records duty).")
    elif clear:
        hours = f"{deadline['hours']} hours from awareness" if deadline.get("unit") == "hours" else deadline.get("text", "")
        obligation.reason = f"{clear} person(s) in {_place(jurisdiction)} with personal data exposed; {hours}".rstrip("; ")
        if deadline.get("unit") == "hours":
            obligation.reason += "; a later report must give the reasons for the delay"
    elif exposed:
        obligation.reason = (
            f"not required if {regulator.get('encryption_exception', 'the data was unintelligible (encrypted, key safe)')}"
        )
        obligation.review_notes.append("The encryption exception is a documented judgment, not automatic.")
    else:
        obligation.reason = "no data subject affected"
    return obligation


def _people(jurisdiction: str, rule: dict[str, Any], counts: tuple[int, int], clock_at: Any, zones: list[str]) -> Obligation:
    exposed, clear = counts
    spec = rule["individual_notice"]
    notes = [spec["needs_legal_review"]] if spec.get("needs_legal_review") and clear else []
    if clear:
        reason = f"{clear} person(s); {spec['deadline'].get('text', 'without undue delay')} (no fixed period)"
    elif exposed:
        reason = f"encryption: the data was unintelligible to the attacker ({rule['safe_harbor']['citation']})"
    else:
        reason = "no data subject affected"
    return Obligation(
        id=f"{jurisdiction}/individuals",
        jurisdiction=jurisdiction,
        recipient="individuals",
        name=f"Data subjects in {_place(jurisdiction)}",
        required=clear > 0,
        reason=reason,
        affected_count=clear,
        due=None,
        clock_event=spec["deadline"].get("clock") or "awareness",
        clock_at=clock_at,
        citation=spec["citation"],
        review_notes=notes,
        timezones=zones,
    )


def _extras(ctx: Context, jurisdiction: str, rule: dict[str, Any], clear: int, zones: list[str]) -> list[Obligation]:
    """The assessment duty (Australia) and the breach register (GDPR Art. 33(5) and equivalents)."""
    extras = []
    assessment = rule.get("assessment")
    if assessment and clear:
        notes = [assessment["needs_legal_review"]] if assessment.get("needs_legal_review") else []
        at = clock_time(ctx.incident, assessment["deadline"]["clock"], notes) or ctx.incident.discovered_at
        done = ctx.incident.determined_at is not None
        extras.append(
            Obligation(
                id=f"{jurisdiction}/assessment",
                jurisdiction=jurisdiction,
                recipient="records",
                name="Assessment of a suspected eligible data breach",
                required=not done,
                reason="assessment completed (a determination date was given)" if done else assessment["duty"],
                affected_count=clear,
                due=None if done else apply_deadline(at, assessment["deadline"], jurisdiction, zones),
                clock_event=assessment["deadline"]["clock"],
                clock_at=at,
                citation=assessment["citation"],
                review_notes=[] if done else notes,
                timezones=zones,
            )
        )
    records = rule.get("records")
    if records and records.get("all_breaches"):
        extras.append(
            Obligation(
                id=f"{jurisdiction}/breach_record",
                jurisdiction=jurisdiction,
                recipient="records",
                name="Internal breach register",
                required=True,
                reason=f"record the breach ({', '.join(records.get('content') or ['facts, effects, remedy'])}), reported or not",
                affected_count=clear,
                due=None,
                clock_event=None,
                clock_at=None,
                citation=records["citation"],
                timezones=zones,
            )
        )
    return extras


def risk_based_obligations(
    ctx: Context, jurisdiction: str, rule: dict[str, Any], groups: list[AffectedGroup]
) -> list[Obligation]:
    """Authority reports, the notice to people and the records duty for one country (or EU/EEA member state)."""
    assessments = [(g, assess_group(rule, ctx.rules, g)) for g in groups]
    exposed = sum(g.count for g, a in assessments if a.status in ("notify", "safe_harbor"))
    clear = sum(g.count for g, a in assessments if a.status == "notify")
    zones = zone_names(ctx.incident, rule)
    authorities = [_authority(ctx, jurisdiction, rule, r, (exposed, clear)) for r in rule.get("regulators") or []]
    clock_at = authorities[0].clock_at if authorities else ctx.incident.discovered_at
    people = _people(jurisdiction, rule, (exposed, clear), clock_at, zones)
    return [*authorities, people, *_extras(ctx, jurisdiction, rule, clear, zones)]
