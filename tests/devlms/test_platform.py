"""Dev LMS pages, configuration and setup: OpenID configuration, Platform Storage, seeding.

Platform Storage is switched on here (the shared fixture switches it off).
"""

from __future__ import annotations

import html
import json
import re

import pytest
from devlms_helpers import form_of
from sqlalchemy import func, select

from lti_tool.devlms import create_devlms_app, seed, setup
from lti_tool.devlms.models import Enrolment, Person, ResourceLink, db


@pytest.fixture
def devlms_config(devlms_config):
    return {**devlms_config, "PLATFORM_STORAGE": True}


def test_openid_configuration_has_the_dynamic_registration_fields(lms, devlms_config):
    issuer = devlms_config["ISSUER"]
    conf = lms.get("/.well-known/openid-configuration").get_json()
    assert conf["issuer"] == issuer
    assert conf["authorization_endpoint"] == f"{issuer}/lti/auth"
    assert conf["token_endpoint"] == f"{issuer}/lti/token"
    assert conf["jwks_uri"] == f"{issuer}/lti/certs"
    assert conf["registration_endpoint"] == f"{issuer}/lti/register"
    assert conf["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert conf["token_endpoint_auth_signing_alg_values_supported"] == ["RS256"]
    assert conf["id_token_signing_alg_values_supported"] == ["RS256"]
    assert conf["response_types_supported"] == ["id_token"]
    assert "openid" in conf["scopes_supported"]
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in conf["scopes_supported"]
    assert conf["subject_types_supported"] and "sub" in conf["claims_supported"]
    lti = conf["https://purl.imsglobal.org/spec/lti-platform-configuration"]
    assert lti["product_family_code"] == "peerpath-devlms" and lti["version"]
    assert {m["type"] for m in lti["messages_supported"]} == {
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    }
    assert isinstance(lti["variables"], list)


def test_platform_storage_frame_embeds_the_registered_tool_origins(lms, tool, jwks_server):
    response = lms.get("/platform-storage")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    origins = json.loads(html.unescape(re.search(r'data-allowed-origins="([^"]*)"', page).group(1)))
    assert origins == [jwks_server]  # the tool logs in and launches on this origin
    assert "platform-storage.js" in page
    assert "<script>" not in page  # external, nonce'd script only


def test_platform_storage_script_answers_the_lti_messages(lms):
    script = lms.get("/static/platform-storage.js").get_data(as_text=True)
    for subject in ("lti.capabilities.response", "lti.put_data.response", "lti.get_data.response"):
        assert subject in script
    assert "event.origin" in script and "postMessage(body, event.origin)" in script


def test_login_initiation_offers_the_storage_target(lms, tool, course):
    _, fields = form_of(
        lms.get(f"/lti/initiate?user={seed.LEARNERS[0].id}&link={seed.DEMO_LINK_ID}").get_data(
            as_text=True
        )
    )
    assert fields["lti_storage_target"] == "post_message_forwarding"


def test_launch_page_frames_the_tool_and_the_storage_frame(lms, tool, course):
    learner = seed.LEARNERS[4]
    response = lms.get(
        f"/courses/{seed.DEMO_COURSE_ID}/launch?link={seed.DEMO_LINK_ID}&user={learner.id}"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    frame = re.search(r'<iframe name="tool-frame"[^>]*>', page).group(0)
    assert 'title="PeerPath (as Nguyễn Thị Lan)"' in frame
    src = html.unescape(re.search(r'src="([^"]+)"', frame).group(1))
    assert (
        src.startswith("/lti/initiate?")
        and f"user={learner.id}" in src
        and f"link={seed.DEMO_LINK_ID}" in src
    )
    assert '<iframe name="post_message_forwarding"' in page
    assert 'src="/platform-storage"' in page


def test_deep_linking_launch_page_is_for_instructors_only(lms, tool, course):
    base = f"/courses/{seed.DEMO_COURSE_ID}/launch?deep_link=1&tool={tool.client_id}"
    assert lms.get(f"{base}&user={seed.LEARNERS[0].id}").status_code == 403
    page = lms.get(f"{base}&user={seed.INSTRUCTORS[0].id}").get_data(as_text=True)
    assert "deep_link=1" in html.unescape(
        re.search(r'<iframe name="tool-frame"[^>]*src="([^"]+)"', page).group(1)
    )


def test_course_page_lists_every_member_with_a_launch_button_and_language(lms, tool, course):
    page = lms.get(f"/courses/{seed.DEMO_COURSE_ID}").get_data(as_text=True)
    assert "<h1>Peer Learning at Work</h1>" in page
    for person in (*seed.INSTRUCTORS, *seed.LEARNERS):
        assert f"user={person.id}" in page
        assert f'<span lang="{person.locale.split("-")[0]}" dir="auto">{person.name}</span>' in page
    assert "Add an activity with PeerPath as" in page
    # No tool frame until someone launches; the storage frame only comes with a launch.
    assert "tool-frame" not in page and "post_message_forwarding" not in page


def test_index_lists_the_course(lms, tool, course):
    page = lms.get("/").get_data(as_text=True)
    assert "Peer Learning at Work" in page and f"/courses/{seed.DEMO_COURSE_ID}" in page


def test_demo_seed_is_idempotent(devlms_app, tool):
    first = setup.seed_demo_course(devlms_app, client_id=tool.client_id)
    second = setup.seed_demo_course(devlms_app, client_id=tool.client_id)
    again = setup.register_tool(
        devlms_app,
        client_id=tool.client_id,
        name=tool.name,
        login_url=tool.login_url,
        launch_url=tool.launch_url,
        jwks_url=tool.jwks_url,
    )
    assert first == second and again.id == tool.id
    with devlms_app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Person) == len(seed.INSTRUCTORS) + len(seed.LEARNERS)
        assert count(Enrolment) == len(seed.INSTRUCTORS) + len(seed.LEARNERS)
        assert count(ResourceLink) == 1
        assert db.session.get(ResourceLink, seed.DEMO_LINK_ID).custom == {}


def test_seed_people_are_international_with_locales():
    assert len(seed.INSTRUCTORS) == 2 and len(seed.LEARNERS) >= 7
    locales = {p.locale for p in (*seed.INSTRUCTORS, *seed.LEARNERS)}
    assert {"en-GB", "ja-JP", "es-MX", "uk-UA", "ar-EG", "vi-VN", "de-DE"} <= locales
    assert all("@" in p.email for p in (*seed.INSTRUCTORS, *seed.LEARNERS))
    assert len({p.id for p in (*seed.INSTRUCTORS, *seed.LEARNERS)}) == 10


def test_platform_input_describes_the_dev_lms_for_the_tool(devlms_app, tool, devlms_config):
    pi = setup.platform_input(devlms_app, client_id=tool.client_id)
    issuer = devlms_config["ISSUER"]
    assert (pi.issuer, pi.client_id) == (issuer, tool.client_id)
    assert pi.auth_login_url == f"{issuer}/lti/auth"
    assert pi.auth_token_url == f"{issuer}/lti/token"
    assert pi.key_set_url == f"{issuer}/lti/certs"
    assert list(pi.deployment_ids) == ["1"]
    assert pi.name == "PeerPath Dev LMS" and pi.product_family == "peerpath-devlms"


def test_platform_storage_off_means_no_frame_and_no_storage_target(
    devlms_config, tmp_path, jwks_server
):
    app = create_devlms_app(
        {
            **devlms_config,
            "PLATFORM_STORAGE": False,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'off.sqlite'}",
        }
    )
    setup.register_tool(
        app,
        client_id="t",
        name="T",
        login_url=f"{jwks_server}/lti/login",
        launch_url=f"{jwks_server}/lti/launch",
        jwks_url=f"{jwks_server}/lti/jwks",
    )
    setup.seed_demo_course(app, client_id="t")
    client = app.test_client()
    assert client.get("/platform-storage").status_code == 404
    page = client.get(
        f"/courses/{seed.DEMO_COURSE_ID}/launch?link={seed.DEMO_LINK_ID}&user={seed.LEARNERS[0].id}"
    ).get_data(as_text=True)
    assert 'name="tool-frame"' in page and "post_message_forwarding" not in page
    _, fields = form_of(
        client.get(f"/lti/initiate?user={seed.LEARNERS[0].id}&link={seed.DEMO_LINK_ID}").get_data(
            as_text=True
        )
    )
    assert "lti_storage_target" not in fields


def test_the_dev_lms_refuses_production(devlms_config):
    with pytest.raises(RuntimeError, match="production"):
        create_devlms_app({**devlms_config, "PRODUCTION": True})
