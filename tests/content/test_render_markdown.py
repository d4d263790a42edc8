"""Short Markdown texts shown inside a page (a submission under "Your work"): headings start at
the level the page asks for, so they never outrank the page's own headings."""

from __future__ import annotations

from content import render_markdown


def test_headings_start_at_the_level_asked_for_and_stop_at_h6():
    html = render_markdown("# One\n\n## Two\n\n#### Four\n\ntext", top_heading=4)
    assert "<h4>One</h4>" in html and "<h6>Four</h6>" in html
    # No id either: "## Feedback" in a submission must not take the page's #feedback anchor.
    assert "<h5>Two</h5>" in html and " id=" not in html
    assert "<h1>" not in html and "<h7" not in html


def test_by_default_headings_keep_their_markdown_level_and_anchors():
    assert "<h1>One</h1>" in render_markdown("# One")
    assert '<h2 id="two">Two</h2>' in render_markdown("## Two")


def test_shifted_headings_are_still_sanitised():
    html = render_markdown("# <script>alert(1)</script> **Plan**", top_heading=3)
    assert html.startswith("<h3>") and "<script" not in html and "<strong>Plan</strong>" in html
