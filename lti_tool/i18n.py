"""Locale and timezone of the person in front of the page.

The LMS sends each person's locale at launch; times are stored in UTC and shown in theirs.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import format_datetime

from .extensions import babel

SUPPORTED_LOCALES = ["en", "de", "fr", "es", "pt", "ja", "zh", "ar", "he", "ru", "el", "uk", "vi"]
RTL_LANGUAGES = {"ar", "he", "fa", "ur"}


def _launch():
    return getattr(g, "launch", None)


def select_locale() -> str | None:
    launch = _launch()
    if launch is not None and launch.locale:
        return launch.locale.replace("-", "_")
    if request:
        return request.accept_languages.best_match(SUPPORTED_LOCALES)
    return None


def select_timezone() -> str | None:
    launch = _launch()
    if launch is not None and launch.user.timezone:
        return launch.user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def _available() -> frozenset[str]:
    """The catalogues shipped (read once per app: they only change with a deploy)."""
    cached = current_app.extensions.get("peerpath_catalogues")
    if cached is None:
        cached = frozenset(str(loc) for loc in babel.list_translations())
        current_app.extensions["peerpath_catalogues"] = cached
    return cached


def shown_language() -> str:
    """The language the interface text is actually in: a catalogue we ship, else the default.

    Declaring the person's locale on English fallback text would make screen readers read
    it with the wrong voice (WCAG 3.1.1), and an RTL locale would mirror English sentences.
    Dates and numbers are formatted in it too: a Ukrainian date inside an English sentence
    reads as a mistake ("due on 16 груд. 2026 р.."); with a catalogue for the person's
    language, both switch together.
    """
    wanted = (select_locale() or "").replace("-", "_")
    available = _available()
    if wanted in available:
        return wanted
    language = wanted.split("_")[0].lower()
    if language in available:
        return language
    return current_app.config["DEFAULT_LOCALE"]


def text_direction() -> str:
    return "rtl" if shown_language().split("_")[0] in RTL_LANGUAGES else "ltr"


def html_lang() -> str:
    return shown_language().replace("_", "-")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(text_direction=text_direction, html_lang=html_lang)
    app.jinja_env.filters["datetime"] = format_datetime
