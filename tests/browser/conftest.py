"""Browser-test fixtures: Debian's Chromium through Playwright, axe-core, screenshots.

One Chromium per module, a fresh context per scenario; never downloads a browser.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"

# Without the networking flags Chromium floods the closed network with background requests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Block third-party cookies the way Chrome's phase-out does; the cookie probe test
    # checks that framed cross-site cookies really are dropped in this configuration.
    "--test-third-party-cookie-phaseout",
]

BLOCKING_IMPACTS = ("serious", "critical")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve() -> Iterator[Callable[[Any], int]]:
    """serve(wsgi_app, port=None) -> port: a werkzeug server on 127.0.0.1 in a thread, stopped after the test."""
    servers: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def start(wsgi_app: Any, port: int | None = None) -> int:
        server = make_server("127.0.0.1", port or free_port(), wsgi_app, threaded=True)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        servers.append((server, thread))
        return server.server_port

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless; fails (never skips) when it or Playwright is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(apt-get install -y chromium); never `playwright install`.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        pytest.fail(f"Playwright is not installed in this venv: {exc}", pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(
            f"{AXE_JS.relative_to(REPO)} is missing: run `npm ci` at the repository root.",
            pytrace=False,
        )
    return AXE_JS.read_text(encoding="utf-8")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def describe_pages(ctx: Any) -> str:
    """Every page and frame of a context: URL and visible text, for failure reports."""
    lines = []
    for page in ctx.pages:
        for frame in page.frames:
            try:
                text = frame.locator("body").inner_text(timeout=1_000)
            except Exception as exc:  # noqa: BLE001 - diagnostics must not raise
                text = f"<no text: {exc.__class__.__name__}>"
            lines.append(
                f"frame {frame.name or '(main)'} at {frame.url}:\n  "
                + text.replace("\n", "\n  ")[:1500]
            )
    return "\n".join(lines)


@pytest.fixture
def context(browser, request) -> Iterator[Any]:
    """A fresh browser profile per scenario. bypass_csp lets axe be injected into
    the tool's and the LMS's pages, whose CSP only allows 'self' and nonce scripts.
    On failure: a screenshot of each page and every frame's URL and text."""
    ctx = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
            for i, page in enumerate(ctx.pages):
                page.screenshot(path=str(SCREENSHOTS / f"{name}-FAILED-{i}.png"), full_page=True)
            print("\nBrowser state at the failure:\n" + describe_pages(ctx))
    finally:
        ctx.close()


class Shots:
    """Screenshots (full page unless asked otherwise) named <test>-<nn>-<step>.png under
    test-artifacts/screenshots, or the folder given."""

    def __init__(self, test_name: str, folder: Path = SCREENSHOTS):
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{self.prefix}-*.png"):
            old.unlink()

    def take(self, page: Any, step: str, full_page: bool = True) -> Path:
        self.count += 1
        path = (
            self.folder
            / f"{self.prefix}-{self.count:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', step)}.png"
        )
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shots(request) -> Shots:
    """Screenshots of one test; a module's own SCREENSHOTS folder wins over the default."""
    return Shots(request.node.name, getattr(request.module, "SCREENSHOTS", SCREENSHOTS))


def axe_violations(frame: Any, axe_source: str) -> list[dict[str, Any]]:
    """Run axe-core in one frame (a page's main frame or an iframe) and return violations.

    Child frames are checked on their own (A11y.check per frame), so axe skips them here.
    """
    if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
        frame.add_script_tag(content=axe_source)
    result = frame.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations'], iframes: false});
            return {url: r.url, passes: r.passes.length, violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
            }))};
        }"""
    )
    # axe really ran in this document (not an about:blank or a stale one) and checked something.
    assert result["url"] == frame.url, (result["url"], frame.url)
    assert result["passes"] > 0, f"axe-core checked nothing on {frame.url}"
    return list(result["violations"])


def format_violations(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core on {where}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"      {t}" for t in v["targets"])
    return "\n".join(lines)


class A11y:
    """Collects axe results for every page visited; the test asserts once at the end
    so one failing page does not hide the others."""

    def __init__(self, axe_source: str):
        self.axe_source = axe_source
        self.checked: list[str] = []
        self.blocking: list[str] = []
        self.minor: list[str] = []

    def check(self, frame: Any, where: str) -> None:
        violations = axe_violations(frame, self.axe_source)
        self.checked.append(f"{where} ({frame.url})")
        bad = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        rest = [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]
        if bad:
            self.blocking.append(format_violations(f"{where} ({frame.url})", bad))
        if rest:
            self.minor.append(format_violations(f"{where} ({frame.url})", rest))

    def assert_clean(self, strict: bool = False) -> None:
        """No serious or critical violation anywhere; with strict=True, no violation at all."""
        if strict:
            found = self.blocking + self.minor
            assert not found, "accessibility violations:\n" + "\n".join(found)
        if self.minor:
            print("\n".join(["axe-core: minor/moderate findings (not failing):", *self.minor]))
        assert not self.blocking, "serious/critical accessibility violations:\n" + "\n".join(
            self.blocking
        )


@pytest.fixture
def a11y(axe_source) -> A11y:
    return A11y(axe_source)


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
