"""Payment card numbers in free text: candidate pattern, Luhn and issuer prefix, as in PII-MAP.md section 9."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

CANDIDATE = re.compile(r"(?<!\d)(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})(?!\d)")
ISSUER_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3(?:0[0-5]|[689])|6(?:011|5|4[4-9]|22)|35|62|50|5[6-9]|6[0-9])")
_DIGIT_RUN = re.compile(r"\d{4}")


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes body + digit pass Luhn."""
    for digit in "0123456789":
        if luhn_ok(body + digit):
            return digit
    raise AssertionError("unreachable")


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


def make_pan(rng: random.Random, prefix: str, length: int) -> str:
    """A Luhn-valid test card number with the given issuer prefix."""
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def format_pan(pan: str, style: str) -> str:
    """Write a card number the ways people paste them: plain, spaced or dashed (4-4-4-4 or Amex 4-6-5)."""
    if style == "plain":
        return pan
    separator = " " if style == "spaced" else "-"
    groups = (4, 6, 5) if len(pan) == 15 else (4, 4, 4, 4, 3)
    parts, start = [], 0
    for size in groups:
        if start < len(pan):
            parts.append(pan[start : start + size])
            start += size
    return separator.join(parts)
