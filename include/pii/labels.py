"""Plain words for the PII map's categories and tables, as the trigger form shows them to legal and responders."""

from __future__ import annotations

from include.pii.map import PiiMap

SHOWN_KINDS = 3  # a selected choice is a chip in the form: longer labels squeeze the field's label
CATEGORY_WORDS = {
    "user.name": "names",
    "user.contact.email": "email addresses",
    "user.contact.address": "postal addresses",
    "user.contact.phone_number": "phone numbers",
    "user.contact.fax_number": "fax numbers",
    "user.contact": "contact details",
    "user.demographic.date_of_birth": "dates of birth",
    "user.demographic.gender": "gender",
    "user.demographic": "demographic details",
    "user.government_id": "government ids (SSN, tax, licence numbers)",
    "user.authorization.password": "password hashes",
    "user.authorization.card_security_code": "card security codes (CVV)",
    "user.authorization": "login credentials and access tokens",
    "user.financial.credit_card": "full card numbers",
    "user.financial.bank_account": "bank account numbers",
    "user.financial": "payment card details (last four digits, expiry)",
    "user.payment": "payment transactions",
    "user.account": "account details",
    "user.device.ip_address": "IP addresses",
    "user.device": "device details",
    "user.behavior": "browsing and purchase history",
    "user.content": "messages, notes and reviews",
    "user.unique_id": "reference numbers",
    "user.professional_information": "company names",
    "user.health": "health information",
    "user.genetic": "genetic information",
    "user.biometrics": "biometric data",
    "user": "other personal information",
}


def category_words(category: str) -> str:
    """The plain words for a fideslang category (the nearest parent that has some)."""
    while category not in CATEGORY_WORDS and "." in category:
        category = category.rsplit(".", 1)[0]
    return CATEGORY_WORDS.get(category, CATEGORY_WORDS["user"])


def category_display(categories: list[str]) -> dict[str, str]:
    """Each category as the form lists it: 'user.contact.email: email addresses'."""
    return {category: f"{category}: {category_words(category)}" for category in categories}


def table_display(pii_map: PiiMap) -> dict[str, str]:
    """Each PII table as the form lists it: its name and the kinds of personal data its columns hold."""
    display = {}
    for name, table in sorted(pii_map.tables.items()):
        words = list(dict.fromkeys(category_words(column.category) for column in table.columns.values()))
        more = f", +{len(words) - SHOWN_KINDS} more" if len(words) > SHOWN_KINDS else ""
        display[name] = f"{name}: {', '.join(words[:SHOWN_KINDS])}{more}"
    return display
