"""Locale and timezone of the person in front of the page.

The LMS sends each person's locale at launch; times are stored in UTC and shown in theirs.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import format_datetime

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


def text_direction() -> str:
    locale = (select_locale() or "en").split("_")[0].lower()
    return "rtl" if locale in RTL_LANGUAGES else "ltr"


def html_lang() -> str:
    return (select_locale() or "en").replace("_", "-")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(text_direction=text_direction, html_lang=html_lang)
    app.jinja_env.filters["datetime"] = format_datetime
