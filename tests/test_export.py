"""Account export: post files, profile, whole exports (zip and folder).

Golden values come from shared/corpus/truth/formats__*.json (hand verified); the small
synthetic export under fixtures/export/ covers the rest.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import CORPUS, FIXTURES, html_of, load_truth, require_corpus, truth_files

from medium_archive.document import Document, Paragraph, plain
from medium_archive.errors import NotAPost, SourceError
from medium_archive.model import MEDIUM_PUBLISHER, Author, Post
from medium_archive.sources.export import (
    iter_export,
    looks_like_export,
    parse_export_post,
    parse_profile,
)
from medium_archive.sources.markup import node_text, norm_space

EXPORT_FIXTURES = FIXTURES / "export"


def _export_truths() -> list[str]:
    names = []
    for name in truth_files("formats"):
        if name == "formats__index.json":
            continue
        if load_truth(name)["source"].startswith("formats/export/"):
            names.append(name)
    return names


EXPORT_TRUTHS = _export_truths()


def _parse_corpus(corpus: Path, truth: dict[str, Any]) -> Post:
    path = corpus / truth["source"]
    item = parse_export_post(path.read_text(encoding="utf-8"), path.name)
    assert item.post is not None
    return item.post


def _norm(text: str | None) -> str | None:
    return None if text is None else norm_space(text)


def _accepted(truth: dict[str, Any], key: str) -> list[Any]:
    values = [truth[key], *truth.get(f"{key}_alternates", [])]
    return [_norm(v) if isinstance(v, str) else v for v in values]


# --- golden: metadata ---------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("name", EXPORT_TRUTHS)
def test_export_metadata_matches_truth(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    post = _parse_corpus(corpus, truth)

    assert post.id == truth["post_id"]
    if truth["canonical_url"] is not None or truth.get("canonical_url_alternates"):
        assert post.url in _accepted(truth, "canonical_url")
    else:  # drafts: the footer's "View original." link
        assert post.url == truth["footer_post_link"]
    assert post.title in _accepted(truth, "title")
    assert (post.subtitle or None) in _accepted(truth, "subtitle")
    if truth["author"] is None:
        assert post.authors == ()
    else:
        assert [(a.name, a.url) for a in post.authors] == [
            (truth["author"]["name"], truth["author"]["url"])
        ]
    assert (post.date_published or None) == truth["date_published"]
    assert post.draft is truth["is_draft"]
    assert post.is_response is truth["is_response"]
    if truth["tags"] is not None:  # null = unknown (no p-tags in that export)
        assert list(post.tags) == truth["tags"]
    assert post.publisher == MEDIUM_PUBLISHER
    assert post.source == Path(truth["source"]).name


@pytest.mark.corpus
@pytest.mark.parametrize("name", EXPORT_TRUTHS)
def test_export_kind_matches_truth(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    path = corpus / truth["source"]
    item = parse_export_post(path.read_text(encoding="utf-8"), path.name)
    expected = "draft" if truth["is_draft"] else "response" if truth["is_response"] else "post"
    assert item.kind == expected


# --- golden: body -------------------------------------------------------------------------------


def _blocks(body_html: str) -> list[Any]:
    if not body_html.strip():
        return []
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    return [el for el in root if isinstance(el.tag, str)]


def _paragraphs(body: Document) -> list[str]:
    """The body's paragraphs (not embeds or the captions of lost embeds), truth-normalised."""
    texts = [
        _norm(plain(b.runs)) for b in body.blocks if isinstance(b, Paragraph) and not b.caption
    ]
    return [t for t in texts if t]


