"""Self-contained, accessible HTML pages (obligations calendar, compliance report, evidence index) from Jinja2 templates.

Each domain keeps its page template next to its code; they all extend `page.html.j2` here (styles inline, no
scripts, no external requests).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from include.pages.text import local_time

BASE_TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(templates: Path) -> Any:
    """Autoescaping, strict Jinja2 environment over one domain's templates and the shared base page."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([templates, BASE_TEMPLATES]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = local_time
    return env


def render_page(templates: Path, template: str, **context: Any) -> str:
    """Render one page template of a domain's templates folder."""
    return environment(templates).get_template(template).render(**context)
