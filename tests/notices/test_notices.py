"""Notice content, escaping, languages and MIME structure (the browser checks are in tests/pages/test_accessibility.py)."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from include.config import DEMO_BUSINESS
from include.notices.content import synthetic_person
from include.notices.render import LOCALES, TEMPLATES
from include.notices.samples import SAMPLE_INCIDENT, render_samples

HOSTILE = {
    "firstname": "<script>alert(1)</script>{{ 7*7 }}",
    "lastname": "O'Brien\u202eסלום" + "x" * 500,
    "street": "<img src=x onerror=alert(1)>\n{% raw %}",
    "city": "",
    "region": None,
    "postcode": None,
}


def sample(jurisdiction: str, language: str, person: dict | None = None) -> dict[str, str]:
    base = synthetic_person(jurisdiction, language)
    return render_samples(jurisdiction, language, person={**base, **(person or {})})


def test_catalogs_translate_every_message():
    for po in LOCALES.glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        untranslated = [m.id for m in catalog if m.id and not m.string]
        assert untranslated == [], po
    template = read_po((LOCALES / "messages.pot").open("rb"))
    spanish = read_po((LOCALES / "es" / "LC_MESSAGES" / "messages.po").open("rb"))
    assert {m.id for m in template if m.id} == {m.id for m in spanish if m.id}


def test_templates_use_the_statutory_title_and_headings():
    rendered = sample("US-CA", "en")
    for name in ("email.html", "notice.html", "letter.html"):
        html = rendered[name]
        assert "<h1>Notice of Data Breach</h1>" in html
        for heading in (
            "What Happened",
            "What Information Was Involved",
            "What We Are Doing",
            "What You Can Do",
            "For More Information",
        ):
            assert f"<h2>{heading}</h2>" in html
    assert rendered["email.txt"].startswith("Notice of Data Breach")


def test_spanish_notices_keep_the_english_statutory_title():
    rendered = sample("US-CA", "es")
    assert 'Aviso de filtración de datos <span lang="en">(Notice of Data Breach)</span>' in rendered["email.html"]
    assert '<html lang="es">' in rendered["email.html"] and "Qué sucedió" in rendered["email.txt"]


def test_hostile_values_are_escaped_in_html_and_inert_in_text():
    rendered = sample("US-CA", "en", HOSTILE)
    for name in ("email.html", "letter.html"):
        html = rendered[name]
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{ 7*7 }}" in html and "49" not in html.split("Dear", 1)[1][:200]
    assert "<script>alert(1)</script>{{ 7*7 }}" in rendered["email.txt"]  # text/plain carries it literally, unevaluated


def test_massachusetts_leaves_out_the_nature_of_the_breach_and_adds_its_rights():
    ma, ca = sample("US-MA", "en")["email.txt"], sample("US-CA", "en")["email.txt"]
    assert SAMPLE_INCIDENT.description in ca and SAMPLE_INCIDENT.description not in ma
    assert "police report" in ma and "free of charge" in ma and "police report" not in ca


def test_ssn_exposure_lists_the_credit_reporting_agencies_and_credentials_say_change_password():
    text = sample("US-CA", "en")["email.txt"]
    assert "Equifax" in text and "TransUnion" in text and "Change your password" in text
    plain = sample("US-CA", "en", {"data_elements": ["user.name.first", "user.name.last", "user.contact.address.street"]})[
        "email.txt"
    ]
    assert "Equifax" not in plain and "Change your password" not in plain


def test_gdpr_variant_names_the_authority_complaint_right():
    text = sample("EU-DE", "en")["email.txt"]
    assert "supervisory authority" in text and "dpo@harborlane.example" in text


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.j2")))
def test_templates_never_reference_an_undefined_name(name):
    assert "|default" not in TEMPLATES.joinpath(name).read_text().replace(" ", "")


@pytest.mark.parametrize(
    "person",
    [
        {},
        HOSTILE,
        {"firstname": "\u27e6key\u27e7", "lastname": "\u27e6address\u27e7"},
        {"firstname": "", "lastname": "", "street": None},
    ],
)
@pytest.mark.parametrize(("jurisdiction", "language"), [("US-CA", "en"), ("US-MA", "es"), ("EU-DE", "en")])
def test_skeleton_renderer_gives_exactly_the_template_output(person, jurisdiction, language):
    from include.legal.rules import load_rules
    from include.notices.content import build_context
    from include.notices.render import SkeletonRenderer, render

    renderer = SkeletonRenderer()
    context = build_context(
        business=DEMO_BUSINESS,
        incident=SAMPLE_INCIDENT,
        person={**synthetic_person(jurisdiction, language), **person},
        rules=load_rules(),
        credit_monitoring_months=12,
        notice_url="https://example.com/n",
    )
    for template in ("email.txt", "email.html", "letter.html", "banner_snippet.html"):
        assert renderer.render(template, context, key="0123456789abcdef-key") == render(
            template, context, key="0123456789abcdef-key"
        )


def test_breachctl_notices_sample_writes_every_template(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "include.cli",
            "notices",
            "sample",
            "--jurisdiction",
            "US-MA",
            "--lang",
            "es",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["banner.html", "email.html", "email.txt", "letter.html", "notice.html"]
    assert len(done.stdout.splitlines()) == 5 and "Aviso de filtración de datos" in (tmp_path / "email.txt").read_text()
    refused = subprocess.run(
        [sys.executable, "-m", "include.cli", "notices", "sample", "--jurisdiction", "California", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2 and "jurisdiction" in refused.stderr
