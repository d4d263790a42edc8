"""A page rendered once with named holes ("slots") that each request fills by joining strings,
and the small bounded cache that keeps such pages. Pure: no Flask, no database.

A slot is written into the page as a marker made of letters and digits around a random
per-process nonce, so it survives HTML escaping and URL quoting unchanged, and no text in
the page (a lesson, a name) can be taken for one: nobody outside this process knows the nonce.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from markupsafe import Markup

_NONCE = secrets.token_hex(8)
_MARKER = re.compile(f"pp{_NONCE}s([0-9]+)x")


@dataclass(frozen=True)
class SlotPage:
    """Literal text around named slots: ``literals[0] slot[0] literals[1] … literals[-1]``."""

    literals: tuple[str, ...]
    names: tuple[str, ...]

    def fill(self, values: Mapping[str, str]) -> str:
        """The page with each slot replaced by its value (HTML, already escaped); a slot
        without a value stays empty."""
        get = values.get
        parts = [self.literals[0]]
        for name, literal in zip(self.names, self.literals[1:], strict=True):
            parts.append(get(name, ""))
            parts.append(literal)
        return "".join(parts)


class Slots:
    """Hands out slot markers while a page renders, then cuts the rendered page at them."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}

    def __call__(self, name: str) -> Markup:
        """The marker for ``name`` (the same marker each time it is asked for)."""
        number = self._index.setdefault(name, len(self._index))
        return Markup(f"pp{_NONCE}s{number}x")  # noqa: S704 - letters and digits only

    def page(self, rendered: str) -> SlotPage:
        names = {number: name for name, number in self._index.items()}
        pieces = _MARKER.split(rendered)
        return SlotPage(tuple(pieces[0::2]), tuple(names[int(n)] for n in pieces[1::2]))


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Least-recently-used mapping of at most ``size`` entries; safe to share between threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
