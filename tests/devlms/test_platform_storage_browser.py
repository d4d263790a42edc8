"""Platform Storage in a real browser: a tool page framed by the dev LMS talks to its storage frame.

The LMS is at localhost:<port>, the fake tool at 127.0.0.1:<port> (two sites), as in the demo.
"""

from __future__ import annotations

import html
import socket
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool.devlms import seed, setup

pytestmark = pytest.mark.browser

# The tool's login page: runs the LTI client-side postMessage exchange and records every reply.
TOOL_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>fake tool</title></head>
<body><p id="status">running</p><script>
const platform = "%(origin)s";
const results = {};
window.results = results;
window.addEventListener("message", (e) => {
  if (e.data && e.data.subject) { results[e.data.message_id] = {origin: e.origin, data: e.data}; }
});
const frame = window.parent.frames["%(target)s"];
window.parent.postMessage({subject: "lti.capabilities", message_id: "caps"}, platform);
frame.postMessage({subject: "lti.capabilities", message_id: "caps-frame"}, platform);
frame.postMessage({subject: "lti.put_data", message_id: "put", key: "state-1", value: "nonce-abc"}, platform);
frame.postMessage({subject: "lti.get_data", message_id: "get-missing", key: "never-stored"}, platform);
setTimeout(() => {
  frame.postMessage({subject: "lti.get_data", message_id: "get", key: "state-1"}, platform);
  setTimeout(() => { document.getElementById("status").textContent = "done"; }, 300);
}, 300);
</script></body></html>"""


# Opens the storage frame as a window and asks it for data: only registered origins get answers.
OPENER_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>opener</title></head>
<body><p id="status">running</p><script>
const lms = "%(lms)s";
const results = {};
window.results = results;
window.addEventListener("message", (e) => { results[e.data.message_id] = e.data; });
const w = window.open(lms + "/platform-storage", "storage");
setTimeout(() => {
  w.postMessage({subject: "lti.put_data", message_id: "put", key: "k", value: "v"}, lms);
  w.postMessage({subject: "lti.capabilities", message_id: "caps"}, lms);
  setTimeout(() => { document.getElementById("status").textContent = "done"; }, 700);
}, 1000);
</script></body></html>"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def devlms_config(devlms_config):
    return {**devlms_config, "PLATFORM_STORAGE": True}


@pytest.fixture
def fake_tool():
    seen: dict[str, str] = {}

    @Request.application
    def wsgi(request: Request) -> Response:
        if request.path == "/lti/login":
            seen.update(request.values.to_dict())
            origin = html.escape(request.values.get("iss", ""))
            target = html.escape(request.values.get("lti_storage_target", ""))
            return Response(TOOL_PAGE % {"origin": origin, "target": target}, mimetype="text/html")
        if request.path == "/opener":
            lms = html.escape(request.args.get("lms", ""))
            return Response(OPENER_PAGE % {"lms": lms}, mimetype="text/html")
        return Response("not found", status=404)

    port = _port()
    server = make_server("127.0.0.1", port, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", seen, port
    server.shutdown()
    thread.join(5)


def test_storage_frame_stores_and_returns_data_for_the_registered_tool(
    devlms_app, devlms_server, fake_tool
):
    from playwright.sync_api import sync_playwright

    tool_url, seen, _ = fake_tool
    setup.register_tool(
        devlms_app,
        client_id="fake",
        name="Fake tool",
        login_url=f"{tool_url}/lti/login",
        launch_url=f"{tool_url}/lti/launch",
        jwks_url=f"{tool_url}/lti/jwks",
    )
    setup.seed_demo_course(devlms_app, client_id="fake")
    launch = f"{devlms_server.url}/courses/{seed.DEMO_COURSE_ID}/launch?link={seed.DEMO_LINK_ID}&user={seed.LEARNERS[0].id}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page()
            page.goto(launch)
            frame = page.frame(name="tool-frame")
            assert frame is not None
            frame.wait_for_selector("#status:text('done')", timeout=10000)
            results = frame.evaluate("window.results")
        finally:
            browser.close()
    assert seen["lti_storage_target"] == "post_message_forwarding"
    assert all(r["origin"] == devlms_server.url for r in results.values())
    caps = results["caps"]["data"]
    assert caps["subject"] == "lti.capabilities.response"
    assert {"subject": "lti.put_data", "frame": "post_message_forwarding"} in caps[
        "supported_messages"
    ]
    assert results["caps-frame"]["data"]["subject"] == "lti.capabilities.response"
    assert results["put"]["data"] == {
        "subject": "lti.put_data.response",
        "message_id": "put",
        "key": "state-1",
        "value": "nonce-abc",
    }
    assert results["get"]["data"]["value"] == "nonce-abc"
    assert results["get"]["data"]["subject"] == "lti.get_data.response"
    missing = results["get-missing"]["data"]
    assert missing["subject"] == "lti.get_data.response" and missing["error"]["code"]


def test_storage_frame_ignores_origins_that_are_not_registered_tools(
    devlms_app, devlms_server, fake_tool
):
    from playwright.sync_api import sync_playwright

    tool_url, _, port = fake_tool
    setup.register_tool(
        devlms_app,
        client_id="fake",
        name="Fake tool",
        login_url=f"{tool_url}/lti/login",
        launch_url=f"{tool_url}/lti/launch",
        jwks_url=f"{tool_url}/lti/jwks",
    )
    outcomes = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            # Same server, two origins: 127.0.0.1 is the registered tool, localhost is not.
            for name, origin in (
                ("registered", tool_url),
                ("stranger", f"http://localhost:{port}"),
            ):
                page = browser.new_page()
                page.goto(f"{origin}/opener?lms={devlms_server.url}")
                page.wait_for_selector("#status:text('done')", timeout=10000)
                outcomes[name] = page.evaluate("window.results")
                page.close()
        finally:
            browser.close()
    assert outcomes["registered"]["put"]["subject"] == "lti.put_data.response"
    assert outcomes["registered"]["caps"]["subject"] == "lti.capabilities.response"
    assert outcomes["stranger"] == {}
