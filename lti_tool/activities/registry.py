"""The registry of activity kinds (welcome page, lessons, peer review, coaching, ...).

The LTI layer only knows this interface; each kind lives in its own package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask

if TYPE_CHECKING:
    from ..models import Activity, LaunchSession


class ActivityFormError(ValueError):
    """The placement form was filled in wrongly; the message is shown to the instructor."""


@dataclass(frozen=True)
class ActivitySpec:
    """What a kind makes of the deep-linking picker form."""

    title: str
    settings: dict[str, Any] = field(default_factory=dict)
    # Set for graded placements: the deep-linking response then declares a lineItem.
    score_maximum: float | None = None


@dataclass(frozen=True)
class ActivityKind:
    key: str
    # Lazy-translated strings (flask_babel.lazy_gettext): shown in the placement picker.
    title: Any
    description: Any
    # Renders the page a launch of this activity lands on.
    render: Callable[[Activity, LaunchSession], Any]
    # Turns the picker form (fields prefixed "<key>-") into an ActivitySpec.
    spec_from_form: Callable[[Mapping[str, str], LaunchSession], ActivitySpec]
    # Optional Jinja template with the kind's own fields in the deep-linking picker.
    picker_template: str | None = None
    blueprint: Blueprint | None = None
    # Kinds offered only to some launches (e.g. a library that is empty) can say no.
    available: Callable[[LaunchSession], bool] = lambda launch: True
    # Called in the placement's transaction once the Activity row exists (e.g. to create the
    # kind's own rows from the spec); raising ActivityFormError refuses the placement.
    on_placed: Callable[[Activity, ActivitySpec, LaunchSession], None] | None = None
    # Time-driven work the worker runs every HOUSEKEEPING_SECONDS (phases moved by their dates,
    # fallbacks that fall due): fn(now) -> how many things changed; it commits its own work.
    housekeeping: Callable[[datetime], int] | None = None


KINDS: dict[str, ActivityKind] = {}

# Built-in kinds, imported at app start so each can register itself.
BUILTIN_KIND_MODULES = ["lti_tool.welcome", "lti_tool.lessons.kind", "lti_tool.reviews.kind", "lti_tool.coaching.kind"]


def blueprint_of(package: str, modules: tuple[str, ...]) -> Blueprint:
    """A kind's blueprint: `bp` of its first view module, after every listed module (each adds
    routes to it) is imported."""
    loaded = [importlib.import_module(f"{package}.{name}") for name in modules]
    return loaded[0].bp


def register(kind: ActivityKind) -> ActivityKind:
    if kind.key in KINDS and KINDS[kind.key] is not kind:
        raise ValueError(f"activity kind {kind.key!r} is registered twice")
    KINDS[kind.key] = kind
    return kind


def get(key: str) -> ActivityKind | None:
    return KINDS.get(key)


def init_app(app: Flask) -> None:
    for module in BUILTIN_KIND_MODULES:
        importlib.import_module(module)
    from .views import bp

    app.register_blueprint(bp)
    for kind in KINDS.values():
        if kind.blueprint is not None and kind.blueprint.name not in app.blueprints:
            app.register_blueprint(kind.blueprint)
