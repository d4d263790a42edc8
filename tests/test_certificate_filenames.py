"""Certificate download names: ASCII, readable, without dashes standing in for letters."""

from __future__ import annotations

import pytest

from lti_tool.certificates.service import ascii_slug, filename
from lti_tool.models import Certificate

CODE = "PP-7KQ2-M9XD-0000-0000-0000-0000-0000"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ana Souza", "certificate-kind-code-reviews-ana-souza-PP-7KQ2.pdf"),
        (
            "Siobhán Ó Súilleabháin",
            "certificate-kind-code-reviews-siobhan-o-suilleabhain-PP-7KQ2.pdf",
        ),
        ("Björn Großmann", "certificate-kind-code-reviews-bjorn-grossmann-PP-7KQ2.pdf"),
        ("Nguyễn Thị Lan", "certificate-kind-code-reviews-nguyen-thi-lan-PP-7KQ2.pdf"),
        # Nothing ASCII to keep: the name is left out, not turned into "x" or dashes.
        ("Олена Коваленко", "certificate-kind-code-reviews-PP-7KQ2.pdf"),
        ("佐藤 花子", "certificate-kind-code-reviews-PP-7KQ2.pdf"),
    ],
)
def test_download_name_keeps_latin_letters_without_accents(name, expected):
    cert = Certificate(lesson_title="Kind code reviews", learner_name=name, code=CODE)
    assert filename(cert) == expected


def test_download_name_of_a_title_in_another_script_is_still_a_name():
    cert = Certificate(lesson_title="Отзыв коллеге", learner_name="فاطمة حسن", code=CODE)
    assert filename(cert) == "certificate-PP-7KQ2.pdf"


def test_slug_is_cut_at_the_limit_without_a_trailing_dash():
    assert ascii_slug("a" * 39 + " bcd") == "a" * 39
    assert len(ascii_slug("word " * 30)) <= 40
    assert not ascii_slug("word " * 30).endswith("-")
