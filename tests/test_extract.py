"""`extract_post` on small hand-written pages, one trap each, plus the pure helpers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import given
from hypothesis import strategies as st

from medium_archive.challenge import is_challenge_page
from medium_archive.dates import iso_from_epoch_ms
from medium_archive.errors import Blocked, NotAPost
from medium_archive.extract import extract_post
from medium_archive.model import AppLink, Post
from medium_archive.pagedata import json_escapes, load_json_object
from medium_archive.text import is_truncation
from medium_archive.titles import clean_title

PAGES = FIXTURES / "extract"


def extract(name: str, url: str = "") -> Post:
    path: Path = PAGES / name
    return extract_post(path.read_text(encoding="utf-8"), url or str(path))


@pytest.mark.parametrize(
    ("raw", "names", "expected"),
    [
        ("Why I’m betting on Elixir — Medium", [], "Why I’m betting on Elixir"),
        ("Inside the Lab — Backchannel — Medium", ["Backchannel"], "Inside the Lab"),
        (
            "Balancing heuristics – Skyscanner Engineering – Medium",
            ["Skyscanner Engineering"],
            "Balancing heuristics",
        ),
        ("Host your app - Tim Perry - Medium", ["Tim Perry"], "Host your app"),
        ("Building Services | by Chandra R | Walmart Tech | Medium", [], "Building Services"),
        ("The MTG Wheel | by Duncan A Sabien | Human Parts", [], "The MTG Wheel"),
        ("Some Post | Debugger", ["Debugger"], "Some Post"),
        ("WTF? The Future? - From the WTF? Economy", ["From the WTF? Economy"], "WTF? The Future?"),
        ("How it feels – Hacker Noon", ["Hacker Noon"], "How it feels"),
        ("Tips to optimise rendering", ["Anton"], "Tips to optimise rendering"),
        ("A – B – C", [], "A – B – C"),
    ],
)
def test_clean_title_strips_every_suffix_form(raw: str, names: list[str], expected: str) -> None:
    assert clean_title(raw, names) == expected


def test_clean_title_strips_a_suffix_repeating_the_title_words_once() -> None:
    raw = "WTF? What’s The Future? – What’s The Future?"
    assert clean_title(raw, [], reference="WTF? What’s The Future?") == "WTF? What’s The Future?"


def test_epoch_ms_keeps_milliseconds() -> None:
    assert iso_from_epoch_ms(1522718943912) == "2018-04-03T01:29:03.912Z"
    assert iso_from_epoch_ms(0) == ""


def test_truncation_rule() -> None:
    assert is_truncation("The first words of the para…", "The first words of the paragraph go on")
    assert is_truncation("Exactly this.", "Exactly this.")
    assert not is_truncation("An author's own subtitle", "The first paragraph is different")


def test_apollo_state_is_read_for_the_posts_own_id_not_the_first_post() -> None:
    post = extract("e4_apollo_related_first.html")
    assert post.id == "0123456789ab"
    assert post.title == "Bonjour le monde"
    assert post.tags == ("Cuisine", "Voyage")
    assert post.authors[0].name == "Jeanne Dupont"


def test_e4_meta_published_time_is_latest_publish_not_first() -> None:
    post = extract("e4_apollo_related_first.html")
    assert post.date_published == "2019-01-01T00:00:00.123Z"  # Apollo firstPublishedAt
    assert post.date_modified == "2021-02-03T04:05:07.000Z"


def test_e4_page_fields_from_state_and_meta() -> None:
    post = extract("e4_apollo_related_first.html")
    assert post.url == "https://medium.com/le-blog/bonjour-le-monde-0123456789ab"
    assert post.publisher.name == "Le Blog"
    assert post.publisher.url == "https://medium.com/le-blog"
    assert post.authors[0].url == "https://medium.com/@jeanne"  # relative article:author resolved
    assert post.language == "fr"  # html lang="en" is not evidence
    assert post.app_links == (
        AppLink(
            type="ios", url="medium://p/0123456789ab", app_store_id="828256236", app_name="Medium"
        ),
        AppLink(type="android", url="medium://p/0123456789ab", package="com.medium.reader"),
        AppLink(type="web", url="https://medium.com/le-blog/bonjour-le-monde-0123456789ab"),
    )
    assert post.subtitle == ""
    assert not post.is_paywalled


def test_custom_domain_publisher_and_relative_author_url() -> None:
    post = extract("e3_custom_domain.html")
    assert post.id == "abcdef012345"
    assert post.title == "How We Ship Fast"
    assert post.publisher.name == "Example Engineering"
    assert post.publisher.url == "https://eng.example.org"
    assert post.publisher.domain == "eng.example.org"
    author = post.authors[0]
    assert author.name == "Sam Writer"
    assert author.url == "https://eng.example.org/@samwriter"  # never the Facebook id
    assert post.date_published == "2017-05-06T07:08:09.010Z"  # pre-2019 meta is first publish
    assert post.tags == ("DevOps",)
    assert post.subtitle == "A short story about deploys."  # author-written, not the 1st para
    assert post.language == "en"


def test_schemeless_publisher_url_and_member_only_post() -> None:
    post = extract("e5_schemeless_publisher.html")
    assert post.publisher.name == "Human Stuff"
    assert post.publisher.url == "https://humanstuff.medium.com"
    assert post.title == "Small Things"  # E4+ JSON-LD headline carries "- Author - Medium"
    assert post.subtitle == "Notes on noticing"
    assert post.description == "Notes on noticing"
    assert post.date_published == "2018-04-03T01:29:03.912Z"
    assert post.date_modified == "2022-11-06T00:34:15.420Z"
    assert post.tags == ("Life", "Small Things")
    assert post.authors[0].url == "https://medium.com/@analee"
    assert post.is_paywalled


def test_cloudflare_challenge_raises_blocked() -> None:
    text = (PAGES / "cloudflare.html").read_text(encoding="utf-8")
    assert is_challenge_page(text)
    with pytest.raises(Blocked, match="challenge"):
        extract_post(text, "https://medium.com/@x/y-0123456789ab")


def test_ordinary_pages_are_not_challenges() -> None:
    assert not is_challenge_page((PAGES / "e3_custom_domain.html").read_text(encoding="utf-8"))
    assert not is_challenge_page("<title>Just a moment...</title><p>a blog post title</p>")


def test_non_medium_page_is_refused() -> None:
    with pytest.raises(NotAPost, match="not a Medium page"):
        extract("not_medium.html")


def test_profile_page_is_refused_with_what_it_is() -> None:
    with pytest.raises(NotAPost, match="profile page"):
        extract("profile.html")


@pytest.mark.parametrize(
    ("html", "match"),
    [
        ('<section class="gx"><p id="d889">A fragment.</p></section>', "fragment"),
        (
            '<html><head></head><body><article class="h-entry"><h1 class="p-name">T</h1>'
            "<footer>Exported from Medium on July 24, 2022.</footer></article></body></html>",
            "medium-archive import",
        ),
        (
            '<html><body><table><tr><td class="line-content"><span class="html-tag">&lt;html&gt;'
            "</span></td></tr></table></body></html>",
            "view-source",
        ),
    ],
)
def test_special_files_are_refused_with_advice(html: str, match: str) -> None:
    with pytest.raises(NotAPost, match=match):
        extract_post(html, "saved.html")


def test_broken_json_ld_and_state_fall_through() -> None:
    html = (PAGES / "e5_schemeless_publisher.html").read_text(encoding="utf-8")
    broken = html.replace('"identifier":"aaaabbbbcccc",', '"identifier":"aaaabbbbcccc",,,')
    post = extract_post(broken, "https://humanstuff.medium.com/small-things-aaaabbbbcccc")
    assert post.id == "aaaabbbbcccc"
    assert post.title == "Small Things"
    assert post.date_published == ""  # meta of 2019+ markup is never a first-publish date


@given(st.lists(st.sampled_from(["\\", "x", "4", "1", "g", '"', "\\x41", "\\\\x4f"]), max_size=14))
def test_js_hex_escapes_become_json_escapes_after_an_odd_backslash_run(parts: list[str]) -> None:
    text = "".join(parts)
    # The definition: \xNN after an even run of escaped backslashes (or none) is an escape.
    expected = re.sub(r"(?<!\\)((?:\\\\)*)\\x([0-9a-fA-F]{2})", r"\1\\u00\2", text)
    assert json_escapes(text) == expected


_STATE_MARKERS = ("__APOLLO_STATE__", 'window["obvInit"]({', "var GLOBALS", '"@context"')


def _embedded_states() -> list[tuple[str, str, int]]:
    """(file, script text, where its JSON starts) for every embedded state and JSON-LD script in
    the fixtures and, when it is there, the corpus."""
    from conftest import CORPUS, corpus_available

    from medium_archive.pagedata import parse_html, read_head

    roots = [FIXTURES] + ([CORPUS / "pages"] if corpus_available() else [])
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.html")):
            _, _, _, scripts = read_head(parse_html(path.read_text(encoding="utf-8")))
            for text in scripts:
                marker = next((m for m in _STATE_MARKERS if m in text), None)
                if marker is not None:
                    start = 0 if marker == '"@context"' else text.find(marker)
                    found.append((path.name, text, text.find("{", start)))
    return found


def test_embedded_state_read_fast_is_what_the_standard_decoder_reads() -> None:
    """load_json_object tries orjson on the object up to the script's last "}" first; it must
    give what the standard decoder (which finds the object's own end) gives."""
    import json

    states = _embedded_states()
    assert len(states) >= 5
    for name, text, start in states:
        chunk = text[start:]
        try:
            expected = json.JSONDecoder().raw_decode(chunk)[0]
        except ValueError:
            try:
                expected = json.JSONDecoder().raw_decode(json_escapes(chunk))[0]
            except ValueError:
                continue  # not JSON at all: load_json_object raises too
        assert load_json_object(text, start) == expected, name
