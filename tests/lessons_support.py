"""Helpers for the lesson tests: a person's launch as a small HTTP client without cookies.

Every call goes through a real launch from the dev LMS and the tool's real HTTP server.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import requests
from PIL import Image

from lti_tool.devlms.browser import forms
from lti_tool.lti.session import csrf_token_for, load_launch


@dataclass
class Member:
    """One launched course member: their launch token and CSRF token, and request helpers."""

    base: str
    token: str
    csrf: str

    @classmethod
    def launch(cls, lti, user: str, link: str | None = None) -> Member:
        result = lti.launch(user, link)
        token = result.token
        assert token, result.text
        library = requests.get(f"{lti.tool_url}/lessons/", params={"lt": token}, timeout=10)
        assert library.status_code == 200, library.text
        # The same CSRF token every page of this launch carries in its forms.
        with lti.app.test_request_context():
            csrf = csrf_token_for(load_launch(token).id)
        assert any(f.fields.get("csrf_token") == csrf for f in forms(library.text)) or "csrf_token" not in library.text
        return cls(lti.tool_url, token, csrf)

    def headers(self, json: bool = True) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}", "X-CSRF-Token": self.csrf}
        if json:
            h["Accept"] = "application/json"
        return h

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(self.base + path, params={"lt": self.token, **params}, timeout=10)

    def post(self, path: str, data: dict | None = None, files=None, **kw) -> requests.Response:
        fields = {"lt": self.token, "csrf_token": self.csrf, **(data or {})}
        return requests.post(self.base + path, data=fields, files=files, timeout=20, **kw)

    def post_json(self, path: str, body: dict) -> requests.Response:
        return requests.post(self.base + path, json=body, headers=self.headers(), timeout=10)

    def new_lesson(self, example: str = "") -> str:
        """Create a draft; return its public id (from the editor URL it redirects to)."""
        response = self.post("/lessons/new", {"example": example})
        assert response.status_code == 200, response.text
        assert "/lessons/" in response.url and "/edit" in response.url, response.url
        return response.url.split("/lessons/")[1].split("/")[0]


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


SIMPLE_LESSON = """---
title: Running a stand-up
summary: Fifteen minutes, three questions.
tags: [meetings, Teamwork]
authors: [Ana Souza]
certificate: true
pass_mark: 50
---

## Why

Short meetings help.

::: quiz single id=length points=2
How long is a stand-up?

- [ ] An hour
- [x] Fifteen minutes
:::
"""
