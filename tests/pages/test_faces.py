"""The faces legal, compliance and auditors read (review page, obligations calendar, compliance report, evidence
index) for the demo's incident and for a large one over a 90-run history: axe-core clean, no sideways page scroll at
320 px, nothing clipped at 1280 px, and a screenshot of each at both widths in build/screenshots/ for review."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from include.evidence.index import write_index
from include.incident.calendar import render_obligations_calendar
from include.lake import keys
from include.lake.ledger import seal_run
from include.lake.store import open_lake
from include.reporting.report import build_report
from tests.pages.faces import NOW, demo_conf, demo_groups, large_conf, large_groups, seal_history, write_incident
from tests.pages.test_accessibility import axe_violations, browser, horizontal_overflow  # noqa: F401 (the fixture)
from tests.reporting.test_report import fake_history

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "build" / "screenshots"))
CLIPPED = """() => {
  const clipped = [];
  for (const el of [document.querySelector('main'), ...document.querySelectorAll('main *')]) {
    const style = getComputedStyle(el);
    const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll' || style.overflowX === 'hidden';
    if (el.clientWidth <= 1) continue;  // visually hidden text is clipped on purpose
    if ((el.tagName === 'MAIN' || scrolls) && el.scrollWidth > el.clientWidth + 1) clipped.push(el.tagName + '.' + el.className);
  }
  return clipped;
}"""
FACES = ["review-demo", "review-large", "calendar-demo", "calendar-large", "report-1-run", "report-90-runs",
         "evidence-demo", "evidence-90-runs"]  # fmt: skip


def lake_page(lake, key: str, out: Path) -> Path:
    path = out / Path(key).name
    path.write_bytes(lake.get(key))
    return path


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for size, groups, conf, runs in (("demo", demo_groups(), demo_conf(), 1), ("large", large_groups(), large_conf(), 90)):
        out = tmp_path_factory.mktemp(size)
        lake = open_lake((out / "lake").as_uri())
        incident_id = "INC-LARGE" if size == "large" else "DRILL-DEMO"
        made = write_incident(lake, incident_id, groups, conf)
        assert size == "demo" or (len(groups) >= 50 and len(made["document"]["obligations"]) >= 150)
        written[f"review-{size}"] = out / "lake" / keys.review_page(incident_id, 1)  # its sample links are relative
        obligations, discovered = made["document"]["obligations"], made["trigger"].discovered_at
        calendar = render_obligations_calendar(incident_id, 1, obligations, NOW, discovered)
        written[f"calendar-{size}"] = out / "obligations.html"
        written[f"calendar-{size}"].write_text(calendar, encoding="utf-8")
        fake_history(lake, runs)
        seal_history(lake, runs)
        outputs = build_report(lake, "report-1", now=NOW)["outputs"]
        seal_run(lake, dag_id="compliance_report", run_id="report-1", outputs=outputs, versions={})
        written["report-1-run" if runs == 1 else "report-90-runs"] = lake_page(lake, "reports/report-1/report.html", out)
        written["evidence-demo" if runs == 1 else "evidence-90-runs"] = write_index(lake, out / "index")
    return written


@pytest.mark.parametrize("name", FACES)
def test_face_is_accessible_reflows_at_320_and_is_not_clipped_at_1280(browser, faces, name):  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(faces[name].as_uri())
        assert axe_violations(page) == []
        assert page.evaluate(CLIPPED) == [], "content clipped at 1280 px"
        page.screenshot(path=SCREENSHOTS / f"{name}-1280.png", full_page=True)
        page.set_viewport_size({"width": 320, "height": 640})
        assert horizontal_overflow(page) <= 0, "horizontal page scrolling at 320 CSS px"
        page.screenshot(path=SCREENSHOTS / f"{name}-320.png", full_page=True)
    finally:
        page.close()
    assert (SCREENSHOTS / f"{name}-1280.png").stat().st_size > 0 and (SCREENSHOTS / f"{name}-320.png").stat().st_size > 0
