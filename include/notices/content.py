"""What a notice says to one person: a pure function of the incident, the business, the person and the rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from include.config import Business
from include.legal.obligations import combination_matches
from include.legal.rules import RuleSet


def N_(message: str) -> str:
    """Mark a string for translation without translating it here."""
    return message


# Human labels (msgids; translated by the message catalogs) for the data elements a notice lists.
ELEMENT_LABELS = {
    "user.name": N_("your name"),
    "user.name.first": N_("your name"),
    "user.name.last": N_("your name"),
    "user.contact.email": N_("your email address"),
    "user.contact.phone_number": N_("your telephone number"),
    "user.contact.fax_number": N_("your fax number"),
    "user.contact.address": N_("your postal address"),
    "user.contact.address.street": N_("your postal address"),
    "user.contact.address.city": N_("your postal address"),
    "user.contact.address.state": N_("your postal address"),
    "user.contact.address.postal_code": N_("your postal address"),
    "user.contact.address.country": N_("your postal address"),
    "user.demographic.date_of_birth": N_("your date of birth"),
    "user.demographic.gender": N_("your gender"),
    "user.government_id": N_("a government identification or tax number"),
    "user.government_id.national_identification_number": N_("your Social Security number or taxpayer identification number"),
    "user.government_id.drivers_license_number": N_("your driver's license number"),
    "user.government_id.passport_number": N_("your passport number"),
    "user.authorization.password": N_("your account password (stored in scrambled, hashed form)"),
    "user.authorization.credentials": N_("a security code or access token linked to your account"),
    "user.authorization.card_security_code": N_("your payment card's security code (CVV)"),
    "user.account": N_("details of your online account"),
    "user.account.username": N_("your user name"),
    "user.financial": N_("part of your payment card details (last four digits and expiry date)"),
    "user.financial.credit_card": N_("your payment card number"),
    "user.financial.bank_account": N_("your bank account number"),
    "user.financial.tax_information": N_("your tax information"),
    "user.payment": N_("payment transaction details"),
    "user.device.ip_address": N_("the internet (IP) address you used"),
    "user.content.private": N_("notes or messages you sent us"),
    "user.content.public": N_("reviews you posted"),
    "user.behavior.browsing_history": N_("when you last visited our store"),
    "user.behavior.purchase_history": N_("your order history"),
    "user.professional_information.workplace": N_("your company name"),
    "user.unique_id": N_("account reference numbers"),
    "user.unique_id.deterministic": N_("account reference numbers"),
    "user.health": N_("health or medical information"),
    "user.genetic": N_("genetic information"),
    "user": N_("other personal information"),
}

CREDIT_REPORTING_AGENCIES = (
    {
        "name": "Equifax",
        "phone": "1-800-685-1111",
        "address": "P.O. Box 740241, Atlanta, GA 30374-0241",
        "web": "www.equifax.com",
    },
    {"name": "Experian", "phone": "1-888-397-3742", "address": "P.O. Box 9554, Allen, TX 75013", "web": "www.experian.com"},
    {"name": "TransUnion", "phone": "1-888-909-8872", "address": "P.O. Box 2000, Chester, PA 19016", "web": "www.transunion.com"},
)
GOVERNMENT_ID = "user.government_id"


@dataclass(frozen=True)
class IncidentFacts:
    """What the notice says about the incident (no personal data)."""

    incident_id: str
    description: str
    breach_start: date | None
    breach_end: date | None
    discovered: date
    notice_date: date
    law_enforcement_delay: bool
    measures: str


@dataclass
class NoticeContext:
    """Everything a template needs for one person (the only personal data is name, address and email)."""

    business: Business
    incident: IncidentFacts
    first_name: str
    last_name: str
    postal_lines: list[str]
    email: str | None
    jurisdiction: str
    language: str
    elements: list[str]
    credentials_only: bool
    password_exposed: bool
    show_cra_contacts: bool
    credit_monitoring_months: int | None
    variant: str
    required: list[str]
    forbidden: list[str]
    notice_url: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        """The name as every notice shows it: first and last joined, outer whitespace removed (empty: "Dear customer")."""
        return f"{self.first_name} {self.last_name}".strip()

    def shows(self, item: str) -> bool:
        """Whether a content item belongs in this variant (forbidden items never appear)."""
        return item not in self.forbidden


def element_labels(elements: list[str]) -> list[str]:
    """Plain-language labels for exposed elements, deduplicated, in a stable order."""
    labels: list[str] = []
    for element in sorted(elements):
        category = element
        label = ELEMENT_LABELS.get(category)
        while label is None and "." in category:
            category = category.rsplit(".", 1)[0]
            label = ELEMENT_LABELS.get(category)
        label = label or ELEMENT_LABELS["user"]
        if label not in labels:
            labels.append(label)
    return labels


def variant_for(jurisdiction: str, rules: RuleSet) -> tuple[str, list[str], list[str]]:
    """Template variant name and the required / forbidden content items of the person's rule."""
    rule = rules.for_jurisdiction("US-CA") if jurisdiction == "UNKNOWN" else rules.for_jurisdiction(jurisdiction)
    content = rule.get("content") or {}
    variant = "gdpr" if jurisdiction.startswith("EU-") else "us-ma" if jurisdiction == "US-MA" else "us-standard"
    return variant, list(content.get("required", [])), list(content.get("forbidden", []))


