"""A scripted browser for launches without JavaScript: used by tests and the benchmark.

It follows the dev LMS's auto-submitting forms and the tool's redirects; where a real
browser would run the tool's Platform Storage script, it plays the storage frame itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import parse_qs, urljoin, urlsplit

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str]
    attrs: dict[str, str]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.elements: dict[str, dict[str, str]] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.elements[a["id"]] = a
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), {}, a))
        elif tag in {"input", "button"} and self.forms and a.get("name"):
            if a.get("type") in {"radio", "checkbox"} and "checked" not in a:
                return
            if tag == "button":
                return
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and self.forms and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1].fields[a["name"]] = ""

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def parse(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


def forms(html: str) -> list[Form]:
    return parse(html).forms


@dataclass
class LaunchResult:
    response: requests.Response
    used_platform_storage: bool = False

    @property
    def text(self) -> str:
        return self.response.text

    @property
    def url(self) -> str:
        return self.response.url

    @property
    def token(self) -> str | None:
        values = parse_qs(urlsplit(self.response.url).query).get("lt")
        return values[0] if values else None


@dataclass
class ScriptedBrowser:
    """cookies=False drops every cookie, like a browser blocking third-party cookies."""

    cookies: bool = True
    timeout: float = 10.0
    storage: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.http = requests.Session()
        if not self.cookies:
            self.http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def submit(self, form: Form, base_url: str, extra: dict[str, str] | None = None, **kw) -> requests.Response:
        url = urljoin(base_url, form.action)
        data = {**form.fields, **(extra or {})}
        if form.method == "post":
            return self.http.post(url, data=data, timeout=self.timeout, **kw)
        return self.http.get(url, params=data, timeout=self.timeout, **kw)

    def initiate(self, initiation_url: str) -> tuple[requests.Response, str]:
        """Dev LMS initiation page -> tool /lti/login. Returns (tool response, auth URL)."""
        page = self.http.get(initiation_url, timeout=self.timeout)
        page.raise_for_status()
        login = self.submit(forms(page.text)[0], page.url, allow_redirects=False)
        if login.status_code in (302, 303):
            return login, login.headers["Location"]
        doc = parse(login.text)
        storage = doc.elements.get("pp-storage")
        if login.status_code != 200 or storage is None:
            return login, ""
        # Play the platform's storage frame: lti.put_data.
        self.storage.setdefault(storage["data-origin"], {})[storage["data-key"]] = storage["data-value"]
        return login, storage["data-auth-url"]

    def launch(self, initiation_url: str) -> LaunchResult:
        login, auth_url = self.initiate(initiation_url)
        if not auth_url:
            return LaunchResult(login)
        auth = self.http.get(auth_url, timeout=self.timeout)
        if auth.status_code != 200 or not forms(auth.text):
            return LaunchResult(auth)
        return self.post_launch(forms(auth.text)[0], auth.url)

    def post_launch(self, form: Form, base_url: str, extra: dict[str, str] | None = None) -> LaunchResult:
        response = self.submit(form, base_url, extra)
        used_storage = False
        doc = parse(response.text) if response.status_code == 200 else None
        pending = doc.elements.get("pp-storage-launch") if doc else None
        if pending is not None:
            # Play lti.get_data the way the tool's script and the platform frame would.
            used_storage = True
            value = self.storage.get(pending["data-origin"], {}).get(pending["data-key"], "")
            storage_form = next(f for f in doc.forms if f.attrs.get("id") == "pp-storage-launch")
            response = self.submit(storage_form, response.url, {"pp_binding": value})
        return LaunchResult(response, used_storage)
