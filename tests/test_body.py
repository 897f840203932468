"""Body isolation and normalisation on hand-written fixtures (fixtures/body/) and inline HTML."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from conftest import FIXTURES, html_of

from medium_archive.body import extract_body, normalize_fragment
from medium_archive.document import (
    Document,
    Embed,
    Image,
    ListItem,
    Paragraph,
    Quote,
    Run,
    plain,
    text_of,
)

URL = "https://medium.com/@ada/fixture-post-abcdef123456"


def doc_of(name: str) -> Document:
    html = (FIXTURES / "body" / name).read_text(encoding="utf-8")
    return extract_body(lxml.html.fromstring(html), URL)


def body_of(name: str) -> str:
    return html_of(doc_of(name))


def blocks(body: str) -> list[Any]:
    root = lxml.html.fragment_fromstring(body, create_parent="div")
    return list(root)


def page(article: str) -> str:
    """A minimal E4-style page around some article markup."""
    html = f"<html><body><article><section></section><div>{article}</div></article></body></html>"
    return html_of(extract_body(lxml.html.fromstring(html), URL))


# --- E2/E3 graf markup --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def e3() -> str:
    return body_of("e3-post.html")


def test_e3_chrome_is_dropped(e3: str) -> None:
    for chrome in (
        "Fixture Post",
        "A subtitle",
        "Ada Lovelace",
        "5 min read",
        "Follow",
        "Jan 1",
        "Python",
        "One clap",
        "More from",
        "Homepage",
        "avatar",
    ):
        assert chrome not in e3


def test_e3_block_sequence() -> None:
    kinds = [type(b).__name__ for b in doc_of("e3-post.html").blocks]
    assert kinds == [
        "Paragraph",
        "Paragraph",
        "Code",
        "Image",
        "Break",
        "Heading",
        "Heading",
        "Quote",
        "Quote",
        "ListItem",
        "ListItem",
        "Embed",
        "Embed",
        "Paragraph",
    ]


def test_drop_cap_joined_and_spaces_cleaned(e3: str) -> None:
    first = blocks(e3)[0]
    assert first.text_content() == "What a start — with bold, italic and a link."


def test_links_absolute_without_tracking(e3: str) -> None:
    assert 'href="https://medium.com/@ada/other-post-0123456789ab"' in e3
    assert "source=" not in e3


def test_entities_decoded_in_text_and_jekyll_kept(e3: str) -> None:
    second = blocks(e3)[1]
    assert second.text_content() == "Use {{ site.url }} and write , like this \u2019quoted\u2019."


def test_one_line_pre_run_merged_exactly(e3: str) -> None:
    pre = blocks(e3)[2]
    assert pre.text_content() == (
        'def main():\n    if a < b and c &lt; d:\n        print("<div>")\n    return 0'
    )
    assert "<strong>" not in e3.split("<pre>")[1].split("</pre>")[0]


def test_progressive_image_full_resolution_with_caption(e3: str) -> None:
    figure = blocks(e3)[3]
    img = figure.find("img")
    assert (
        img.get("src") == "https://cdn-images-1.medium.com/max/1600/1*AbCdEfGhIjKlMnOpQrStUv.jpeg"
    )
    assert img.get("alt") == ""
    caption = figure.find("figcaption")
    assert caption.text_content() == "A caption with a credit"
    assert caption.find("a").get("href") == "https://example.com/photo"


def test_section_break_between_sections_only(e3: str) -> None:
    assert blocks(e3)[0].tag != "hr"
    assert e3.count("<hr>") == 1


def test_quotes_lists_and_empty_items() -> None:
    doc = doc_of("e3-post.html")
    assert Quote((Run("A pull quote."),), pull=True) in doc.blocks
    items = [b for b in doc.blocks if isinstance(b, ListItem)]
    assert items == [
        ListItem((Run("first item"),)),
        ListItem((Run("second "), Run("item", em=True))),
    ]


def test_relative_media_iframe_becomes_absolute_link() -> None:
    embed = doc_of("e3-post.html").blocks[11]
    assert embed == Embed(
        "https://medium.com/media/0123456789abcdef0123456789abcdef?postId=abcdef123456",
        caption=(Run("An embedded gist"),),
        media_id="0123456789abcdef0123456789abcdef",
    )


def test_mixtape_card_is_a_titled_link() -> None:
    card = doc_of("e3-post.html").blocks[12]
    assert card == Embed(
        "https://example.com/card-target", title="The Card Title", kind="link", resolved=True
    )


# --- E4 React markup ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def e4() -> str:
    return body_of("e4-post.html")


def test_e4_chrome_title_subtitle_and_meter_dropped(e4: str) -> None:
    for chrome in (
        "Lite Fixture",
        "The subtitle",
        "Mar 28",
        "min read",
        "member-only",
        "Follow",
        "Nodejs",
        "claps",
        "More from",
        "Related story",
        "Sign in",
    ):
        assert chrome not in e4


def test_e4_prettified_paragraph_collapsed_with_drop_cap(e4: str) -> None:
    first = blocks(e4)[0]
    assert first.text_content() == (
        "What a prettified paragraph, with a highlight and a relative link."
    )
    assert "<mark" not in e4
    assert first.find("a").get("href") == "https://medium.com/@bo/earlier-post-0a1b2c3d4e5f"


def test_e4_lazy_image_uses_largest_srcset_and_drops_filler_alt(e4: str) -> None:
    figure = blocks(e4)[1]
    assert (
        figure.find("img").get("src")
        == "https://miro.medium.com/max/3788/1*Zz9Yy8Xx7Ww6Vv5Uu4Tt3S.png"
    )
    assert figure.find("img").get("alt") == ""
    assert figure.find("figcaption").text_content() == "Memory in action"
    assert "max/60" not in e4 and "q=20" not in e4


def test_e4_headings_mapped(e4: str) -> None:
    assert "<h2>First Section</h2>" in e4
    assert "<h3>A small one</h3>" in e4


def test_e4_code_block_with_br_and_language(e4: str) -> None:
    assert '<pre data-lang="javascript">function f() {\n  return a &lt; b;\n}</pre>' in e4


def test_e4_blockquote_keeps_its_paragraphs() -> None:
    quotes = [b for b in doc_of("e4-post.html").blocks if isinstance(b, Quote)]
    assert quotes == [Quote((Run("EXAMPLE: one"),)), Quote((Run("two"),), continued=True)]


def test_e4_placeholder_figures_take_apollo_media_in_order() -> None:
    embeds = [b for b in doc_of("e4-post.html").blocks if isinstance(b, Embed)]
    hrefs = [e.url for e in embeds]
    assert hrefs == [
        "https://medium.com/media/1111aaaa2222bbbb3333cccc4444dddd",
        "https://medium.com/media/5555eeee6666ffff7777aaaa8888bbbb",
        "https://medium.com/media/9999aaaa9999bbbb9999cccc9999dddd",
        "https://www.google.com/search/howsearchworks/",
    ]
    assert [e.title or plain(e.caption) for e in embeds][1:] == [
        "A captioned placeholder gist",
        "profile.js",
        "How Search Works",
    ]


def test_e4_separator_list_and_read_more_marker(e4: str) -> None:
    assert "<hr>\n<h3>A small one</h3>" in e4
    doc = doc_of("e4-post.html")
    items = [b for b in doc.blocks if isinstance(b, ListItem)]
    assert items == [
        ListItem((Run("one "), Run("ssh root@host", code=True)), ordered=True),
        ListItem((Run("two"),), ordered=True),
    ]
    assert blocks(e4)[-1].text_content() == "Last words."


# --- E5 pw-* markup -----------------------------------------------------------------------------


def test_e5_kicker_title_subtitle_byline_meter_dropped() -> None:
    body = body_of("e5-post.html")
    for chrome in (
        "Humans 101",
        "Pw Fixture",
        "Move over",
        "Apr 2, 2018",
        "12 min read",
        "Member-only",
        "free member-only",
        "2.1K",
        "related story",
    ):
        assert chrome not in body
    tags = [b.tag for b in blocks(body)]
    assert tags == ["figure", "p", "pre", "h3", "ul"]


def test_e5_picture_prefers_original_format_over_webp() -> None:
    body = body_of("e5-post.html")
    figure = blocks(body)[0]
    assert (
        figure.find("img").get("src")
        == "https://miro.medium.com/max/1400/1*Pp0Oo9Nn8Mm7Ll6Kk5Jj4I.jpeg"
    )
    assert figure.find("img").get("alt") == "A guild symbol"
    assert figure.find("figcaption").text_content() == "(\u201cOrzhov\u201d)"
    assert blocks(body)[1].text_content() == "Magic is a game of colors."


# --- edge cases on inline pages -----------------------------------------------------------------


def test_image_drop_cap_keeps_letter_only() -> None:
    html = (
        '<html><body><div class="postArticle-content"><h1 class="graf graf--title">T</h1>'
        '<p class="graf graf--p graf--hasDropCap"><span class="graf-dropCap">'
        '<span class="aspectRatioPlaceholder"><img class="graf-dropCapImage" '
        'data-image-id="1*M7hd1B4JfKhe_7PKYuH2pQ.png" src="./x_files/a.png"></span>'
        '<span class="graf-dropCapText">A</span></span> big league clubhouse.</p>'
        "</div></body></html>"
    )
    body = html_of(extract_body(lxml.html.fromstring(html), URL))
    assert body == "<p>A big league clubhouse.</p>"


def test_gist_script_becomes_link() -> None:
    body = page(
        '<h1>Title</h1><p id="a1">Intro</p>'
        '<script src="https://gist.github.com/ada/0123abcd.js"></script><p id="a2">After</p>'
    )
    assert '<p class="embed"><a href="https://gist.github.com/ada/0123abcd">' in body


def test_escaped_markup_in_text_is_escaped_once() -> None:
    body = page('<h1>T</h1><p id="a1">7. &lt;X&gt;\u2013ity &amp;amp; more</p>')
    assert body == "<p>7. &lt;X&gt;\u2013ity &amp; more</p>"


def test_doubled_document_gives_first_body_once() -> None:
    one = (
        "<html><head><script>//<![CDATA[\nvar x = 1;\n//]]></script></head><body>"
        '<div class="postArticle-content"><h1 class="graf graf--title">T</h1>'
        '<p class="graf graf--p">Only once.</p></div></body></html>'
    )
    doubled = one + one.replace("Only once.", "Response")
    body = html_of(extract_body(lxml.html.fromstring(doubled), URL))
    assert body == "<p>Only once.</p>"


def test_page_without_article_gives_empty_body() -> None:
    html = "<html><body><p>hi</p></body></html>"
    assert extract_body(lxml.html.fromstring(html), URL) == Document()


# --- fragments (exports and feeds) ----------------------------------------------------------------


def test_export_fragment_graf_markup() -> None:
    fragment = (
        '<section data-field="body" class="e-content"><section name="a" '
        'class="section section--body section--first">'
        '<div class="section-divider"><hr class="section-divider"></div>'
        '<div class="section-content"><div class="section-inner sectionLayout--insetColumn">'
        '<h3 name="t" class="graf graf--h3 graf--leading graf--title">Export Title</h3>'
        '<p name="p" class="graf graf--p">Body text&amp;period;</p>'
        '<h3 name="h" class="graf graf--h3">Section</h3>'
        '<figure name="f" class="graf graf--figure"><img class="graf-image" '
        'data-image-id="1*Ab12Cd34Ef56Gh78Ij90Kl.png" src="https://cdn-images-1.medium.com/max/800/'
        '1*Ab12Cd34Ef56Gh78Ij90Kl.png"></figure></div></div></section></section>'
    )
    body = html_of(normalize_fragment(fragment, "https://medium.com/p/abcdef123456"))
    assert body == (
        "<p>Body text.</p>\n<h2>Section</h2>\n"
        '<figure><img src="https://cdn-images-1.medium.com/max/800/1*Ab12Cd34Ef56Gh78Ij90Kl.png"'
        ' alt=""></figure>'
    )


def test_feed_fragment_plain_markup() -> None:
    fragment = (
        "<h3>Feed Title</h3><p>Intro <strong>bold</strong></p><h3>Big</h3><h4>Small</h4>"
        '<figure><img alt="Chart" src="https://cdn-images-1.medium.com/max/1024/1*x.png">'
        "<figcaption>Cap</figcaption></figure><pre>x = 1\ny = 2</pre>"
        '<img src="https://medium.com/_/stat?event=post.clientViewed" width="1" height="1">'
    )
    doc = normalize_fragment(fragment, "https://medium.com/p/abcdef123456", title="Feed Title")
    body = html_of(doc)
    tags = [b.tag for b in blocks(body)]
    assert tags[:5] == ["p", "h2", "h3", "figure", "pre"]
    assert "Feed Title" not in body
    assert "<pre>x = 1\ny = 2</pre>" in body


def test_text_of_gives_block_text() -> None:
    body = normalize_fragment(
        "<h2>Head</h2><p>One<br>two</p><pre>code()</pre><ul><li>a</li><li>b</li></ul>", URL
    )
    assert body.blocks[1] == Paragraph((Run("One\ntwo"),))
    assert text_of(body) == "Head\nOne two\na\nb"
    assert "code()" in text_of(body, include_code=True)


def test_linked_image_keeps_its_link() -> None:
    html = (
        '<html><body><div class="postArticle-content"><h1 class="graf graf--title">T</h1>'
        '<figure name="f" class="graf graf--figure"><div class="aspectRatioPlaceholder">'
        '<a href="https://theringer.com/home?source=post" class="graf-imageAnchor">'
        '<div class="progressiveMedia" data-image-id="1*DUeKUodX3AiX41BA7IDyLA.jpeg">'
        '<img class="progressiveMedia-image" data-src="https://cdn-images-1.medium.com/max/2000/'
        '1*DUeKUodX3AiX41BA7IDyLA.jpeg"></div></a></div>'
        '<figcaption>By <a href="https://x.test/">X</a></figcaption></figure>'
        "</div></body></html>"
    )
    doc = extract_body(lxml.html.fromstring(html), URL)
    assert doc.blocks == (
        Image(
            "https://cdn-images-1.medium.com/max/2000/1*DUeKUodX3AiX41BA7IDyLA.jpeg",
            caption=(Run("By "), Run("X", href="https://x.test/")),
            href="https://theringer.com/home",
        ),
    )
