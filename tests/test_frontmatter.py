"""frontmatter: FORMAT.md keys and order, YAML round trips, loads errors, content hash."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from medium_archive import frontmatter
from medium_archive.cleanup import clean_text
from medium_archive.document import Code, Document, Heading, Image, Paragraph, Quote, Run
from medium_archive.errors import FrontMatterError
from medium_archive.frontmatter import (
    content_hash,
    dumps,
    dumps_with_hash,
    first_paragraph,
    front_matter,
    loads,
)
from medium_archive.model import AppLink, Author, Post, Publisher

#: FORMAT.md's table, in its order.
FORMAT_KEYS = [
    "author",
    "related",
    "publisher",
    "keywords",
    "description",
    "inLanguage",
    "app_links",
    "isBasedOnUrl",
    "title",
    "datePublished",
    "dateModified",
    "sourcePath",
    "published",
    "inFeed",
    "hasPage",
    "inNav",
    "_context",
    "_type",
]
EXTRA_KEYS = [
    "url",
    "identifier",
    "alternativeHeadline",
    "image",
    "wordCount",
    "isAccessibleForFree",
    "render_with_liquid",
    "_archive",
]
#: FORMAT.md's site-generator keys, in its order.
JEKYLL_KEYS = ["date", "last_modified_at", "tags", "canonical_url"]
HUGO_KEYS = ["date", "lastmod", "tags", "canonical_url"]

BODY = """Machines start to dream&amp;comma; said the\u00a0post.

## A heading

```python
x = {{ not liquid }}
```

