"""How a launch is bound to the browser that started it: cookie, Platform Storage, or handle.

See README "Security": each path is exercised here; the real browser test covers the JS.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import LaunchSession


def _binding(lti) -> str:
    with lti.app.app_context():
        return db.session.scalars(select(LaunchSession)).one().binding


def test_browser_that_keeps_cookies_is_bound_by_the_state_cookie(lti):
    result = lti.launch("u-2001", cookies=True)
    assert result.response.status_code == 200
    assert _binding(lti) == "cookie"


def test_browser_that_drops_cookies_is_bound_by_the_one_time_handle(lti):
    result = lti.launch("u-2001", cookies=False)
    assert result.response.status_code == 200
    assert _binding(lti) == "handle"


def test_state_cookie_is_scoped_to_the_launch_endpoint_and_http_only(lti):
    browser = lti.browser(cookies=True)
    response, _auth = browser.initiate(lti.initiation_url("u-2001"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "Path=/lti/launch" in cookie
    assert "Max-Age=300" in cookie


@pytest.fixture
def strict(app_config):
    app_config["REQUIRE_BROWSER_BINDING"] = True
    return app_config


def test_strict_mode_refuses_a_launch_it_cannot_bind(strict, lti):
    result = lti.launch("u-2001", cookies=False)
    assert result.response.status_code == 403
    assert "open the activity in a new window" in result.text
    assert lti.count(LaunchSession) == 0


def test_strict_mode_still_accepts_the_cookie_path(strict, lti):
    assert lti.launch("u-2001", cookies=True).response.status_code == 200


class TestPlatformStorage:
    @pytest.fixture
    def devlms_config(self, devlms_config):
        return {**devlms_config, "PLATFORM_STORAGE": True}

    def test_login_page_stores_the_state_in_the_platform_frame_then_continues(self, lti):
        browser = lti.browser()
        response, auth_url = browser.initiate(lti.initiation_url("u-2001"))
        assert response.status_code == 200  # a page with the storage script, not a redirect
        assert 'data-target="post_message_forwarding"' in response.text
        assert f'data-origin="{lti.lms_url}"' in response.text
        assert auth_url.startswith(f"{lti.lms_url}/lti/auth?")
        assert "js/platform-storage.js" in response.text

    def test_launch_is_bound_by_platform_storage_without_cookies(self, lti):
        result = lti.launch("u-2001", cookies=False)
        assert result.used_platform_storage
        assert result.response.status_code == 200, result.text
        assert _binding(lti) == "platform_storage"

    def test_wrong_value_from_platform_storage_is_refused(self, lti):
        from lti_tool.devlms.browser import forms

        browser = lti.browser()
        _login, auth_url = browser.initiate(lti.initiation_url("u-2001"))
        auth = browser.http.get(auth_url)
        pending = browser.submit(forms(auth.text)[0], auth.url)
        storage_form = forms(pending.text)[0]
        refused = browser.submit(storage_form, pending.url, {"pp_binding": "attacker-value"}, headers={"Accept": "application/json"})
        assert refused.status_code == 403
        assert refused.json()["check"] == "state"
        assert lti.count(LaunchSession) == 0

    def test_storage_that_does_not_answer_falls_back_to_the_handle(self, lti):
        from lti_tool.devlms.browser import forms

        browser = lti.browser()
        _login, auth_url = browser.initiate(lti.initiation_url("u-2001"))
        auth = browser.http.get(auth_url)
        pending = browser.submit(forms(auth.text)[0], auth.url)
        page = browser.submit(forms(pending.text)[0], pending.url)  # pp_binding left empty
        assert page.status_code == 200
        assert _binding(lti) == "handle"
