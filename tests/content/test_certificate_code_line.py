"""The verification code on a certificate: a typical code on one line, any code printed whole.

A code broken over two lines is easy to mistype; typing ignores the dashes, so a very wide code
may still wrap, but only at a dash.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from content.certificates import CertificateData, render_certificate_pdf

TYPICAL = "PP-WXA5-DPPN-GD0D-GPQH-5C1E-SCFT-96KB"  # one that wrapped at 10 pt in a real run
WIDEST = "PP-MWMW-WMWM-MWMW-WMWM-MWMW-WMWM-MWMW"  # the widest letters of the alphabet


def printed_code_lines(code: str, paper: str) -> list[str]:
    data = CertificateData(
        learner_name="Олена Коваленко",
        title="Kind code reviews",
        organisation="PeerPath Dev LMS",
        authors=("Siobhán Ó Súilleabháin",),
        issued_on=date(2026, 12, 1),
        verification_code=code,
        verify_base_url="https://learn.northwind.example/verify",
    )
    lines = PdfReader(io.BytesIO(render_certificate_pdf(data, paper))).pages[0].extract_text()
    lines = [line.strip() for line in lines.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("PP-"))
    printed = []
    for line in lines[start:]:
        printed.append(line)
        if len("".join(printed)) >= len(code) or "/verify/" in line:
            break
    return printed


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_a_typical_code_is_printed_on_one_line(paper):
    assert printed_code_lines(TYPICAL, paper) == [TYPICAL]


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_widest_code_is_printed_whole_and_wraps_only_at_a_dash(paper):
    printed = printed_code_lines(WIDEST, paper)
    assert "".join(printed) == WIDEST, printed
    assert all(line.endswith("-") for line in printed[:-1]), printed
