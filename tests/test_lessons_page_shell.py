"""Slot pages and the bounded cache behind the lesson page (pure, no app)."""

from __future__ import annotations

import threading
from urllib.parse import quote

from markupsafe import escape

from lti_tool.lessons.page_shell import BoundedCache, Slots


def test_slots_survive_escaping_and_url_quoting_and_fill_by_name():
    slot = Slots()
    token = slot("lt")
    rendered = (
        f'<a href="/x?lt={quote(str(token))}">{escape(slot("user"))}</a>'
        f'<input value="{escape(token)}"><p>{slot("empty")}</p>'
    )
    page = slot.page(rendered)
    assert page.names == ("lt", "user", "lt", "empty")
    assert slot("lt") == token  # one marker per name
    assert page.fill({"lt": "TOKEN", "user": "Zoë &amp; co"}) == (
        '<a href="/x?lt=TOKEN">Zoë &amp; co</a><input value="TOKEN"><p></p>'
    )


def test_text_that_looks_like_a_slot_is_left_alone():
    slot = Slots()
    marker = str(slot("x"))
    forged = marker.replace(marker[2:18], "0" * 16)  # same shape, another nonce
    page = slot.page(f"{forged}|{marker}|pp{{nonce}}s0x")
    assert page.fill({"x": "filled"}) == f"{forged}|filled|pp{{nonce}}s0x"


def test_a_page_without_slots_is_returned_as_it_is():
    page = Slots().page("<p>plain</p>")
    assert page.names == () and page.fill({"anything": "x"}) == "<p>plain</p>"


def test_the_cache_keeps_the_most_recently_used_entries_only():
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2
    cache.clear()
    assert cache.get("a") is None and len(cache) == 0


def test_the_cache_stays_bounded_under_threads():
    cache: BoundedCache[tuple, int] = BoundedCache(50)

    def work(n: int) -> None:
        for i in range(500):
            cache.put((n, i), i)
            cache.get((n, i - 1))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50
