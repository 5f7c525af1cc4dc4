"""Every notice template, language and state variant, and the project's own HTML pages, in headless Chromium:
axe-core (WCAG 2.0/2.1/2.2 A and AA) with zero violations, plus what axe cannot check: reflow at 320 px, 200 %
zoom, 10-point minimum text, real headings, keyboard operation of the banner, and no network request."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from include.config import DEMO_BUSINESS
from include.demo.runner import demo_incident
from include.drill.report import write_report
from include.evidence.index import write_index
from include.incident.calendar import render_obligations_calendar
from include.lake.ledger import record_audit, seal_run
from include.lake.store import open_lake
from include.legal.filings import FilingFacts, filing_drafts, render_draft, slug
from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.notices.content import synthetic_person
from include.notices.samples import render_samples, render_support_pack
from include.reporting.report import build_report

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
VARIANTS = [("US-CA", "en"), ("US-CA", "es"), ("US-MA", "en"), ("US-MA", "es"), ("EU-DE", "en"), ("EU-DE", "es"), ("US-TX", "en")]
NOTICE_PAGES = ["email.html", "notice.html", "letter.html", "banner.html"]
HEADINGS = ["What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information"]
DEMO_ELEMENTS = ["user.name", "user.contact.email", "user.contact.address", "user.government_id.national_identification_number"]
DEMO_AFFECTED = {
    "groups": [
        {"jurisdiction": "US-CA", "count": 1200, "data_elements": DEMO_ELEMENTS},
        {"jurisdiction": "US-TX", "count": 260, "data_elements": DEMO_ELEMENTS},
        {"jurisdiction": "US-FL", "count": 520, "data_elements": DEMO_ELEMENTS},
        {"jurisdiction": "US-NY", "count": 40, "data_elements": DEMO_ELEMENTS},
        {"jurisdiction": "US-MD", "count": 12, "data_elements": DEMO_ELEMENTS},
        {"jurisdiction": "EU-DE", "count": 12, "data_elements": ["user.name", "user.contact.email"]},
        {"jurisdiction": "UNKNOWN", "count": 6, "data_elements": DEMO_ELEMENTS},
    ]
}


def demo_filings() -> list[dict]:
    """The filing drafts of the demo incident (its trigger, with the demo store's spread of residents)."""
    conf = demo_incident(datetime(2026, 11, 30, tzinfo=UTC))
    incident = parse_incident(conf)
    affected = parse_affected(DEMO_AFFECTED)
    document = obligations_document(incident, affected, load_rules())
    facts = FilingFacts(
        incident, 1, affected, document["obligations"], DEMO_BUSINESS, "Drill: orders read through a stolen admin session."
    )
    return filing_drafts(facts)


FILING_PAGES = [f"filing-{slug(d['obligation'])}.html" for d in demo_filings()]
HOSTILE = {
    "firstname": "<script>alert('x')</script>{{ config }}",
    "lastname": "עברית العربية " + "Wolfeschlegelsteinhausen" * 21,
    "street": "<img src=https://evil.example/x.png>\n" + "Strasse" * 40,
    "city": "",
    "region": None,
    "postcode": None,
}


SUPPORT_ELEMENTS = ["user.name.first", "user.contact.email", "user.financial.bank_account", "user.authorization.password"]
DRILL_REPORT = {
    "run": "drill-1",
    "incident_id": "DRILL-1",
    "scenario": {"name": "checkout_skimmer", "title": "Skimmer <script>alert(1)</script> on checkout", "source": "detection"},
    "started_at": "2026-12-01T07:00:00+00:00",
    "source_note": "the chain starts at the detection record of the suspected incident.",
    "stages": [
        {"name": "scope", "seconds": 12.5, "note": "affected individuals"},
        {"name": "batches", "seconds": 3.0, "note": ""},
    ],
    "time_to_ready_text": "16 s",
    "target_text": "72.0 h",
    "within_target": True,
    "ready_in_time": False,
    "shortest_deadline": {"obligation": "EU-FR/supervisory_authority", "due": "2026-11-15T13:22:31+01:00"},
    "bottleneck": "scope",
    "readiness": [
        {"check": "translations", "ok": True, "fix": None, "detail": "catalogues for en, es"},
        {"check": "approvers", "ok": False, "fix": "set NOTICE_APPROVERS to legal's Airflow user names", "detail": ""},
    ],
    "counts": {"individuals": 41, "obligations": 21, "notices": 17},
}


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (scripts/ensure-services.sh installs it)", pytrace=False)
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci`", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pages")
    written = {}
    for jurisdiction, language in VARIANTS:
        for name, html in render_samples(jurisdiction, language).items():
            if name in NOTICE_PAGES:
                path = out / f"{jurisdiction}-{language}-{name}"
                path.write_text(html, encoding="utf-8")
                written[path.name] = path
    hostile = {**synthetic_person("US-CA", "en"), **HOSTILE}
    for name, html in render_samples("US-CA", "en", person=hostile).items():
        if name in NOTICE_PAGES:
            path = out / f"hostile-{name}"
            path.write_text(html, encoding="utf-8")
            written[path.name] = path
    incident = parse_incident({"incident_id": "INC-A11Y", "discovered_at": "2026-11-01T09:00:00-08:00"})
    affected = parse_affected(
        {
            "groups": [
                {"jurisdiction": "US-CA", "count": 501, "data_elements": ["user.name", "user.government_id"]},
                {"jurisdiction": "EU-DE", "count": 3, "data_elements": ["user.contact.email"]},
                {"jurisdiction": "UNKNOWN", "count": 2, "data_elements": ["user.name", "user.government_id"]},
            ]
        }
    )
    document = obligations_document(incident, affected, load_rules())
    calendar = out / "obligations.html"
    calendar.write_text(render_obligations_calendar("INC-A11Y", 1, document["obligations"], datetime(2026, 11, 10, tzinfo=UTC)))
    written[calendar.name] = calendar
    for draft in demo_filings():
        path = out / f"filing-{slug(draft['obligation'])}.html"
        path.write_text(render_draft(draft, datetime(2026, 11, 30, tzinfo=UTC)), encoding="utf-8")
        written[path.name] = path
    lake = open_lake((out / "lake").as_uri())
    from tests.reporting.test_report import fake_history

    fake_history(lake, 12)
    outputs = build_report(lake, "report-1")["outputs"]
    seal_run(lake, dag_id="compliance_report", run_id="report-1", outputs=outputs, versions={})
    record_audit(
        lake,
        {
            "user_id": "legal",
            "event_type": "notices_approved",
            "timestamp": "2026-11-30T10:00:00+00:00",
            "outcome": "success",
            "origin": "test",
            "affected_data": "incident INC-A11Y v1",
            "component": "test",
        },
    )
    report = out / "report.html"
    report.write_bytes(lake.get("reports/report-1/report.html"))
    written[report.name] = report
    index = write_index(lake, out / "index")
    written["evidence-index.html"] = index
    for language in ("en", "es"):
        pack = out / f"support-{language}.html"
        pack.write_text(render_support_pack(language, SUPPORT_ELEMENTS), encoding="utf-8")
        written[pack.name] = pack
    write_report(lake, DRILL_REPORT)
    written["drill-report.html"] = out / "drill-report.html"
    written["drill-report.html"].write_bytes(lake.get("drills/drill-1/report.html"))
    return written


def open_page(browser, path: Path, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    return page, requests


def axe_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in result["violations"]]


def horizontal_overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


SMALLEST_TEXT = """() => {
  let smallest = 1000, where = '';
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.display === 'none' || style.visibility === 'hidden') continue;
    const size = parseFloat(style.fontSize);
    if (size < smallest) { smallest = size; where = el.tagName; }
  }
  return [smallest, where];
}"""


@pytest.mark.parametrize(
    "name",
    [f"{j}-{lang}-{p}" for j, lang in VARIANTS for p in NOTICE_PAGES]
    + [f"hostile-{p}" for p in NOTICE_PAGES]
    + ["obligations.html", "report.html", "evidence-index.html", "drill-report.html", "support-en.html", "support-es.html"]
    + FILING_PAGES,
)
def test_page_is_accessible_and_self_contained(browser, pages, name):
    page, requests = open_page(browser, pages[name])
    try:
        assert axe_violations(page) == []
        page.set_viewport_size({"width": 320, "height": 640})
        assert horizontal_overflow(page) <= 0, "horizontal scrolling at 320 CSS px"
        page.set_viewport_size({"width": 1280, "height": 900})
        page.evaluate("() => { document.documentElement.style.zoom = '200%'; }")
        assert horizontal_overflow(page) <= 0, "content lost or scrolling sideways at 200% zoom"
        page.evaluate("() => { document.documentElement.style.zoom = ''; }")
        smallest, tag = page.evaluate(SMALLEST_TEXT)
        assert smallest >= 13.33, f"text under 10 pt ({smallest}px in <{tag}>)"
        if name.endswith("letter.html"):
            page.emulate_media(media="print")
            smallest, tag = page.evaluate(SMALLEST_TEXT)
            assert smallest >= 13.33, f"printed text under 10 pt ({smallest}px in <{tag}>)"
        assert "alert(" not in page.evaluate("() => [...document.scripts].map(s => s.textContent).join(' ')")
    finally:
        page.close()
    assert [url for url in requests if not url.startswith("file://")] == []


@pytest.mark.parametrize(
    "name", [f"{j}-{lang}-{p}" for j, lang in VARIANTS for p in ("email.html", "notice.html", "letter.html")]
)
def test_title_and_five_headings_are_real_headings(browser, pages, name):
    page, _ = open_page(browser, pages[name])
    try:
        title = page.locator("h1").inner_text()
        headings = page.locator("h2").all_inner_texts()
    finally:
        page.close()
    assert "Notice of Data Breach" in title
    for heading in HEADINGS:
        assert any(heading in text for text in headings), heading


def test_hostile_values_render_as_text(browser, pages):
    page, requests = open_page(browser, pages["hostile-email.html"])
    try:
        dialogs = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        body = page.locator("body").inner_text()
        assert "<script>alert('x')</script>{{ config }}" in body and dialogs == []
        assert page.locator("img").count() == 0
    finally:
        page.close()
    assert requests == [pages["hostile-email.html"].as_uri()]


@pytest.mark.parametrize("name", ["US-CA-en-banner.html", "US-MA-es-banner.html"])
def test_banner_is_a_status_message_operable_by_keyboard(browser, pages, name):
    page, _ = open_page(browser, pages[name])
    try:
        banner = page.locator(".mbp-breach-banner")
        assert banner.locator('[role="status"]').count() == 1
        assert page.locator('[role="dialog"], [aria-modal="true"]').count() == 0
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "mbp-link"
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const el = document.activeElement; const s = getComputedStyle(el);
            return [el.className, s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
        assert focused[0] == "mbp-button" and focused[1] != "none" and focused[2] >= 2, "visible keyboard focus"
        box = page.locator(".mbp-button").bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24
        page.keyboard.press("Enter")
        assert page.locator(".mbp-button").get_attribute("aria-expanded") == "false"
        assert not page.locator(".mbp-text").is_visible()
        assert page.locator(".mbp-link").is_visible(), "dismissing must not lose the notice"
        page.keyboard.press("Enter")
        assert page.locator(".mbp-button").get_attribute("aria-expanded") == "true" and page.locator(".mbp-text").is_visible()
    finally:
        page.close()


def test_pages_under_test_are_the_shipped_templates(pages):
    assert json.dumps(sorted(pages)) and len(pages) == len(VARIANTS) * len(NOTICE_PAGES) + len(NOTICE_PAGES) + 6 + len(
        FILING_PAGES
    )
    assert len(FILING_PAGES) >= 8  # CA sample, TX, FL, NY x3, MD, GDPR, FTC: the demo's regulator filings


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_support_pack_says_what_agents_never_ask_for_in_its_language(browser, pages, language):
    page, _ = open_page(browser, pages[f"support-{language}.html"])
    try:
        lang = page.evaluate("() => document.documentElement.lang")
        headings = page.locator("h2").all_inner_texts()
        text = page.locator("main").inner_text()
    finally:
        page.close()
    assert lang == language
    never, card = {"en": ("Never ask for", "card number"), "es": ("Nunca pida", "número de tarjeta")}[language]
    assert never in headings and card in text and len(headings) == 4
