"""RSS feeds: parsing, de-duplication, responses, item to post, feed URLs.

Golden values come from shared/corpus/truth/formats__*.json for the feeds in formats/rss/;
fixtures/feed/ holds small hand-written feeds (UTF-16 with BOM, publication feed, challenge).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import FIXTURES, html_of, load_truth, truth_files

from medium_archive.errors import Blocked, InvalidInput, SourceError
from medium_archive.model import MEDIUM_PUBLISHER
from medium_archive.sources.export import parse_export_post
from medium_archive.sources.feed import Feed, feed_url_for, item_to_post, parse_feed
from medium_archive.sources.markup import node_text, norm_space

FEED_FIXTURES = FIXTURES / "feed"


def _rss_truths() -> list[str]:
    return [
        name
        for name in truth_files("formats")
        if name != "formats__index.json" and load_truth(name)["source"].startswith("formats/rss/")
    ]


RSS_TRUTHS = _rss_truths()
FEED_TRUTHS = [n for n in RSS_TRUTHS if load_truth(n).get("is_feed", True)]


def _parse_corpus(corpus: Path, truth: dict[str, Any]) -> Feed:
    return parse_feed((corpus / truth["source"]).read_bytes(), "https://medium.com/feed/test")


def _norm(text: str | None) -> str | None:
    return None if text is None else norm_space(text)


# --- golden -------------------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("name", FEED_TRUTHS)
def test_feed_channel_matches_truth(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    feed = _parse_corpus(corpus, truth)
    channel = truth["channel"]
    assert feed.encoding == truth["encoding"]
    assert feed.channel.title == _norm(channel["title"])
    assert feed.channel.image == channel["avatar"]
    assert feed.channel.self_url == channel["self"]
    assert feed.channel.generator == channel["generator"]
    assert feed.channel.user_id == (channel["user_id_from_source_param"] or "")
    if channel.get("author_url"):
        assert feed.channel.kind == "user"
        assert feed.channel.author is not None
        assert feed.channel.author.url == channel["author_url"]
        assert feed.channel.author.avatar == channel["avatar"]
    if channel.get("publication"):
        assert feed.channel.kind == "publication"
        assert feed.channel.publication is not None
        assert feed.channel.publication.name == channel["publication"]["name"]
        assert feed.channel.publication.url == channel["publication"]["url"]


@pytest.mark.corpus
@pytest.mark.parametrize("name", FEED_TRUTHS)
def test_feed_item_count_after_dedup(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    feed = _parse_corpus(corpus, truth)
    unique = {item["post_id"] for item in truth["items"]}
    assert len(truth["items"]) == truth["item_count"]
    assert len(feed.items) == len(unique)
    assert len(feed.items) + feed.duplicates == truth["item_count"]


@pytest.mark.corpus
@pytest.mark.parametrize("name", FEED_TRUTHS)
def test_feed_items_match_truth(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    feed = _parse_corpus(corpus, truth)
    by_id = {item.post_id: item for item in feed.items}
    for expected in truth["items"]:
        item = by_id[expected["post_id"]]
        assert item.guid == expected["guid"]
        assert item.link == expected["canonical_url"]
        assert item.title == _norm(expected["title"])
        assert item.author == expected["author"]["name"]
        assert item.date_published == expected["date_published"]
        assert (item.date_modified or None) == expected["date_modified"]
        assert list(item.tags) == expected["tags"]
        assert item.has_full_content is expected["has_full_content"]
        assert bool(item.snippet_html) is expected["has_snippet_description_only"]
        publication = expected["publication"]
        if publication is None:
            assert item.publication is None
        else:
            assert item.publication is not None
            assert item.publication.url == publication["url"]
            assert (item.publication.name or None) == publication["name"]


@pytest.mark.corpus
@pytest.mark.parametrize("name", FEED_TRUTHS)
def test_feed_item_to_post(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    feed = _parse_corpus(corpus, truth)
    by_id = {item.post_id: item for item in feed.items}
    for expected in truth["items"]:
        item = by_id[expected["post_id"]]
        post = item_to_post(item, feed)
        if not expected["has_full_content"]:
            assert post is None  # member-only snippet: the caller must fetch the page
            continue
        assert post is not None
        assert post.id == expected["post_id"] and post.url == expected["canonical_url"]
        assert "/_/stat?" not in html_of(post.body)
        assert "was originally published in" not in html_of(post.body)
        blocks = [
            b
            for b in lxml.html.fragment_fromstring(
                html_of(post.body) or "<p></p>", create_parent="div"
            )
        ]
        blocks = [b[0] if b.tag in ("ul", "ol") and len(b) else b for b in blocks]  # first li
        texts = [node_text(b) for b in blocks if b.tag != "figure" and node_text(b)]
        first = expected["content_first_block"]  # captions skipped
        if first and first["tag"] in ("h3", "h4") and first["text"] in (item.title, post.title):
            assert texts[:1] != [first["text"]]  # the repeated title heading is dropped
        elif first:
            assert texts[:1] == [_norm(first["text"])]


@pytest.mark.corpus
def test_cloudflare_page_is_blocked(corpus: Path) -> None:
    truth = load_truth("formats__linukaarambawela__CLOUDFLARE-CHALLENGE-2024-09.json")
    assert truth["is_feed"] is False
    with pytest.raises(Blocked):
        parse_feed(
            (corpus / truth["source"]).read_bytes(), "https://medium.com/feed/@linukaarambawela"
        )


@pytest.mark.corpus
def test_rss_truths_are_all_covered(corpus: Path) -> None:
    assert len(RSS_TRUTHS) == len(FEED_TRUTHS) + 1


@pytest.mark.corpus
def test_responses_agree_with_the_export(corpus: Path) -> None:
    """The 2017 export feed and the export post files of the same account agree on which posts
    are responses (truth: the export files' is_response)."""
    feed = parse_feed(
        (corpus / "formats/rss/enkiv2-2017-export__medium.rss").read_bytes(),
        "https://medium.com/feed/@enkiv2",
    )
    by_id = {item.post_id: item for item in feed.items}
    checked = 0
    for name in truth_files("formats"):
        truth = load_truth(name)
        if not truth.get("source", "").startswith("formats/export/enkiv2") or truth["is_draft"]:
            continue
        if truth["post_id"] in by_id:
            assert by_id[truth["post_id"]].is_response is truth["is_response"], name
            checked += 1
    assert checked >= 3
    assert by_id["52d2fc2b7276"].is_response  # the truth notes' example: the first item
    drafts = sorted(i.post_id for i in feed.items if i.is_draft)
    assert len(drafts) == 3 and "5e146689d8ff" in drafts


@pytest.mark.corpus
def test_feed_and_export_dates_agree(corpus: Path) -> None:
    feed = parse_feed((corpus / "formats/rss/enkiv2-2017-export__medium.rss").read_bytes(), "x")
    by_id = {item.post_id: item for item in feed.items}
    path = (
        corpus
        / "formats/export/enkiv2__2015-05-24_Failure-modes-of-science-fiction-c2fa86ad465e.html"
    )
    post = parse_export_post(path.read_text(encoding="utf-8"), path.name).post
    assert post is not None
    assert by_id[post.id].date_published[:19] == post.date_published[:19]


@pytest.mark.corpus
def test_publication_footer_gives_the_publisher(corpus: Path) -> None:
    feed = parse_feed(
        (corpus / "formats/rss/linukaarambawela__user-feed-2026-02.xml").read_bytes(),
        "https://medium.com/feed/@linukaarambawela",
    )
    item = next(i for i in feed.items if i.post_id == "6cf9f4579155")
    post = item_to_post(item, feed)
    assert post is not None
    assert post.publisher.name == "Ballerina Swan Lake Tech Blog"
    assert post.publisher.url == "https://medium.com/ballerina-techblog"
    assert post.authors[0].url == "https://medium.com/@linukaarambawela"
    personal = item_to_post(next(i for i in feed.items if i.post_id == "2b9c66972c6c"), feed)
    assert personal is not None and personal.publisher == MEDIUM_PUBLISHER


# --- synthetic fixtures -------------------------------------------------------------------------


def _fixture_feed(name: str) -> Feed:
    return parse_feed((FEED_FIXTURES / name).read_bytes(), "https://medium.com/feed/@someone")


def test_synthetic_user_feed() -> None:
    feed = _fixture_feed("user-feed.xml")
    assert feed.channel.kind == "user"
    assert feed.channel.author is not None and feed.channel.author.name == "Some One"
    assert [i.post_id for i in feed.items] == [
        "1234567890ab",
        "fedcba987654",
        "0a0b0c0d0e0f",
        "abcdef0123",
    ]
    assert feed.duplicates == 1
    first, response, locked, draft = feed.items
    assert first.link == "https://medium.com/some-pub/a-very-long-title-1234567890ab"
    assert first.date_published == "2024-03-02T09:08:07.000Z"
    assert first.date_modified == "2024-03-03T10:11:12.131Z"
    assert first.tags == ("python", "web-development")
    assert not first.is_response and response.is_response
    assert (
        not locked.has_full_content and locked.snippet_html and item_to_post(locked, feed) is None
    )
    assert locked.publication is None  # the author's own subdomain
    assert draft.is_draft and draft.date_modified == ""


def test_synthetic_item_to_post_cleans_the_body() -> None:
    feed = _fixture_feed("user-feed.xml")
    post = item_to_post(feed.items[0], feed)
    assert post is not None
    # the feed title is cut with "…"; the repeated heading holds it whole and is dropped
    assert post.title == "A very long title that Medium cuts in the feed because it goes on and on"
    assert "A very long title that Medium" not in html_of(post.body)
    assert "_/stat" not in html_of(post.body) and "originally published" not in html_of(post.body)
    assert post.publisher.name == "Some Pub" and post.publisher.url == "https://medium.com/some-pub"
    assert post.authors[0].avatar.endswith("1*avatarXYZ.jpeg")
    assert post.tags == ("python", "web-development")
    assert "Body text — with a hair space." in node_text(
        lxml.html.fragment_fromstring(html_of(post.body), create_parent="div")
    )
    draft = item_to_post(feed.items[3], feed)
    assert draft is not None and draft.draft and draft.date_published == ""


def test_utf16_bom_feed_is_read_from_bytes() -> None:
    feed = _fixture_feed("user-feed.utf16le-bom.xml")
    assert feed.encoding == "UTF-16LE"
    assert feed.channel.title == "Stories by Søme Öne ✓ on Medium"
    assert len(feed.items) == 4
    assert feed.items[1].author == "Søme Öne ✓"


def test_publication_feed() -> None:
    feed = parse_feed(
        (FEED_FIXTURES / "publication-feed.xml").read_bytes(), "https://medium.com/feed/some-pub"
    )
    assert feed.channel.kind == "publication"
    assert feed.channel.publication is not None and feed.channel.publication.name == "Some Pub"
    post = item_to_post(feed.items[0], feed)
    assert post is not None
    assert post.publisher.url == "https://medium.com/some-pub"
    assert post.authors[0].name == "Another Writer" and post.authors[0].url == ""


def test_stray_lt_before_cdata_keeps_every_item() -> None:
    data = (
        (FEED_FIXTURES / "user-feed.xml")
        .read_bytes()
        .replace(b"<content:encoded><![CDATA[<figure>", b"<content:encoded><<![CDATA[<figure>", 1)
    )
    assert len(parse_feed(data, "x").items) == 4


def test_challenge_and_non_feed() -> None:
    with pytest.raises(Blocked):
        _fixture_feed("cloudflare-challenge.html")
    with pytest.raises(SourceError, match="not an RSS feed"):
        _fixture_feed("not-a-feed.html")
    with pytest.raises(SourceError):
        parse_feed(b"", "x")


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("@someone", "https://medium.com/feed/@someone"),
        ("https://medium.com/@someone", "https://medium.com/feed/@someone"),
        (
            "https://medium.com/@someone/some-post-1234567890ab?source=x",
            "https://medium.com/feed/@someone",
        ),
        ("https://medium.com/yld-blog", "https://medium.com/feed/yld-blog"),
        (
            "https://medium.com/hacker-daily/tagged/software-development",
            "https://medium.com/feed/hacker-daily/tagged/software-development",
        ),
        ("https://medium.com/tag/python", "https://medium.com/feed/tag/python"),
        ("https://someone.medium.com/", "https://someone.medium.com/feed"),
        ("https://codeburst.io", "https://codeburst.io/feed"),
        ("https://medium.com/feed/@someone", "https://medium.com/feed/@someone"),
        ("https://medium.com/@someone/feed", "https://medium.com/@someone/feed"),
    ],
)
def test_feed_url_for(arg: str, expected: str) -> None:
    assert feed_url_for(arg) == expected


@pytest.mark.parametrize(
    "arg", ["someone", "ftp://medium.com/@x", "https://medium.com/p/1234567890ab"]
)
def test_feed_url_for_rejects(arg: str) -> None:
    with pytest.raises(InvalidInput):
        feed_url_for(arg)
