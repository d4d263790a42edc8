"""The browser configuration really blocks third-party cookies, with a same-site control.

Without this check the cookie-less launch tests would prove nothing.
"""

from __future__ import annotations

import html
import json

import pytest
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.browser


@Request.application
def cookie_probe(request: Request) -> Response:
    """/set sets a plain and a SameSite=None cookie, then goes to /echo, which shows
    what came back; /frame?src=... is a top-level page that frames src."""
    if request.path == "/set":
        response = Response(status=302, headers={"Location": "/echo"})
        response.set_cookie("probe_plain", "1", path="/")
        response.set_cookie("probe_none", "1", path="/", samesite="None", secure=True)
        return response
    if request.path == "/echo":
        body = json.dumps(sorted(request.cookies))
        return Response(
            f'<!doctype html><html lang="en"><title>echo</title><pre id="cookies">{html.escape(body)}</pre></html>',
            mimetype="text/html",
        )
    if request.path == "/frame":
        src = html.escape(request.args["src"])
        return Response(
            f'<!doctype html><html lang="en"><title>frame</title>'
            f'<iframe name="probe" title="probe" src="{src}"></iframe></html>',
            mimetype="text/html",
        )
    return Response("not found", status=404)


def framed_cookies(context, top_url: str) -> list[str]:
    page = context.new_page()
    page.goto(top_url)
    frame = page.frame(name="probe")
    assert frame is not None
    frame.wait_for_url("**/echo")
    return json.loads(frame.locator("#cookies").text_content())


def test_cross_site_frame_gets_no_cookie_but_same_site_frame_does(browser, serve, shots):
    # The framed "tool" site is 127.0.0.1:<a>; the framing page is port <b> of either host.
    src = f"http://127.0.0.1:{serve(cookie_probe)}/set"
    framing_port = serve(cookie_probe)

    # Cross-site: a page on localhost frames 127.0.0.1 (like the dev LMS framing the tool).
    ctx = browser.new_context()
    try:
        assert framed_cookies(ctx, f"http://localhost:{framing_port}/frame?src={src}") == []
        shots.take(ctx.pages[0], "cross-site-no-cookie")
    finally:
        ctx.close()

    # Same-site control (ports do not make a site): the framed site gets its cookies back,
    # so the assertion above can fail when the browser stops blocking.
    ctx = browser.new_context()
    try:
        got = framed_cookies(ctx, f"http://127.0.0.1:{framing_port}/frame?src={src}")
        assert "probe_plain" in got, got
        assert "probe_none" in got, got
        shots.take(ctx.pages[0], "same-site-cookie")
    finally:
        ctx.close()
