"""Rendering notices: Jinja2 (autoescape, StrictUndefined) with gettext catalogs (Babel), one render per channel."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import escape

from include.notices.content import CREDIT_REPORTING_AGENCIES, NoticeContext

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = Path(__file__).parent / "locale"
LANGUAGES = ("en", "es")
CHANNEL_TEMPLATES = {
    "email.html": "email.html.j2",
    "email.txt": "email.txt.j2",
    "notice.html": "notice.html.j2",
    "letter.html": "letter.html.j2",
    "banner.html": "banner.html.j2",
}
TEMPLATE_FILES = {
    **CHANNEL_TEMPLATES,
    "banner_snippet.html": "banner_snippet.html.j2",
    "support_pack.html": "support_pack.html.j2",
}


@cache
def translations(language: str) -> Any:
    """gettext translations for a language, compiled in memory from its .po catalog (English is the source)."""
    if language == "en":
        return NullTranslations()
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        raise ValueError(f"no message catalog for language {language!r}")
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


@cache
def environment(language: str) -> Any:
    """A Jinja2 environment bound to one language: autoescaped HTML, plain text for .txt templates."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    env.filters["longdate"] = lambda value: format_date(value, format="long", locale=language)
    env.globals.update(language=language, agencies=CREDIT_REPORTING_AGENCIES)
    return env


def templates_version() -> str:
    """Hash of every template and catalog: recorded in batch manifests."""
    digest = hashlib.sha256()
    for path in sorted([*TEMPLATES.glob("*.j2"), *LOCALES.rglob("*.po")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def render(template: str, context: NoticeContext, *, key: str = "notice") -> str:
    """One channel's rendering for one person."""
    language = context.language if context.language in LANGUAGES else "en"
    return environment(language).get_template(TEMPLATE_FILES[template]).render(c=context, key=key[:16])


def render_all(context: NoticeContext, key: str = "notice") -> dict[str, str]:
    """Every template (email HTML and text, web notice, letter, banner) for one person."""
    return {name: render(name, context, key=key) for name in CHANNEL_TEMPLATES}


def subject(context: NoticeContext) -> str:
    """Email subject line, in the notice's language."""
    language = context.language if context.language in LANGUAGES else "en"
    gettext = translations(language).gettext
    return gettext("Notice of Data Breach") + f" – {context.business.name}"


PLACEHOLDER = re.compile("\u27e6(name|address|key)\u27e7")


def _token(name: str) -> str:
    return f"\u27e6{name}\u27e7"


class SkeletonRenderer:
    """Renders each distinct notice once with placeholders, then fills in each person's name, address and key.

    Notices differ by language, jurisdiction variant and exposed elements far less often than by person, so a
    million letters need a few hundred template renders; the per-person work is one escaped substitution pass
    (values are inserted once and never re-scanned, so a name cannot smuggle in a placeholder or markup).
    """

    def __init__(self) -> None:
        self.skeletons: dict[tuple, str] = {}

    def render(self, template: str, context: NoticeContext, *, key: str = "notice") -> str:
        """Same output as render(template, context, key=key)."""
        name = context.display_name
        signature = (
            template,
            context.language,
            context.jurisdiction,
            context.variant,
            tuple(context.elements),
            context.credentials_only,
            context.password_exposed,
            context.show_cra_contacts,
            context.credit_monitoring_months,
            bool(name),
            len(context.postal_lines) > 0,
        )
        skeleton = self.skeletons.get(signature)
        if skeleton is None:
            placeholder = dataclasses.replace(
                context,
                first_name=_token("name") if name else "",
                last_name="",
                postal_lines=[_token("address")] if context.postal_lines else [],
            )
            skeleton = self.skeletons[signature] = render(template, placeholder, key=_token("key"))
        if template.endswith(".html"):
            values = {
                "name": str(escape(name)),
                "address": "<br>".join(str(escape(line)) for line in context.postal_lines),
                "key": str(escape(key[:16])),
            }
        else:
            values = {"name": name, "address": "\n".join(context.postal_lines), "key": key[:16]}
        return PLACEHOLDER.sub(lambda match: values[match.group(1)], skeleton)
