"""Readiness checks run in every drill: each passes or fails with what to fix (counts and settings, no personal data)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd

from include.config import Business, Config
from include.lake import crypto
from include.lake.store import Lake, S3Lake
from include.notices.render import LOCALES

CONTACTABLE_SHARE = 0.9  # below this, a jurisdiction's notices lean on substitute notice
TOLL_FREE = re.compile(r"^\+?1[-. ]?\(?(800|833|844|855|866|877|888)\)?[-. ]?\d{3}[-. ]?\d{4}$")
NO_CONTACT_NEEDED = {"individuals", "records", "consumer_reporting_agencies"}  # internal, or the three national CRAs
SENDER_PREFIX = "AIRFLOW_CONN_EXCHANGE_SENDER_"


class Check(TypedDict):
    """One readiness check."""

    check: str
    ok: bool
    fix: str | None
    detail: str


def check(name: str, problems: list[str], fix: str, passed: str) -> Check:
    """A check that fails when there are problems, naming the first few."""
    if not problems:
        return Check(check=name, ok=True, fix=None, detail=passed)
    shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    return Check(check=name, ok=False, fix=f"{fix}: {shown}", detail=f"{len(problems)} problem(s)")


def contact_coverage(individuals: pd.DataFrame) -> Check:
    """Per jurisdiction, the share of affected people with a usable email or postal address."""
    reachable = individuals["email_valid"].astype(bool) | individuals["postal_valid"].astype(bool)
    shares = reachable.groupby(individuals["jurisdiction"]).mean()
    low = [f"{j} {share:.0%}" for j, share in shares.items() if share < CONTACTABLE_SHARE]
    fix = f"collect email or postal addresses (under {CONTACTABLE_SHARE:.0%} reachable; substitute notice will be needed)"
    return check("contact_coverage", low, fix, f"{len(shares)} jurisdiction(s) at or over {CONTACTABLE_SHARE:.0%}")


def translations(languages: Iterable[str], locales: Path = LOCALES) -> Check:
    """A message catalogue for every language the store serves (English is the templates' own)."""
    missing = sorted(lang for lang in set(languages) - {"en"} if not (locales / lang / "LC_MESSAGES" / "messages.po").is_file())
    fix = "add the notice translation (pybabel init -d include/notices/locale -l <lang>) for"
    return check("translations", missing, fix, f"catalogues for {', '.join(sorted(set(languages))) or 'en'}")


def business_contact(business: Business | None) -> Check:
    """The business name, email and a toll-free number the notices give (None: they would fall back to the demo's)."""
    if business is None:
        problems = ["neither the store's Store Information nor BUSINESS_NAME names the business"]
        return check("business_contact", problems, "set Store Information in Magento or the BUSINESS_* settings", "")
    problems = [f"{name} is empty" for name in ("name", "email", "address") if not getattr(business, name)]
    if not TOLL_FREE.match(business.phone or ""):
        problems.append("the phone is not a US toll-free number (several states require one)")
    fix = "complete Store Information in Magento (or BUSINESS_NAME, BUSINESS_EMAIL, BUSINESS_ADDRESS, BUSINESS_PHONE)"
    return check("business_contact", problems, fix, "set")


def regulator_contacts(obligations: list[dict[str, Any]]) -> Check:
    """Every regulator the scenario owes a notice names where it is filed (form URL or contact)."""
    missing = [
        o["id"]
        for o in obligations
        if o.get("required") and o.get("recipient") not in NO_CONTACT_NEEDED and not (o.get("form_url") or o.get("contact"))
    ]
    fix = "add form_url or contact to the rule in include/legal/jurisdictions/ for"
    return check("regulator_contacts", missing, fix, "every owed regulator has a form or contact")


def lake_keys(lake: Lake) -> Check:
    """The lake key ring encrypts and decrypts (and reaches KMS when the key is there)."""
    try:
        wrapper = crypto.default_wrapper()
        ok = crypto.decrypt(crypto.encrypt(b"drill", wrapper, "drill/probe"), wrapper, "drill/probe") == b"drill"
    except Exception as error:  # any failure of the key or KMS is what this check exists to report
        return check("lake_keys", [type(error).__name__], "fix the lake_encryption connection", "")
    return check("lake_keys", [] if ok else ["round trip differs"], "fix the lake_encryption connection", "usable")


def object_lock(lake: Lake) -> Check:
    """The evidence bucket has S3 Object Lock on (a file lake cannot lock anything)."""
    fix = "keep the lake in an S3 bucket created with Object Lock"
    if not isinstance(lake, S3Lake):
        return check("object_lock", ["the lake is a local folder"], fix, "")
    try:
        found = lake.client.get_object_lock_configuration(Bucket=lake.bucket)["ObjectLockConfiguration"]
    except Exception as error:  # no configuration is an error from S3
        return check("object_lock", [f"bucket {lake.bucket}: {type(error).__name__}"], fix, "")
    enabled = found.get("ObjectLockEnabled") == "Enabled"
    return check("object_lock", [] if enabled else [f"bucket {lake.bucket}: not enabled"], fix, "enabled")


def approvers(config: Config) -> Check:
    """Named approvers for the legal approval step (otherwise anyone allowed to answer it may)."""
    problems = [] if config.notice_approvers else ["NOTICE_APPROVERS is empty"]
    return check("approvers", problems, "set NOTICE_APPROVERS to legal's Airflow user names", ", ".join(config.notice_approvers))


def intake_senders(env: Mapping[str, str] | None = None) -> Check:
    """At least one SIEM sender registered for alert intake, each with its HMAC secret."""
    env = os.environ if env is None else env
    senders = {k: v for k, v in env.items() if k.startswith(SENDER_PREFIX)}
    problems = [] if senders else ["no exchange_sender_<name> connection"]
    problems += [f"{k.removeprefix(SENDER_PREFIX).lower()}: no secret" for k, v in senders.items() if '"password"' not in v]
    fix = "register the SIEM as AIRFLOW_CONN_EXCHANGE_SENDER_<NAME> with its HMAC secret in password"
    return check("intake_senders", problems, fix, f"{len(senders)} sender(s)")
