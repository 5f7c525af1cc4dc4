"""Obligations switched on by what the business is: NYDFS-covered, a GLBA financial institution under the FTC, an
insurance licensee (state insurance data security laws), an SEC registrant (Form 8-K Item 1.05), a card merchant
(card brands and the acquirer under PCI DSS 12.10.1, contractual deadlines, flagged)."""

from __future__ import annotations

from typing import Any

from include.legal.assess import assess_group
from include.legal.clock import apply_deadline, clock_time, zone_names
from include.legal.inputs import Affected
from include.legal.model import Context, Obligation, meets, threshold_text


def _obligation(
    ctx: Context, rule: dict[str, Any], spec: dict[str, Any], count: int, required: bool, reason: str, notes: list[str]
) -> Obligation:
    """One entity-rule obligation, due from its own clock in the business's and the rule's zones."""
    deadline = spec["deadline"]
    clock_event = deadline.get("clock")
    clock_at = clock_time(ctx.incident, clock_event, notes) if clock_event else None
    zones = zone_names(ctx.incident, spec if spec.get("timezone") else rule)
    jurisdiction = spec.get("state") or rule["jurisdiction"]
    due = apply_deadline(clock_at, deadline, jurisdiction, zones) if required else None
    if required and due is None and deadline.get("text"):
        reason += f"; {deadline['text']}"
    return Obligation(
        id=f"{rule['jurisdiction']}/{spec['id']}",
        jurisdiction=rule["jurisdiction"],
        recipient=spec["recipient"],
        name=spec["name"],
        required=required,
        reason=reason,
        affected_count=count,
        due=due,
        clock_event=clock_event,
        clock_at=clock_at,
        citation=spec.get("citation") or rule["statute"],
        review_notes=notes if required else [],
        timing=spec.get("timing", "independent"),
        timezones=zones,
        extra={k: spec[k] for k in ("content", "form_url", "contact", "filing") if spec.get(k)},
    )


def _notes(rule: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    return [n for n in (spec.get("needs_legal_review"), rule.get("needs_legal_review")) if n]


def _notifiable(ctx: Context, rule: dict[str, Any], affected: Affected, jurisdiction: str | None = None) -> int:
    groups = [g for g in affected.groups if jurisdiction is None or g.jurisdiction == jurisdiction]
    return sum(g.count for g in groups if assess_group(rule, ctx.rules, g).status == "notify")


def nydfs(ctx: Context, rule: dict[str, Any], affected: Affected) -> list[Obligation]:
    """23 NYCRR 500.17: the superintendent within 72 hours of determining an incident; extortion payments."""
    count = sum(g.count for g in affected.groups)
    spec = rule["regulators"][0]
    reason = "cybersecurity incident at a covered entity: notify the superintendent within 72 hours of determining it occurred"
    obligations = [_obligation(ctx, rule, spec, count, True, reason, _notes(rule, spec))]
    for event in rule.get("event_obligations") or []:
        paid = ctx.incident.extortion_paid_at is not None
        why = "extortion payment made" if paid else "only if an extortion payment is made (none recorded: extortion_paid_at)"
        obligations.append(_obligation(ctx, rule, {**event, "timing": "independent"}, count, paid, why, _notes(rule, event)))
    return obligations


def ftc(ctx: Context, rule: dict[str, Any], affected: Affected) -> list[Obligation]:
    """16 CFR 314.4(j): the FTC within 30 days of discovering a notification event of 500 or more consumers."""
    count = _notifiable(ctx, rule, affected)
    spec = rule["regulators"][0]
    required = count > 0 and meets(count, spec["threshold"])
    reason = (
        f"notification event affecting {count} consumer(s) (unencrypted customer information), threshold "
        f"{threshold_text(spec['threshold'])}"
        if required
        else f"below threshold: {count} consumer(s), the threshold is {threshold_text(spec['threshold'])}"
    )
    return [_obligation(ctx, rule, spec, count, required, reason, _notes(rule, spec))]


def insurance(ctx: Context, rule: dict[str, Any], affected: Affected) -> list[Obligation]:
    """Insurance data security laws: the commissioner of each adopting state with 250 or more affected residents."""
    spec = rule["regulators"][0]
    obligations = []
    for state in rule["adopting_states"]["states"]:
        count = _notifiable(ctx, rule, affected, state["state"])
        if not count:
            continue
        required = meets(count, spec["threshold"])
        deadline = state.get("deadline") or spec["deadline"]
        notes = [
            *_notes(rule, spec),
            f"{state['state']}: {state.get('deadline_source') or 'the Model Law default (72 hours) is used'}.",
        ]
        if not required:
            notes = []
        reason = (
            f"{count} affected resident(s) of {state['state']}, threshold {threshold_text(spec['threshold'])} "
            "(or in the licensee's home state at any number)"
        )
        state_rule = ctx.rules.for_jurisdiction(state["state"])
        entry = {
            **spec,
            "id": f"commissioner_{state['state'][3:].lower()}",
            "name": f"Insurance commissioner of {state_rule['name']}",
            "deadline": deadline,
            "state": state["state"],
            "timezone": state_rule.get("timezone"),
            "citation": state.get("citation") or spec["citation"],
        }
        obligations.append(_obligation(ctx, rule, entry, count, required, reason, notes))
    return obligations


def sec(ctx: Context, rule: dict[str, Any], affected: Affected) -> list[Obligation]:
    """Form 8-K Item 1.05: four business days after the registrant determines the incident is material."""
    spec = rule["regulators"][0]
    count = sum(g.count for g in affected.groups)
    materiality = ctx.incident.materiality
    notes = _notes(rule, spec)
    if materiality is None:
        reason = "pending: determine materiality without unreasonable delay after discovery; then file within 4 business days"
        return [_obligation(ctx, rule, spec, count, True, reason, notes)]
    if not materiality.material:
        day = materiality.determined_at.date().isoformat()
        return [_obligation(ctx, rule, spec, count, False, f"not material (determined {day}): no Item 1.05 filing", [])]
    return [
        _obligation(
            ctx, rule, spec, count, True, "material cybersecurity incident: 4 business days after the determination", notes
        )
    ]


def card_brands(ctx: Context, rule: dict[str, Any], affected: Affected) -> list[Obligation]:
    """The acquirer and the card brands (contractual), when card account data was or may have been exposed."""
    count = _notifiable(ctx, rule, affected)
    obligations = []
    for spec in rule["regulators"]:
        notes = [*_notes(rule, spec), "Contractual deadline: confirm against the merchant agreement and current brand rules."]
        reason = f"card account data of {count} person(s) exposed" if count else "no card account data exposed"
        obligations.append(_obligation(ctx, rule, spec, count, count > 0, reason, notes))
        for step in spec.get("follow_ups") or []:
            entry = {**spec, "id": step["id"], "name": f"{spec['name']}: {step['what']}", "deadline": step["deadline"]}
            obligations.append(_obligation(ctx, rule, entry, count, count > 0, f"{reason}; {step['source']}", list(notes)))
    return obligations


HANDLERS = {
    "nydfs_covered": nydfs,
    "glba_financial_institution": ftc,
    "insurance_licensee": insurance,
    "sec_registrant": sec,
    "card_merchant": card_brands,
}


def entity_obligations(ctx: Context, affected: Affected, entity_type: str) -> list[Obligation]:
    """Obligations switched on by what the business is."""
    return HANDLERS[entity_type](ctx, ctx.rules.for_entity_type(entity_type), affected)
