"""Notices benchmark: renders per second per core against a bare Jinja2 render of the same template, and the time
to build the notification batches for N people (default one million).

    .venv/bin/python benchmarks/notices.py --people 1000000
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import tempfile
import time

from _common import machine, parser, peak_rss_mb

os.environ.setdefault(
    "AIRFLOW_CONN_LAKE_ENCRYPTION", json.dumps({"conn_type": "generic", "password": base64.b64encode(os.urandom(32)).decode()})
)

import jinja2
import pandas as pd

from include.config import DEMO_BUSINESS
from include.lake.store import open_lake
from include.legal.rules import load_rules
from include.notices.batches import NoticeSettings, build_batches
from include.notices.content import CREDIT_REPORTING_AGENCIES, build_context, synthetic_person
from include.notices.render import TEMPLATES, SkeletonRenderer, render
from include.notices.samples import SAMPLE_INCIDENT

JURISDICTIONS = (
    ["US-CA"] * 15 + ["US-TX"] * 10 + ["US-FL"] * 8 + ["US-NY"] * 7 + ["US-MA"] * 3 + ["US-WA"] * 3 + ["EU-DE", "EU-FR"]
)
ELEMENT_SETS = [
    ["user.name.first", "user.name.last", "user.contact.email", "user.contact.address.street", "user.authorization.password"],
    ["user.name.first", "user.name.last", "user.contact.email", "user.financial", "user.financial.credit_card"],
    ["user.name.first", "user.name.last", "user.contact.email", "user.government_id.national_identification_number"],
    ["user.contact.email", "user.authorization.password"],
]

COST_PER_NOTICE = {"email": 0.05, "postal": 1.20}


def people(count: int) -> pd.DataFrame:
    """Synthetic affected individuals with the variety of a real incident."""
    rng = random.Random(7)
    rows = []
    for i in range(count):
        email_ok, postal_ok = rng.random() > 0.05, rng.random() > 0.03
        rows.append(
            {
                "person": f"p{i}@example.com",
                "customer_ids": [i],
                "email": f"p{i}@example.com" if email_ok else None,
                "firstname": rng.choice(["Ana", "José", "Zoë", "Liam"]),
                "lastname": rng.choice(["García", "O'Brien", "Nguyen"]),
                "street": f"{i} Main St" if postal_ok else None,
                "city": "Fresno",
                "region": "CA",
                "postcode": "93650",
                "country_id": "US",
                "jurisdiction": rng.choice(JURISDICTIONS),
                "residency_source": "default_billing",
                "email_valid": email_ok,
                "postal_valid": postal_ok,
                "language": "es" if rng.random() < 0.12 else "en",
                "data_elements": rng.choice(ELEMENT_SETS),
                "encrypted_elements": [],
                "credentials_exposed": False,
            }
        )
    return pd.DataFrame(rows)


def rate(function, seconds: float = 3.0) -> float:
    """Calls per second of function over about `seconds`."""
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        function()
        count += 1
    return count / (time.perf_counter() - started)


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--people", type=int, default=1_000_000)
    args = arguments.parse_args()
    context = build_context(
        business=DEMO_BUSINESS,
        incident=SAMPLE_INCIDENT,
        person=synthetic_person("US-CA", "en"),
        rules=load_rules(),
        credit_monitoring_months=12,
        notice_url="https://shop.example/notice",
    )
    bare = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"])
    bare.install_null_translations(newstyle=True)
    bare.filters["longdate"] = str
    bare.globals.update(language="en", agencies=CREDIT_REPORTING_AGENCIES)
    bare_template = bare.get_template("email.html.j2")
    skeletons = SkeletonRenderer()
    rates = {
        "bare_jinja2_email_html": rate(lambda: bare_template.render(c=context, key="k")),
        "pipeline_render_email_html": rate(lambda: render("email.html", context, key="k")),
        "pipeline_skeleton_email_html": rate(lambda: skeletons.render("email.html", context, key="k")),
    }
    individuals = people(args.people)
    lake_dir = tempfile.mkdtemp(prefix="bench-notices-")
    started = time.perf_counter()
    manifest = build_batches(
        open_lake(lake_dir),
        incident_id="BENCH-N",
        version=1,
        individuals=individuals,
        key_compromised=False,
        rules=load_rules(),
        settings=NoticeSettings(
            business=DEMO_BUSINESS,
            incident=SAMPLE_INCIDENT,
            credit_monitoring={"US-CA": 12},
            sender="privacy@example.com",
            notice_url="https://shop.example/notice",
        ),
        cost_per_notice=COST_PER_NOTICE,
    )["manifest"]
    batch_seconds = time.perf_counter() - started
    size = sum(o["size"] for o in manifest["objects"])
    shutil.rmtree(lake_dir, ignore_errors=True)
    print(
        json.dumps(
            {
                "benchmark": "notices",
                "machine": machine(),
                "renders_per_second_one_core": {k: round(v) for k, v in rates.items()},
                "pipeline_vs_bare_jinja2": round(rates["pipeline_skeleton_email_html"] / rates["bare_jinja2_email_html"], 2),
                "people": args.people,
                "batch_build_seconds": round(batch_seconds, 1),
                "people_per_second": round(args.people / batch_seconds),
                "new_notices": manifest["new_notices"],
                "by_channel": manifest["by_channel"],
                "objects": len(manifest["objects"]),
                "batch_bytes_mb": round(size / 2**20),
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
