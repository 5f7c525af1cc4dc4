"""Self-contained, accessible HTML pages (obligations calendar, compliance report, evidence index) from Jinja2 templates."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Any:
    """Autoescaping, strict Jinja2 environment for the project's own pages."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, **context: Any) -> str:
    """Render one page template."""
    return environment().get_template(template).render(**context)
