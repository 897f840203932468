"""Markdown and cleaned-HTML rendering of normalised bodies (synthetic, per construct)."""

from __future__ import annotations

import lxml.html
from conftest import FIXTURES

from medium_archive.body import extract_body, normalize_fragment
from medium_archive.markdown import render_html, render_markdown

URL = "https://medium.com/@ada/x-abcdef123456"


def to_markdown(html: str) -> str:
    """Body HTML read by the HTML reader (as an export or feed fragment) and written as
    Markdown."""
    return render_markdown(normalize_fragment(html, URL))


def to_clean_html(html: str) -> str:
    return render_html(normalize_fragment(html, URL))


def test_paragraph_inline_markup() -> None:
    md = to_markdown(
        "<p>A <strong>bold</strong>, <em>italic</em>: <code>x &lt; y</code> and "
        '<a href="https://example.com/a b">a link</a>.</p>'
    )
    assert md == "A **bold**, *italic*: `x < y` and [a link](https://example.com/a%20b).\n"


def test_headings_are_atx() -> None:
    assert to_markdown("<h3>Big</h3><h4>Small</h4><p>x</p>") == "## Big\n\n### Small\n\nx\n"


def test_code_block_fenced_exact_with_language() -> None:
    code = (
        "def f():\n    if a < b and '&lt;' != \"*x*\":\n\n\n        return [1_000]  # _no_ escaping"
    )
    body = '<pre data-lang="python">' + code.replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
    md = to_markdown("<p>Before</p>" + body + "<p>After</p>")
    assert md == f"Before\n\n```python\n{code}\n```\n\nAfter\n"


def test_code_fence_longer_than_backtick_runs_inside() -> None:
    md = to_markdown("<pre>use ``` fences\nand ```` too</pre>")
    assert md == "`````\nuse ``` fences\nand ```` too\n`````\n"


def test_figure_image_then_italic_caption() -> None:
    md = to_markdown(
        '<figure><img src="https://miro.medium.com/max/2000/1*a.png" alt="A chart">'
        '<figcaption>Photo by <a href="https://example.com/">Someone</a></figcaption></figure>'
    )
    assert md == (
        "![A chart](https://miro.medium.com/max/2000/1*a.png)\n"
        "*Photo by [Someone](https://example.com/)*\n"
    )


def test_figure_without_caption_or_alt() -> None:
    md = to_markdown('<figure><img src="https://miro.medium.com/max/2000/1*a.png" alt=""></figure>')
    assert md == "![](https://miro.medium.com/max/2000/1*a.png)\n"


def test_section_break_quotes_and_lists() -> None:
    md = to_markdown(
        "<p>One</p><hr><blockquote><p>Quoted</p><p>Twice</p></blockquote>"
        "<ul><li>a</li><li>b</li></ul><ol><li>c</li></ol>"
    )
    assert md == "One\n\n* * *\n\n> Quoted\n>\n> Twice\n\n- a\n- b\n\n1. c\n"


def test_embed_is_a_link() -> None:
    md = to_markdown('<p class="embed"><a href="https://medium.com/media/abc">profile.js</a></p>')
    assert md == "[profile.js](https://medium.com/media/abc)\n"


def test_br_is_a_hard_break_without_trailing_spaces() -> None:
    md = to_markdown("<p>line one<br>line two</p>")
    assert md == "line one\\\nline two\n"


def test_leading_dash_and_jekyll_braces_survive() -> None:
    md = to_markdown("<p>- Hi, I said.</p><p>Use {{ site.url }} and {% raw %}.</p>")
    assert md == "\\- Hi, I said.\n\nUse {{ site.url }} and {% raw %}.\n"


def test_output_shape_is_stable() -> None:
    md = to_markdown("<p>a  </p><p></p><p></p><p>b</p>")
    assert md.endswith("\n") and not md.endswith("\n\n")
    assert "\n\n\n" not in md
    assert all(line == line.rstrip() for line in md.splitlines())
    assert to_markdown("<p>a  </p><p></p><p></p><p>b</p>") == md
    assert to_markdown("") == ""


def test_whole_fixture_page_renders() -> None:
    html = (FIXTURES / "body" / "e3-post.html").read_text(encoding="utf-8")
    md = render_markdown(extract_body(lxml.html.fromstring(html), URL))
    assert md.startswith("What a start — with **bold**, *italic* and a [link]")
    assert '        print("<div>")\n    return 0\n```' in md
    assert "c &lt; d" in md  # an article about HTML keeps its entity: decoded exactly once
    assert "## A Big Header\n\n### A small header" in md
    assert "[The Card Title](https://example.com/card-target)" in md


def test_clean_html_sanitises_and_wraps() -> None:
    html = to_clean_html(
        '<p onclick="x()">Hi <a href="https://e.com/" target="_blank">x</a></p>'
        "<script>alert(1)</script><style>p{}</style>"
        '<pre data-lang="python">a &lt; b</pre>'
        '<figure><img src="https://m/1.png" alt="A" onerror="x"></figure>'
    )
    assert html.startswith("<article>\n") and html.endswith("</article>\n")
    assert "onclick" not in html and "onerror" not in html and "target" not in html
    assert "script" not in html and "alert" not in html and "style" not in html
    assert '<pre data-lang="python">a &lt; b</pre>' in html
    assert '<img src="https://m/1.png" alt="A">' in html
