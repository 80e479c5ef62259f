"""Messages from templates: NAME.subject.txt, NAME.txt and NAME.html in templates/ (Jinja2).

The HTML part is autoescaped (a value never becomes markup), the text parts are not; a value the
template uses but the caller did not give is an error, not an empty string.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


class UnknownTemplate(LookupError):
    """No template of that name (a programming error: names are constants in the calling code)."""


def render(name: str, values: dict) -> RenderedMail:
    """Render template NAME with VALUES into a subject (one line), a text body and an HTML body."""
    if not name or "/" in name or name.startswith(("_", ".")):
        raise UnknownTemplate(f"no e-mail template named {name!r}")
    try:
        subject = _env.get_template(f"{name}.subject.txt").render(values)
        text = _env.get_template(f"{name}.txt").render(values)
    except TemplateNotFound:
        raise UnknownTemplate(f"no e-mail template named {name!r}") from None
    try:
        html = _env.get_template(f"{name}.html").render(values)
    except TemplateNotFound:
        html = None
    return RenderedMail(subject=" ".join(subject.split()), text=text, html=html)


def template_names() -> list[str]:
    """Every template name there is (those with a subject and a text part)."""
    return sorted(p.name.removesuffix(".subject.txt") for p in TEMPLATE_DIR.glob("*.subject.txt")
                  if (TEMPLATE_DIR / p.name.replace(".subject.txt", ".txt")).is_file())
