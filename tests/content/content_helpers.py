"""Helpers for the content tests: a lesson-text builder and an independent HTML safety checker.

The checker parses with the standard library, not nh3, so the sanitiser is not checking itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "style",
    "link",
    "meta",
    "base",
    "frame",
    "frameset",
    "applet",
    "template",
    "noscript",
    "xmp",
    "select",
    "option",
    "video",
    "audio",
    "source",
    "animate",
    "set",
    "foreignobject",
    "isindex",
    "marquee",
}
URL_ATTRS = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "data",
    "srcset",
    "cite",
}
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_RASTER = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[a-z0-9+/=]+$")


def url_is_dangerous(value: str, tag: str) -> bool:
    url = _CONTROL.sub("", value).lower()
    scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", url)
    if not scheme:
        return False
    name = scheme.group(1)
    if name in ("http", "https", "mailto"):
        return False
    return not (tag == "img" and name == "data" and _RASTER.match(url))


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if (
                name == "style"
                and value
                and not re.fullmatch(r"text-align:(left|right|center)", value)
            ):
                self.found.append(f"{tag} style={value!r}")
            if name in URL_ATTRS and value is not None and url_is_dangerous(value, tag):
                self.found.append(f"{tag} {name}={value!r}")
            if tag == "input" and name == "type" and value not in ("radio", "checkbox", "text"):
                self.found.append(f"input type={value!r}")

    handle_startendtag = handle_starttag


def executable_parts(html: str) -> list[str]:
    """Everything in ``html`` that could run script or load active content; empty when safe."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    found = finder.found
    if re.search(r"<\s*script", html, re.IGNORECASE):
        found.append("<script text")
    return found


def lesson_text(body: str, **front: object) -> str:
    """A minimal valid lesson around ``body``; keyword arguments add front-matter lines."""
    lines = ["---", "title: A lesson"]
    lines += [f"{key}: {value}" for key, value in front.items()]
    lines += ["---", ""]
    return "\n".join(lines) + body + "\n"
