"""Medium URL rules: a table per function, and canonicalisation properties."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medium_archive.errors import InvalidInput
from medium_archive.urls import (
    absolute,
    canonical_url,
    check_url,
    host,
    post_id_from_url,
    slug_from_url,
    slugify,
    strip_tracking,
)


@pytest.mark.parametrize(
    ("url", "post_id"),
    [
        ("https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097", "e93d20fdb097"),
        (
            "https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097#.b9dw5bmik",
            "e93d20fdb097",
        ),
        (
            "https://medium.com/backchannel/inside-the-deep-web-drug-lab-9718cd0fe504?source=rss",
            "9718cd0fe504",
        ),
        ("https://erik-engheim.medium.com/some-title-2b00f3366c6", "2b00f3366c6"),
        ("https://medium.com/p/7c8f847b58", "7c8f847b58"),
        ("https://uxdesign.cc/my-first-ux-project-b7282cd3289c", "b7282cd3289c"),
        ("https://medium.com/@x/have-you-tried-92e4cde5d/", "92e4cde5d"),
        ("medium://p/e93d20fdb097", "e93d20fdb097"),
        ("https://medium.com/@genekogan", None),
        ("https://medium.com/tag/javascript", None),
        ("https://medium.com/@x/post-1234567", None),  # 7 hex: too short for a post id
        ("https://medium.com/@x/post-1234567890abc", None),  # 13 hex: too long
        ("https://netflixtechblog.com", None),
        ("http://[", None),
    ],
)
def test_post_id_from_url(url: str, post_id: str | None) -> None:
    assert post_id_from_url(url) == post_id


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        (
            "https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097",
            "machine-learning-for-artists",
        ),
        ("https://medium.com/p/e93d20fdb097", "e93d20fdb097"),
        ("https://medium.com/@x/%E7%B4%B9%E4%BB%8B-c0506f540a6d", "c0506f540a6d"),
        ("https://medium.com/@x/Why-I-m-Betting-on-Elixir-7c8f847b58", "why-i-m-betting-on-elixir"),
    ],
)
def test_slug_from_url(url: str, slug: str) -> None:
    assert slug_from_url(url) == slug


def test_slugify_is_ascii_and_capped() -> None:
    assert slugify("Café au lait: “quoted” — and more!") == "cafe-au-lait-quoted-and-more"
    assert len(slugify("word " * 40)) <= 80
    assert not slugify("word " * 40).endswith("-")
    assert slugify("紹介。") == ""


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://medium.com/p/abc?source=rss----1", "https://medium.com/p/abc"),
        ("https://x.com/a?utm_source=t&utm_medium=s&keep=1#frag", "https://x.com/a?keep=1"),
        ("https://x.com/a?sk=secret&gi=abc", "https://x.com/a"),
    ],
)
def test_strip_tracking(url: str, clean: str) -> None:
    assert strip_tracking(url) == clean


def test_canonical_url_normalises_scheme_host_and_trailing_slash() -> None:
    assert canonical_url("HTTP://Medium.COM/@user/post-abcdef123456/?source=x#.y") == (
        "https://medium.com/@user/post-abcdef123456"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ftp://example.com/post", "not ftp: URLs"),
        ("javascript://alert(1)", "not javascript: URLs"),
        ("not a url", "not an http(s) URL or an existing file"),
        ("http://[", "not an http(s) URL or an existing file"),
    ],
)
def test_check_url_refuses_other_schemes(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_url(text)


def test_host_drops_www() -> None:
    assert host("https://www.theringer.com/x") == "theringer.com"


urls = st.builds(
    lambda host, path, query, frag: f"https://{host}/{path}?{query}#{frag}",
    st.sampled_from(["medium.com", "Medium.com", "uxdesign.cc", "a.medium.com"]),
    st.text(alphabet="abcdef0123456789-/@", max_size=40),
    st.text(alphabet="abcdefsource=&_utm", max_size=30),
    st.text(alphabet="abc.", max_size=10),
)


@given(urls)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "source=" not in once and "#" not in once


@given(urls)
def test_post_id_survives_canonicalisation(url: str) -> None:
    assert post_id_from_url(canonical_url(url)) == post_id_from_url(strip_tracking(url))


_URL_CHARS = st.sampled_from(list("abcXYZ019-._~%:/?#;@[] \t\\=&+") + ["ä", "//", "../", "./"])


@given(
    st.sampled_from(["https://", "http://", "HTTPS://", "//", "/", "", "mailto:"]),
    st.lists(_URL_CHARS, max_size=20).map("".join),
    st.sampled_from(["https://medium.com/@a/post-1", "http://blog.example/x/y", "https://h"]),
)
def test_absolute_is_urljoin(prefix: str, rest: str, base: str) -> None:
    """`absolute` returns some absolute URLs as they are, without urljoin: always what urljoin
    would have returned."""
    url = prefix + rest
    try:
        expected = "https:" + url if url.startswith("//") else urljoin(base, url) if url else ""
    except ValueError:
        expected = ""
    assert absolute(url, base) == expected
