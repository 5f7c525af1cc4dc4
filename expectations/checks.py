"""Checks the custom expectations and the pipeline share: card numbers in free text and Magento ciphertext formats.

Pure standard-library functions, so Great Expectations (expectations/custom.py) and the pipeline (include/) use
one definition without importing each other. Card detection follows PII-MAP.md section 9: candidate pattern,
Luhn and issuer prefix.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

CANDIDATE = re.compile(r"(?<!\d)(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})(?!\d)")
ISSUER_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3(?:0[0-5]|[689])|6(?:011|5|4[4-9]|22)|35|62|50|5[6-9]|6[0-9])")
_DIGIT_RUN = re.compile(r"\d{4}")
ENC_SODIUM = re.compile(
    r"^(?P<key_version>\d+):3:(?P<b64>(?:[A-Za-z0-9+/]{4}){9,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4}))$"
)
ENC_ANY = re.compile(r"^\d+:(?:[0-3]:[A-Za-z0-9+/]+={0,2}|2:[A-Za-z0-9]{32}:[A-Za-z0-9+/]+={0,2})$")
ENC_LEGACY = re.compile(r"^\d+:[0-2]:")
MIN_SODIUM_PAYLOAD = 28  # 12-byte nonce + 16-byte tag around an empty plaintext


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def find_pans(text: str | None) -> Iterator[str]:
    """Yield each substring of text that is a plausible payment card number."""
    if not text or not _DIGIT_RUN.search(text):
        return
    for match in CANDIDATE.finditer(text):
        digits = match.group(0).replace(" ", "").replace("-", "")
        if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and ISSUER_PREFIX.match(digits) and luhn_ok(digits):
            yield match.group(0)


def contains_pan(text: object) -> bool:
    """True when a value (str or bytes) holds at least one plausible card number."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return isinstance(text, str) and next(find_pans(text), None) is not None


def is_magento_ciphertext(value: object) -> bool:
    """True for a value in any Magento Encryptor format; sodium values must also decode to a full payload."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str) or not ENC_ANY.match(value):
        return False
    sodium = ENC_SODIUM.match(value)
    if value.split(":", 2)[1] == "3":
        return sodium is not None and len(base64.b64decode(sodium["b64"])) >= MIN_SODIUM_PAYLOAD
    return True
