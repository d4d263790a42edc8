"""LIS roles (full URIs and short names) mapped to PeerPath roles: least privilege by default."""

from __future__ import annotations

import pytest

from lti_tool.lti.claims import map_roles

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
I = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
S = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"


@pytest.mark.parametrize(
    ("lis", "expected"),
    [
        ([M + "Learner"], ["learner"]),
        (["Learner"], ["learner"]),
        ([M + "Instructor"], ["instructor"]),
        (["Instructor"], ["instructor"]),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], ["instructor"]),
        ([M + "ContentDeveloper"], ["instructor"]),
        ([S + "Administrator"], ["instructor", "admin"]),
        ([I + "Administrator", M + "Learner"], ["instructor", "admin"]),
        ([M + "Mentor"], ["learner", "mentor"]),
        ([], ["learner"]),
        (["http://example.com/vocab#Wizard"], ["learner"]),
        # An institution-level "Instructor" is a job title, not a role in this course.
        ([I + "Instructor", M + "Learner"], ["learner"]),
        ([I + "Faculty"], ["learner"]),
        ([None, 42, M + "Instructor"], ["instructor"]),
    ],
)
def test_map_roles(lis, expected):
    assert map_roles(lis) == expected
