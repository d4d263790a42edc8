"""LIS roles (full URIs and short names) mapped to PeerPath roles: least privilege by default."""

from __future__ import annotations

import pytest

from lti_tool.lti.claims import map_roles

MEMBER = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"


@pytest.mark.parametrize(
    ("lis", "expected"),
    [
        ([MEMBER + "Learner"], ["learner"]),
        (["Learner"], ["learner"]),
        ([MEMBER + "Instructor"], ["instructor"]),
        (["Instructor"], ["instructor"]),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], ["instructor"]),
        ([MEMBER + "ContentDeveloper"], ["instructor"]),
        ([SYSTEM + "Administrator"], ["instructor", "admin"]),
        ([INSTITUTION + "Administrator", MEMBER + "Learner"], ["instructor", "admin"]),
        ([MEMBER + "Mentor"], ["learner", "mentor"]),
        ([], ["learner"]),
        (["http://example.com/vocab#Wizard"], ["learner"]),
        # An institution-level "Instructor" is a job title, not a role in this course.
        ([INSTITUTION + "Instructor", MEMBER + "Learner"], ["learner"]),
        ([INSTITUTION + "Faculty"], ["learner"]),
        ([None, 42, MEMBER + "Instructor"], ["instructor"]),
    ],
)
def test_map_roles(lis, expected):
    assert map_roles(lis) == expected
