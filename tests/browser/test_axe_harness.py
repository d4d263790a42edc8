"""The axe-core harness finds real violations, also in a cross-site frame with a strict CSP.

A negative control: if injection silently failed, the journey tests would pass on anything.
"""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.browser

STRICT_CSP = "default-src 'self'; script-src 'self' 'nonce-abc'; style-src 'self'"


@Request.application
def bad_pages(request: Request) -> Response:
    """/bad has an unlabelled button and an image without alt; /top?src= frames a page."""
    if request.path == "/bad":
        body = (
            '<!doctype html><html lang="en"><head><title>bad</title></head><body><main>'
            '<h1>Bad page</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            "<button></button></main></body></html>"
        )
    elif request.path == "/top":
        src = request.args["src"]
        body = (
            '<!doctype html><html lang="en"><head><title>top</title></head><body><main>'
            f'<h1>Top</h1><iframe name="inner" title="inner" src="{src}"></iframe></main></body></html>'
        )
    else:
        return Response("not found", status=404)
    return Response(body, mimetype="text/html", headers={"Content-Security-Policy": STRICT_CSP})


def test_axe_reports_serious_violations_inside_a_cross_site_csp_frame(context, serve, a11y):
    inner_port, top_port = serve(bad_pages), serve(bad_pages)
    page = context.new_page()
    page.goto(f"http://localhost:{top_port}/top?src=http://127.0.0.1:{inner_port}/bad")
    frame = page.frame(name="inner")
    assert frame is not None
    frame.wait_for_load_state("load")

    a11y.check(page.main_frame, "top page")
    assert a11y.blocking == [], a11y.blocking  # the clean page stays clean

    a11y.check(frame, "framed bad page")
    report = "\n".join(a11y.blocking)
    assert "image-alt" in report, report
    assert "button-name" in report, report
    assert "127.0.0.1" in report  # the report names the framed page
    with pytest.raises(AssertionError, match="button-name"):
        a11y.assert_clean()
