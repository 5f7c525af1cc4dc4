"""Bounded JSON parsing for anything that comes from outside the code: input files, lake documents, trigger payloads.

`json.loads` alone turns a 100,000-deep document into a RecursionError and a huge one into a memory spike; here
both become a JsonInputError (a ValueError) with one line saying what is wrong, where.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64
MAX_BYTES = 32 * 1024 * 1024


class JsonInputError(ValueError):
    """A JSON document is malformed, too large or nested too deeply; the message fits on one line."""


def _constant(token: str) -> float:
    raise JsonInputError(f"not valid JSON ({token} is not a number)")


def _finite(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise JsonInputError(f"not valid JSON (number {token[:20]} is out of range)")
    return value


def depth_of(document: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and objects nest (0 for a scalar); stops counting just past limit."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            if level > limit:
                return deepest
            stack.extend((child, level + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


def load_json(data: bytes | str, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """The parsed document, or JsonInputError (too large, nested deeper than max_depth, or not JSON)."""
    if len(data) > max_bytes:
        raise JsonInputError(f"larger than {max_bytes // (1024 * 1024)} MiB")
    try:
        document = json.loads(data, parse_constant=_constant, parse_float=_finite)
    except RecursionError:
        raise JsonInputError(f"nested deeper than {max_depth} levels") from None
    except JsonInputError:
        raise
    except json.JSONDecodeError as error:
        raise JsonInputError(f"not valid JSON (line {error.lineno}, column {error.colno})") from None
    except (UnicodeDecodeError, ValueError):
        raise JsonInputError("not valid JSON (not UTF-8 text)") from None
    if depth_of(document, max_depth) > max_depth:
        raise JsonInputError(f"nested deeper than {max_depth} levels")
    return document


def load_object(data: bytes | str, **limits: int) -> dict[str, Any] | None:
    """A JSON object, or None for anything else (malformed, too deep, too large, not an object)."""
    try:
        document = load_json(data, **limits)
    except JsonInputError:
        return None
    return document if isinstance(document, dict) else None
