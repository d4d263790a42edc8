"""The second wall: an nh3 allowlist that every rendered page passes through.

Markdown is rendered with raw HTML off; this still runs so a renderer bug can never ship a script.
"""

from __future__ import annotations

import re

import nh3

# Browsers drop tabs, newlines and other controls inside URLs ("java\tscript:" runs), so we do too
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_RASTER_DATA_RE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[a-z0-9+/=]+$")
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

TAGS = {
    "a",
    "abbr",
    "aside",
    "b",
    "blockquote",
    "br",
    "button",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "kbd",
    "label",
    "legend",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {
    "*": {
        "class",
        "id",
        "aria-label",
        "aria-labelledby",
        "aria-describedby",
        "aria-live",
        "role",
        "lang",
        "dir",
    },
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "td": {"colspan", "rowspan", "style"},
    "div": {"tabindex"},
    "form": {"data-question", "data-kind", "data-reflection", "novalidate"},
    "input": {"name", "value", "disabled", "checked", "autocomplete", "spellcheck", "required"},
    "label": {"for"},
    "textarea": {"name", "rows", "maxlength", "required", "spellcheck"},
    "button": {"name", "value"},
    "li": {"value"},
}
# Values pinned per attribute: a form can only post to its own page, inputs stay simple widgets
TAG_ATTRIBUTE_VALUES = {
    "input": {"type": {"radio", "checkbox", "text"}},
    "button": {"type": {"submit"}},
    "form": {"method": {"post"}},
}
# markdown-it writes table alignment as style="text-align:…"; keep only those exact values
_ALIGN_STYLES = frozenset({"text-align:left", "text-align:center", "text-align:right"})


def is_safe_url(url: str, *, image: bool = False) -> bool:
    """True for http(s), mailto, relative and #fragment URLs; raster data: URLs for images only."""
    cleaned = _CONTROL_RE.sub("", url).lower()
    match = _SCHEME_RE.match(cleaned)
    if not match:
        # no scheme: relative path or fragment; "&#..." tricks are already decoded by the parser
        return ":" not in cleaned.split("/", 1)[0] or cleaned.startswith(("/", "#", "?", "."))
    scheme = match.group(1)
    if scheme in LINK_SCHEMES:
        return True
    return image and scheme == "data" and bool(_RASTER_DATA_RE.match(cleaned))


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return value if is_safe_url(value) else None
    if attribute == "src":
        return value if is_safe_url(value, image=(tag == "img")) else None
    if attribute == "style":
        return value if value.replace(" ", "").rstrip(";") in _ALIGN_STYLES else None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    tag_attribute_values=TAG_ATTRIBUTE_VALUES,
    attribute_filter=_attribute_filter,
    url_schemes=set(LINK_SCHEMES) | {"data"},
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """Return ``html`` with everything outside the allowlist removed; safe to put on a page."""
    return _CLEANER.clean(html)