Second paragraph.
"""


#: BODY's document (what the front matter's text values are computed from).
BODY_DOC = Document(
    (
        Paragraph((Run("Machines start to dream&amp;comma; said the\u00a0post."),)),
        Heading((Run("A heading"),), 2),
        Code("x = {{ not liquid }}", "python"),
        Paragraph((Run("Second paragraph."),)),
    )
)


def doc(*paragraphs: str) -> Document:
    return Document(tuple(Paragraph((Run(p),)) for p in paragraphs))


def sample_post(**changes: Any) -> Post:
    values: dict[str, Any] = dict(
        id="e93d20fdb097",
        url="https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097?source=rss",
        title="Machine learning for artists",
        body=BODY_DOC,
        date_published="2016-01-03T17:19:44.342Z",
        date_modified="2016-01-04T10:00:00.000Z",
        subtitle="Machines start to dream",
        description="Page description",
        authors=(Author("Gene Kogan", "https://medium.com/@genekogan", "https://x/a.png"),),
        publisher=Publisher(
            "Pub", "https://pub.example", "https://pub.example/f.ico", "pub.example"
        ),
        tags=("Machine Learning", "Art"),
        language="en",
        app_links=(
            AppLink(
                "ios",
                url="medium://p/e93d20fdb097",
                app_store_id="828256236",
                app_name="Medium",
                package="wrong.platform",
            ),
            AppLink(
                "android",
                url="medium://p/e93d20fdb097",
                app_name="Medium",
                package="com.medium.reader",
            ),
            AppLink("web", url="https://medium.com/p/e93d20fdb097"),
        ),
        image="https://cdn-images-1.medium.com/max/2000/1*x.jpeg",
        is_paywalled=True,
        source="https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097#.b9",
    )
    values.update(changes)
    return Post(**values)


def meta_for(post: Post, body: str = BODY, **kwargs: Any) -> dict[str, Any]:
    return front_matter(post, source_path="_posts/x.md", body_markdown=body, **kwargs)


def test_keys_in_format_order_then_extras() -> None:
    meta = meta_for(sample_post(), archive={"etag": "W/1"})
    assert list(meta) == FORMAT_KEYS + EXTRA_KEYS + JEKYLL_KEYS


def test_jekyll_keys_values() -> None:
    meta = meta_for(sample_post(), archive={})
    assert meta["date"] == "2016-01-03T17:19:44.342Z" == meta["datePublished"]
    assert meta["last_modified_at"] == "2016-01-04T10:00:00.000Z"
    assert meta["tags"] == ["Machine Learning", "Art"]
    assert meta["canonical_url"] == (
        "https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097"
    )
    assert "draft" not in meta and "lastmod" not in meta


def test_date_is_a_quoted_string_on_disk() -> None:
    text = dumps_with_hash(meta_for(sample_post(), archive={}), BODY)
    assert "\ndate: '2016-01-03T17:19:44.342Z'\n" in text
    loaded, _ = loads(text)
    assert loaded["date"] == "2016-01-03T17:19:44.342Z"


def test_hugo_keys_no_url_and_draft() -> None:
    meta = meta_for(sample_post(), archive={}, generator="hugo")
    extras = [k for k in EXTRA_KEYS if k != "url"]
    assert list(meta) == FORMAT_KEYS + extras + HUGO_KEYS
    assert meta["lastmod"] == "2016-01-04T10:00:00.000Z"
    draft = meta_for(sample_post(draft=True, date_published=""), archive={}, generator="hugo")
    assert draft["draft"] is True and draft["published"] is False
    assert "date" not in draft  # an unpublished draft has no date; Hugo then leaves it unset


def test_derived_keywords_are_not_tags() -> None:
    meta = meta_for(sample_post(tags=()), archive={})
    assert meta["keywords"]  # derived from the text
    assert "tags" not in meta


def test_archive_map_goes_before_site_keys_when_added_by_dumps_with_hash() -> None:
    meta = meta_for(sample_post())  # no _archive
    text = dumps_with_hash(meta, BODY)
    assert list(loads(text)[0]) == FORMAT_KEYS + EXTRA_KEYS + JEKYLL_KEYS
    assert content_hash(text) == loads(text)[0]["_archive"]["contentHash"]


def test_values_of_a_full_post() -> None:
    meta = meta_for(sample_post(), archive={"etag": "W/1"})
    assert meta["author"] == [
        {
            "name": "Gene Kogan",
            "url": "https://medium.com/@genekogan",
            "avatar": {"url": "https://x/a.png"},
        }
    ]
    assert meta["related"] == []
    assert meta["publisher"] == {
        "url": "https://pub.example",
        "name": "Pub",
        "favicon": "https://pub.example/f.ico",
        "domain": "pub.example",
    }
    assert meta["keywords"] == ["Machine Learning", "Art"]
    assert meta["description"] == "Machines start to dream"
    assert meta["alternativeHeadline"] == "Machines start to dream"
    assert meta["app_links"] == [
        {
            "type": "ios",
            "url": "medium://p/e93d20fdb097",
            "app_store_id": "828256236",
            "app_name": "Medium",
        },
        {
            "type": "android",
            "url": "medium://p/e93d20fdb097",
            "app_name": "Medium",
            "package": "com.medium.reader",
        },
        {"type": "web", "url": "https://medium.com/p/e93d20fdb097"},
    ]
    assert [list(m) for m in meta["app_links"]][0] == ["type", "url", "app_store_id", "app_name"]
    assert meta["isBasedOnUrl"].endswith("#.b9")
    assert meta["url"] == "https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097"
    assert meta["identifier"] == "e93d20fdb097"
    assert meta["published"] is True and meta["inFeed"] is True
    assert meta["hasPage"] is False and meta["inNav"] is False
    assert meta["_context"] == "http://schema.org" and meta["_type"] == "MediaObject"
    assert meta["isAccessibleForFree"] is False
    assert meta["render_with_liquid"] is False
    assert meta["_archive"] == {"etag": "W/1"}


def test_minimal_post_has_no_unknown_extras_and_falls_back() -> None:
    post = Post(
        id="draft-1",
        url="",
        title="T",
        body=doc("Plain words only here."),
        date_published="2020-01-02",
        draft=True,
    )
    meta = meta_for(post, body="Plain words only here.\n")
    assert list(meta) == FORMAT_KEYS + ["wordCount", "date", "last_modified_at"]
    assert meta["author"] == [] and meta["app_links"] == []
    assert meta["dateModified"] == "2020-01-02"
    assert meta["published"] is False
    assert meta["description"] == "Plain words only here."
    assert meta["wordCount"] == 4
    assert meta["keywords"] == ["plain", "words"]


def test_avatar_unknown_is_empty_map() -> None:
    meta = meta_for(sample_post(authors=(Author("A", "https://medium.com/@a"),)))
    assert meta["author"][0]["avatar"] == {}


def test_description_cascade() -> None:
    assert meta_for(sample_post(subtitle=""))["description"] == "Page description"
    post = sample_post(subtitle="", description="")
    assert meta_for(post)["description"] == "Machines start to dream, said the post."


def test_every_string_is_cleaned() -> None:
    post = sample_post(
        title="It&amp;#8217;s&nbsp;here",
        tags=("A&amp;amp;B",),
        authors=(Author("Ana&amp;comma; B"),),
    )
    meta = meta_for(post)
    assert meta["title"] == "It\u2019s here"
    assert meta["keywords"] == ["A&B"]
    assert meta["author"][0]["name"] == "Ana, B"


def test_no_liquid_no_paywall_means_keys_absent() -> None:
    meta = meta_for(sample_post(is_paywalled=False), body="Just text.\n")
    assert "render_with_liquid" not in meta
    assert "isAccessibleForFree" not in meta
    assert meta_for(sample_post(), body="{% raw %}")["render_with_liquid"] is False


def test_keywords_derived_from_body_without_tags() -> None:
    body = "Neural networks dream. Neural art.\n\n```\nneural neural neural code\n```\n"
    words = Document(
        (
            Paragraph((Run("Neural networks "), Run("dream", em=True), Run(". Neural art."))),
            Code("neural neural neural code"),
        )
    )
    meta = meta_for(sample_post(tags=(), body=words), body=body)
    assert meta["keywords"] == ["neural", "networks", "dream", "art"]


def test_first_paragraph_skips_non_prose_and_cuts_at_word_boundary() -> None:
    body = "## Heading\n\n![alt](https://x/y.png)\n_caption_\n\n> quote\n\n" + "word " * 100
    text = first_paragraph(body)
    assert len(text) <= 300
    assert text.endswith("word…")
    assert first_paragraph("A [link](https://x.y) and **bold** `code`.") == "A link and bold code."
    assert first_paragraph("<article><h1>T</h1><p>Hello &amp; bye</p></article>") == "T"


def test_text_values_come_from_the_document_whatever_the_body_format() -> None:
    body = Document(
        (
            Heading((Run("Heading"),)),
            Image("https://x/y.png", "alt", (Run("caption"),)),
            Quote((Run("quote"),)),
            Paragraph(
                (
                    Run("Use "),
                    Run("[x]", code=True),
                    Run(" and "),
                    Run("a link", href="https://x.y/(a)"),
                    Run(" [here]("),
                    Run(" word " * 100),
                )
            ),
        )
    )
    post = sample_post(subtitle="", description="", tags=(), body=body)
    markdown = meta_for(post, body="anything\n")
    html = meta_for(post, body="<article>\n<p>other</p>\n</article>\n")
    for key in ("description", "wordCount", "keywords"):
        assert markdown[key] == html[key]
    assert markdown["description"].startswith("Use [x] and a link [here]( word word")
    assert markdown["description"].endswith("word…") and len(markdown["description"]) <= 300
    assert markdown["wordCount"] == 1 + 1 + 1 + 6 + 100  # alt text, code blocks not counted


# ---------------------------------------------------------------- dumps / loads


def test_dumps_shape_and_determinism() -> None:
    meta = meta_for(sample_post())
    text = dumps(meta, "Body text\n\n\n")
    assert text.startswith("---\nauthor:\n")
    assert "\n---\n\nBody text\n" in text and text.endswith("Body text\n")
    assert dumps(meta, "Body text") == text
    assert yaml.safe_load(text.split("---\n")[1]) == meta


def test_yaml_safe_load_round_trip_keeps_dates_as_strings() -> None:
    meta = meta_for(sample_post())
    loaded, body = loads(dumps(meta, BODY))
    assert loaded == meta
    assert isinstance(loaded["datePublished"], str)
    assert isinstance(loaded["dateModified"], str)
    assert "datePublished: '2016-01-03T17:19:44.342Z'" in dumps(meta, BODY)
    assert body == BODY


def test_non_ascii_kept_as_is() -> None:
    text = dumps({"title": "Café 日本 🚀"}, "")
    assert "title: Café 日本 🚀\n" in text


def test_loads_seed_style_file() -> None:
    text = "---\ntitle: x\n\n---\n<article>body</article>"
    assert loads(text) == ({"title": "x"}, "<article>body</article>")


def test_loads_crlf() -> None:
    assert loads("---\r\ntitle: x\r\n---\r\n\r\nbody\r\n") == ({"title": "x"}, "body\r\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter\n", "does not start with a '---' line"),
        ("---\ntitle: x\n", "no second '---' line"),
        ("---\n- a list\n---\n", "not a mapping"),
    ],
)
def test_loads_errors(text: str, message: str) -> None:
    with pytest.raises(FrontMatterError, match=re.escape(message)):
        loads(text)


def test_loads_bad_yaml_names_the_line() -> None:
    text = "---\ntitle: ok\nkeywords: [a, b\nother: 1\n---\nbody\n"
    with pytest.raises(FrontMatterError) as info:
        loads(text)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(r"front matter is not valid YAML at line \d+: ", message)


def test_empty_front_matter() -> None:
    assert loads("---\n---\nbody\n") == ({}, "body\n")


def test_date_string() -> None:
    utc = dt.timezone.utc
    assert frontmatter.date_string(dt.datetime(2016, 1, 3, 17, 19, 44, 342000, tzinfo=utc)) == (
        "2016-01-03T17:19:44.342Z"
    )
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert frontmatter.date_string(dt.datetime(2016, 1, 3, 18, 0, tzinfo=plus_one)) == (
        "2016-01-03T17:00:00.000Z"
    )
    assert frontmatter.date_string(dt.date(2016, 1, 3)) == "2016-01-03"
    assert frontmatter.date_string("x") == "x"


# ---------------------------------------------------------------- property tests

TRICKY = st.sampled_from(
    [
        "yes",
        "no",
        "null",
        "~",
        "true",
        "On",
        "0x1F",
        "1e3",
        "010",
        "2016-01-03",
        "2016-01-03T17:19:44.342Z",
        "---",
        "...",
        "a: b",
        "#tag",
        "@user",
        "*star",
        "&anchor",
        "!tag",
        "%percent",
        "'quoted'",
        '"double"',
        "- item",
        "? key",
        "| pipe",
        "> fold",
        "line\nbreak",
        " leading space",
        "trailing space ",
        "tab\there",
        "🚀 emoji",
        "{a: b}",
        "[list]",
        "`tick`",
        "\u2028sep",
        "\x85nel",
        "\ufeffbom",
        "",
    ]
)
SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
ANY_TEXT = st.one_of(TRICKY, SAFE_TEXT, st.lists(TRICKY, max_size=4).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(title=ANY_TEXT, description=ANY_TEXT, keywords=st.lists(ANY_TEXT, max_size=3))
def test_dumps_then_loads_keeps_every_value(
    title: str, description: str, keywords: list[str]
) -> None:
    meta = meta_for(sample_post())
    meta.update(title=title, description=description, keywords=keywords)
    loaded, _ = loads(dumps(meta, "body"))
    assert loaded == meta
    assert yaml.safe_load(dumps(meta, "body").split("\n---\n")[0][4:]) == meta


@settings(max_examples=200, deadline=None)
@given(body=SAFE_TEXT)
def test_body_round_trip(body: str) -> None:
    expected = body.strip("\n") + "\n" if body.strip("\n") else ""
    assert loads(dumps({"title": "t"}, body))[1] == expected


@settings(max_examples=100, deadline=None)
@given(stamp=st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_dates_stay_strings(stamp: dt.datetime) -> None:
    value = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    loaded, _ = loads(dumps({"datePublished": value, "day": value[:10]}, ""))
    assert loaded == {"datePublished": value, "day": value[:10]}


@given(ANY_TEXT)
def test_clean_text_is_idempotent(text: str) -> None:
    assert clean_text(clean_text(text)) == clean_text(text)


@given(st.text(st.sampled_from("&amp;#8217;comma;lt;gt; ab\u00a0\u200a")))
def test_clean_text_is_idempotent_on_entity_soup(text: str) -> None:
    assert clean_text(clean_text(text)) == clean_text(text)


# ---------------------------------------------------------------- content hash


def test_dumps_with_hash_is_deterministic_and_self_consistent() -> None:
    meta = meta_for(
        sample_post(), archive={"fetchedFrom": "https://medium.com/p/e93d20fdb097", "etag": '"abc"'}
    )
    text = dumps_with_hash(meta, BODY)
    assert text == dumps_with_hash(meta, BODY)
    stored = loads(text)[0]["_archive"]
    assert list(stored) == ["fetchedFrom", "etag", "contentHash"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", stored["contentHash"])
    assert content_hash(text) == stored["contentHash"]


def test_content_hash_notices_hand_edits_but_not_its_own_field() -> None:
    meta = meta_for(sample_post(), archive={"etag": "1"})
    text = dumps_with_hash(meta, BODY)
    stored = loads(text)[0]["_archive"]["contentHash"]
    assert content_hash(text.replace("Second paragraph.", "Second paragraph!")) != stored
    assert content_hash(text.replace("title: Machine", "title: Machina")) != stored
    other_hash = re.sub(r"contentHash: \S+", "contentHash: sha256:" + "1" * 64, text)
    assert content_hash(other_hash) == stored


def test_content_hash_of_text_without_front_matter() -> None:
    assert content_hash("plain") == content_hash("plain")
    assert content_hash("plain") != content_hash("plain!")
