"""Test card numbers for the demo store: Luhn-valid, issuer-prefixed, written the ways people paste them."""

from __future__ import annotations

import random

from expectations.checks import luhn_ok


def luhn_check_digit(body: str) -> str:
    """The digit that makes body + digit pass Luhn."""
    for digit in "0123456789":
        if luhn_ok(body + digit):
            return digit
    raise AssertionError("unreachable")


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
