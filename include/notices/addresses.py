"""Email addresses as data: one strict parser (email-validator) for every address the store gives us.

An address is one mailbox: no display name, no comments, no quoting, no lists, no domain literals. What comes out
is the normalised address and, when the local part is ASCII, its ASCII form (IDNA domain) for relays and APIs
without SMTPUTF8. Nothing here logs or raises with the address in the message.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email


@dataclass(frozen=True)
class Mailbox:
    """One validated address: `normalized` (Unicode), `ascii` (None when the local part needs SMTPUTF8)."""

    normalized: str
    ascii: str | None

    @property
    def needs_smtputf8(self) -> bool:
        """True when only a relay offering SMTPUTF8 can carry it."""
        return self.ascii is None


def parse_mailbox(raw: object) -> Mailbox | None:
    """The one mailbox in raw, or None when raw is not exactly one valid address (never raises)."""
    if not isinstance(raw, str) or not raw or raw != raw.strip() or len(raw) > 320:
        return None
    try:
        valid = validate_email(
            raw,
            check_deliverability=False,
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
        )
    except (EmailNotValidError, ValueError, UnicodeError):
        return None
    return Mailbox(normalized=valid.normalized, ascii=valid.ascii_email)


def is_valid_mailbox(raw: object) -> bool:
    """True when raw is exactly one valid address."""
    return parse_mailbox(raw) is not None