@pytest.mark.corpus
@pytest.mark.parametrize("name", EXPORT_TRUTHS)
def test_export_body_paragraph_count(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    assert len(_paragraphs(_parse_corpus(corpus, truth).body)) == truth["body"]["paragraph_count"]


@pytest.mark.corpus
@pytest.mark.parametrize("name", EXPORT_TRUTHS)
def test_export_body_first_and_last_paragraph(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    paragraphs = _paragraphs(_parse_corpus(corpus, truth).body)
    assert (paragraphs[0] if paragraphs else None) == _norm(truth["body"]["first_paragraph"])
    assert (paragraphs[-1] if paragraphs else None) == _norm(truth["body"]["last_paragraph"])


@pytest.mark.corpus
@pytest.mark.parametrize("name", EXPORT_TRUTHS)
def test_export_body_code_blocks_and_images(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    blocks = _blocks(html_of(_parse_corpus(corpus, truth).body))
    assert sum(1 for el in blocks if el.tag == "pre") == truth["body"]["code_block_count"]
    sources = [str(img.get("src") or "") for el in blocks for img in el.iter("img")]
    # Compare by image id (widths vary). The TryGhost fixture's own src drops the dot of one
    # id ("ghi123jpeg" for data-image-id "ghi123.jpeg"), so dots are ignored.
    got = [s.rsplit("/", 1)[-1].replace(".", "") for s in sources]
    assert got == [i.replace(".", "") for i in truth["body"]["image_ids"]]


@pytest.mark.corpus
@pytest.mark.parametrize("name", EXPORT_TRUTHS)
def test_export_body_has_no_chrome(corpus: Path, name: str) -> None:
    truth = load_truth(name)
    post = _parse_corpus(corpus, truth)
    text = " ".join(node_text(el) for el in _blocks(html_of(post.body)))
    for chrome in truth["body"]["must_not_contain"]:
        assert chrome not in text
    title_in_body = truth.get("title_in_body")
    if title_in_body:
        first = node_text(_blocks(html_of(post.body))[0]) if _blocks(html_of(post.body)) else ""
        assert first != _norm(title_in_body)


# --- golden: which files are posts --------------------------------------------------------------


@pytest.mark.corpus
def test_index_classification(corpus: Path) -> None:
    index = load_truth("formats__index.json")
    for entry in index["post_files"]:
        assert looks_like_export((corpus / entry["file"]).read_text(encoding="utf-8")), entry[
            "file"
        ]
    for entry in index["non_post_files"]:
        html = (corpus / entry["file"]).read_text(encoding="utf-8")
        assert not looks_like_export(html), entry["file"]
        with pytest.raises(NotAPost):
            parse_export_post(html, Path(entry["file"]).name)


@pytest.mark.corpus
def test_profiles(corpus: Path) -> None:
    real = parse_profile(
        (corpus / "formats/export/enkiv2__profile-profile.REDACTED.html").read_text()
    )
    assert real == Author(
        name="John Ohno",
        url="https://medium.com/@enkiv2",
        avatar="https://cdn-images-1.medium.com/proxy/1*pw8S696Qzx6tYQNBRYn7rQ.jpeg",
    )
    fixture = parse_profile((corpus / "formats/export/fixture-tryghost__profile.html").read_text())
    assert fixture is not None and fixture.url == "https://medium.com/@username"
    assert parse_profile((corpus / "formats/export/enkiv2__README.html").read_text()) is None
    assert parse_profile((corpus / "formats/export/enkiv2__claps-0001.html").read_text()) is None


# --- whole exports built from corpus files ------------------------------------------------------

_ZIP_POSTS = (
    "enkiv2__2018-11-01_The-Flawed-History-of-Graphical-User-Interfaces-8abf0bc9648c.html",
    "enkiv2__2017-01-05_I-think-we-can-tag-him--Ev-Williams-6bf3e70f0120.html",
    "enkiv2__draft_Alternate-Style-Guides-74ea55d18120.html",
)
_ZIP_LAYOUT = {
    **{"posts/" + name.split("__", 1)[1]: name for name in _ZIP_POSTS},
    "profile/profile.html": "enkiv2__profile-profile.REDACTED.html",
    "profile/publications.html": "enkiv2__profile-publications.html",
    "claps/claps-0001.html": "enkiv2__claps-0001.html",
    "highlights/highlights-0001.html": "enkiv2__highlights-0001.html",
    "bookmarks/bookmarks-0001.html": "enkiv2__bookmarks-0001.html",
    "partner-program/posts-0001.html": "enkiv2__partner-program-posts-0001.html",
    "pubs-following/pubs-following-0001.html": "enkiv2__pubs-following-0001.html",
    "README.html": "enkiv2__README.html",
}
_ENKIV2_AVATAR = "https://cdn-images-1.medium.com/proxy/1*pw8S696Qzx6tYQNBRYn7rQ.jpeg"


def _build_folder(corpus: Path, root: Path) -> Path:
    for member, name in _ZIP_LAYOUT.items():
        target = root / member
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / "formats/export" / name, target)
    return root


def _build_zip(corpus: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, name in _ZIP_LAYOUT.items():
            archive.write(corpus / "formats/export" / name, member)
    return path


def _check_enkiv2_items(items: list[Any]) -> None:
    by_id = {item.post.id: item for item in items}
    assert sorted(by_id) == ["6bf3e70f0120", "74ea55d18120", "8abf0bc9648c"]
    assert by_id["8abf0bc9648c"].kind == "post"
    assert by_id["6bf3e70f0120"].kind == "response"
    assert by_id["74ea55d18120"].kind == "draft"
    author = by_id["8abf0bc9648c"].post.authors[0]
    assert (author.name, author.url, author.avatar) == (
        "John Ohno",
        "https://medium.com/@enkiv2",
        _ENKIV2_AVATAR,
    )
    # a draft names no author: the account owner from profile.html is used
    assert by_id["74ea55d18120"].post.authors[0].url == "https://medium.com/@enkiv2"
    assert by_id["8abf0bc9648c"].source.endswith(
        "posts/2018-11-01_The-Flawed-History-of-Graphical-User-Interfaces-8abf0bc9648c.html"
    )


@pytest.mark.corpus
def test_iter_export_zip(corpus: Path, tmp_path: Path) -> None:
    items = list(iter_export(_build_zip(corpus, tmp_path / "medium-export.zip")))
    _check_enkiv2_items(items)


@pytest.mark.corpus
def test_iter_export_folder(corpus: Path, tmp_path: Path) -> None:
    items = list(iter_export(_build_folder(corpus, tmp_path / "medium-export")))
    _check_enkiv2_items(items)


@pytest.mark.corpus
def test_iter_export_reports_other_pages_when_asked(corpus: Path, tmp_path: Path) -> None:
    items = list(iter_export(_build_zip(corpus, tmp_path / "e.zip"), include_other=True))
    others = sorted(Path(i.source).name for i in items if i.kind == "other")
    assert all(i.post is None for i in items if i.kind == "other")
    assert len(others) == len(_ZIP_LAYOUT) - 3


@pytest.mark.corpus
def test_iter_export_2017_flat_layout(corpus: Path, tmp_path: Path) -> None:
    """Before mid-2018 the post files sit at the root of the export, beside medium.rss."""
    root = tmp_path / "export-2017"
    root.mkdir()
    for name in (
        "enkiv2-2017__2015-05-24_Failure-modes-of-science-fiction-c2fa86ad465e.html",
        "enkiv2-2017__draft_post-5e146689d8ff.html",
    ):
        shutil.copyfile(corpus / "formats/export" / name, root / name.split("__", 1)[1])
    shutil.copyfile(corpus / "formats/rss/enkiv2-2017-export__medium.rss", root / "medium.rss")
    items = list(iter_export(root))
    assert [(i.kind, i.post.id) for i in items] == [
        ("post", "c2fa86ad465e"),
        ("draft", "5e146689d8ff"),
    ]
    assert items[0].post.url == "https://medium.com/p/c2fa86ad465e"  # no p-canonical in 2017


# --- synthetic fixtures -------------------------------------------------------------------------


def _fixture(name: str) -> str:
    return (EXPORT_FIXTURES / name).read_text(encoding="utf-8")


def test_synthetic_post_fields() -> None:
    name = "posts/2020-01-02_Hello--World-1234567890ab.html"
    owner = parse_profile(_fixture("profile/profile.html"))
    item = parse_export_post(_fixture(name), name, author=owner)
    post = item.post
    assert item.kind == "post" and post is not None
    assert post.id == "1234567890ab"
    assert post.url == "https://medium.com/@someone/hello-world-1234567890ab"
    assert post.title == "Hello, World"
    assert post.subtitle == "A first post about nothing much"  # visible h4.graf--subtitle
    assert post.date_published == "2020-01-02T03:04:05.678Z"
    assert post.tags == ("Testing", "Python")
    assert post.authors == (
        Author(
            "Some One",
            "https://medium.com/@someone",
            "https://cdn-images-1.medium.com/proxy/1*avatarXYZ.jpeg",
        ),
    )
    assert not post.draft and not post.is_response
    blocks = _blocks(html_of(post.body))
    texts = [node_text(b) for b in blocks]
    assert "KICKER" not in " ".join(texts) and "Hello, World" not in texts
    assert "A first post about nothing much" not in texts
    assert texts[0] == "First paragraph with a link & an entity."
    assert [b.tag for b in blocks].count("pre") == 1  # two one-line <pre> merged
    assert any(
        img.get("src", "").endswith("1*abcDEF123.png") for b in blocks for img in b.iter("img")
    )


def test_synthetic_draft_and_response() -> None:
    draft = parse_export_post(
        _fixture("posts/draft_Notes-abcdef0123.html"), "draft_Notes-abcdef0123.html"
    )
    assert draft.kind == "draft" and draft.post is not None
    assert draft.post.id == "abcdef0123"
    assert draft.post.url == "https://medium.com/p/abcdef0123"
    assert draft.post.date_published == ""
    assert draft.post.subtitle == ""  # the subtitle section is a truncation of the first paragraph
    assert draft.post.authors == ()
    name = "posts/2021-05-06_Totally-agree--but-what-about-the-cats--fedcba987654.html"
    response = parse_export_post(_fixture(name), name)
    assert response.kind == "response" and response.post is not None and response.post.is_response


def test_id_from_filename_when_footer_has_none() -> None:
    html = (
        _fixture("posts/2020-01-02_Hello--World-1234567890ab.html")
        .replace(
            'href="https://medium.com/p/1234567890ab"', 'href="https://medium.com/p/short-url"'
        )
        .replace("hello-world-1234567890ab", "hello-world")
    )
    post = parse_export_post(html, "2020-01-02_Hello--World-0badc0ffee00.html").post
    assert post is not None and post.id == "0badc0ffee00"


def test_iter_export_synthetic_folder_and_zip(tmp_path: Path) -> None:
    from_folder = list(iter_export(EXPORT_FIXTURES))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(EXPORT_FIXTURES.rglob("*.html")):
            zf.write(path, "medium-export/" + path.relative_to(EXPORT_FIXTURES).as_posix())
    from_zip = list(iter_export(archive))
    for items in (from_folder, from_zip):
        assert sorted((i.kind, i.post.id) for i in items) == [
            ("draft", "abcdef0123"),
            ("post", "1234567890ab"),
            ("response", "fedcba987654"),
        ]
        draft = next(i for i in items if i.kind == "draft")
        assert draft.post.authors == (
            Author(
                "Some One",
                "https://medium.com/@someone",
                "https://cdn-images-1.medium.com/proxy/1*avatarXYZ.jpeg",
            ),
        )


def test_iter_export_posts_folder_given_directly() -> None:
    items = list(iter_export(EXPORT_FIXTURES / "posts"))
    assert len(items) == 3
    post = next(i.post for i in items if i.kind == "post")
    assert post.authors[0].avatar.endswith("1*avatarXYZ.jpeg")  # ../profile/profile.html found


def test_corrupt_zip_raises_source_error(tmp_path: Path) -> None:
    bad = tmp_path / "export.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(SourceError, match="zip"):
        list(iter_export(bad))


def test_damaged_member_fails_alone(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    content = _fixture("posts/2020-01-02_Hello--World-1234567890ab.html").encode()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("posts/2020-01-02_Hello-1234567890ab.html", content)
        zf.writestr("posts/2020-01-03_Again-abcdefabcdef.html", content)
    data = bytearray(archive.read_bytes())
    start = data.index(b"posts/2020") + 50  # inside the compressed data of the first member
    data[start : start + 40] = b"\x00" * 40
    archive.write_bytes(bytes(data))
    first, second = list(iter_export(archive))
    assert first.kind == "error" and "damaged" in first.error and "\n" not in first.error
    assert second.kind == "post" and second.post is not None


def test_folder_without_posts_raises_source_error(tmp_path: Path) -> None:
    (tmp_path / "claps").mkdir()
    shutil.copyfile(EXPORT_FIXTURES / "claps/claps-0001.html", tmp_path / "claps/claps-0001.html")
    with pytest.raises(SourceError, match="no post files"):
        list(iter_export(tmp_path))
    (tmp_path / "notes.html").write_text("<html><body><p>hello</p></body></html>")
    with pytest.raises(SourceError, match="no Medium post files"):
        list(iter_export(tmp_path))


def test_missing_path_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        list(iter_export(tmp_path / "nope.zip"))


def test_truth_index_covers_every_export_truth_file() -> None:
    """The index lists each export truth file, so no golden case is silently skipped."""
    require_corpus()
    index = json.loads((CORPUS / "truth/formats__index.json").read_text())
    assert sorted(e["truth_file"] for e in index["post_files"]) == sorted(EXPORT_TRUTHS)
