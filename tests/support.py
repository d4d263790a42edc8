"""Test helpers shared by modules in every test folder: import them from `support`.

(Never import from `conftest`: several conftest modules exist and shadow each other.)
"""

from __future__ import annotations

import socket
import threading

from werkzeug.serving import make_server

TEST_SECRET = "test-secret-key-with-enough-length-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A real HTTP server on loopback in a thread; `public_host` names it (localhost vs 127.0.0.1)."""

    def __init__(self, wsgi_app, host: str, port: int, public_host: str | None = None):
        self.server = make_server(host, port, wsgi_app, threaded=True)
        self.url = f"http://{public_host or host}:{port}"
        # A short poll interval: shutdown() waits for it, twice per test with two servers.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        # shutdown() waits for the serving loop; a client stuck mid-handshake (TLS tests)
        # could hold it forever, so give it a few seconds and then close the socket anyway.
        stopper = threading.Thread(target=self.server.shutdown, daemon=True)
        stopper.start()
        stopper.join(5)
        self.thread.join(1)
        self.server.server_close()