NON_CREDENTIAL_COMBINATIONS = (
    "name_ssn",
    "name_government_id",
    "name_account_with_code",
    "account_with_code",
    "name_account_number",
    "name_medical",
    "name_biometric",
    "name_genetic",
)


def is_credentials_only(elements: list[str], rules: RuleSet) -> bool:
    """True when the only personal-information combination exposed is user name/email + password (a CVV is not one)."""
    exposed = set(elements)
    general = [name for name in NON_CREDENTIAL_COMBINATIONS if combination_matches(rules.combinations[name], exposed)]
    return not general and combination_matches(rules.combinations["online_credentials"], exposed)


def build_context(
    *,
    business: Business,
    incident: IncidentFacts,
    person: dict[str, Any],
    rules: RuleSet,
    credit_monitoring_months: int | None,
    notice_url: str,
) -> NoticeContext:
    """The notice context for one person (a row of the affected-individuals table, or a synthetic person)."""
    variant, required, forbidden = variant_for(person["jurisdiction"], rules)
    elements = list(person["data_elements"])
    postal = [line for line in str(person.get("street") or "").split("\n") if line]
    city_line = " ".join(str(p) for p in (person.get("city"), person.get("region"), person.get("postcode")) if p)
    if city_line:
        postal.append(city_line)
    if person.get("country_id"):
        postal.append(str(person["country_id"]))
    return NoticeContext(
        business=business,
        incident=incident,
        first_name=str(person.get("firstname") or ""),
        last_name=str(person.get("lastname") or ""),
        postal_lines=postal,
        email=person.get("email"),
        jurisdiction=person["jurisdiction"],
        language=person.get("language") or "en",
        elements=element_labels(elements),
        credentials_only=is_credentials_only(elements, rules),
        password_exposed=bool({"user.authorization.password", "user.authorization.credentials"} & set(elements)),
        show_cra_contacts=any(e == GOVERNMENT_ID or e.startswith(GOVERNMENT_ID + ".") for e in elements),
        credit_monitoring_months=credit_monitoring_months,
        variant=variant,
        required=required,
        forbidden=forbidden,
        notice_url=notice_url,
    )


def synthetic_person(jurisdiction: str, language: str) -> dict[str, Any]:
    """The reviewers' sample person: no real data, every element that changes the notice's content."""
    return {
        "firstname": "Alex",
        "lastname": "Sample",
        "email": "alex.sample@example.com",
        "street": "1 Example Way\nSuite 100",
        "city": "Sampletown",
        "region": jurisdiction[3:] if jurisdiction.startswith("US-") else "",
        "postcode": "00000",
        "country_id": jurisdiction[3:] if jurisdiction.startswith("EU-") else "US",
        "jurisdiction": jurisdiction,
        "language": language,
        "data_elements": [
            "user.name.first",
            "user.name.last",
            "user.contact.email",
            "user.contact.address.street",
            "user.government_id.national_identification_number",
            "user.authorization.password",
            "user.financial",
        ],
    }


def incident_facts(trigger: Any, notice_date: date, description: str | None = None) -> IncidentFacts:
    """Incident facts for notices from a validated trigger."""

    def day(value: datetime | None) -> date | None:
        return value.date() if value else None

    return IncidentFacts(
        incident_id=trigger.incident_id,
        description=description or getattr(trigger, "notice_description", None) or DEFAULT_DESCRIPTION,
        breach_start=day(trigger.breach_start),
        breach_end=day(trigger.breach_end),
        discovered=trigger.discovered_at.date(),
        notice_date=notice_date,
        law_enforcement_delay=trigger.law_enforcement_delay is not None,
        measures=getattr(trigger, "notice_measures", None) or DEFAULT_MEASURES,
    )


DEFAULT_DESCRIPTION = N_("An unauthorized person gained access to part of the database behind our online store.")
DEFAULT_MEASURES = N_(
    "We closed the access, reset the affected credentials, engaged outside security experts and are "
    "reviewing our systems. We have reported the incident to the authorities where the law requires it."
)
