"""Medium's account export ("Download your information" zip): post files and the profile.

Owns reading one export post file (``posts/*.html``) into a `Post`, reading
``profile/profile.html`` into an `Author`, and walking a whole export (zip file or unpacked
folder) without loading the zip into memory. Pure: bytes, text and paths in, posts out; no
network. The markup is described in shared/corpus/formats/FORMATS.md §1.

Values the export cannot give and how they come out:

- drafts have no publish date: ``Post.date_published`` is ``""`` and ``Post.draft`` is true. The
  writer must not invent a date: it files drafts under ``_drafts/`` (FORMAT.md) and, where a date
  is needed in front matter, leaves it out or uses the date of archiving, saying so;
- ``date_modified`` is never exported: ``""`` (the writer then uses ``datePublished``);
- tags exist only in exports made Jun 2017 – Apr 2018 (``p.p-tags``): ``()`` otherwise, which
  means unknown, not "no tags";
- the publication of a post is not exported: the publisher is always Medium;
- responses carry no flag: ``is_response`` is a heuristic (no in-body title, no subtitle
  section, and the title is the start of the text, as Medium titles responses).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import lxml.etree
import lxml.html

from .. import body
from ..dates import iso_from_text
from ..errors import ExtractError, MediumArchiveError, NotAPost, SourceError
from ..model import MEDIUM_PUBLISHER, Author, Post
from ..text import is_truncation
from ..urls import POST_ID_RE, post_id_from_url, strip_tracking
from .markup import has_class, node_text

ExportKind = Literal["post", "draft", "response", "other", "error"]

#: Export folders that hold lists about other people's posts or account data, never own posts.
NON_POST_DIRS = frozenset(
    {
        "blocks",
        "bookmarks",
        "claps",
        "highlights",
        "interests",
        "ips",
        "lists",
        "partner-program",
        "profile",
        "pubs-following",
        "sessions",
        "topics-following",
        "twitter",
        "users-following",
    }
)
#: Largest export member read (a post file is a few hundred kB at most): the budget of one
#: member. Parsing is linear (about 1 s per MB here) but a tree takes some 60 bytes of memory per
#: byte of HTML, so a bigger member is refused (alone: the other members are still archived).
MAX_MEMBER_BYTES = 8 * 1024 * 1024

_ARTICLE_RE = re.compile(r"<article\b[^>]*\bclass\s*=\s*[\"']?[^\"'>]*\bh-entry\b", re.I)
_BODY_FIELD_RE = re.compile(r"\bdata-field\s*=\s*[\"']?body\b", re.I)
_P_NAME_RE = re.compile(r"\bclass\s*=\s*[\"']?[^\"'>]*\bp-name\b", re.I)
_FILENAME_ID_RE = re.compile(r"-([0-9a-f]{8,12})\.html?$")
_TEXT_BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "li", "blockquote", "pre")


@dataclass(frozen=True)
class ExportItem:
    """One file of an export: its kind, the post read from it (None for "other"), its path.

    ``kind`` is "post", "draft" (unpublished), "response" (a comment, by heuristic), "other"
    (a page of the export that is not a post: claps, bookmarks, README…) or "error" (a post file
    that could not be read: ``error`` says why, and the other files are still read).
    """

    kind: ExportKind
    post: Post | None
    source: str
    error: str = ""


# --- one post file ------------------------------------------------------------------------------


def looks_like_export(html: str) -> bool:
    """True for a single export post file: ``article.h-entry`` with ``p-name`` and a
    ``section[data-field=body]``. List pages (claps, highlights…) and the profile are not."""
    head = html[:2_000_000]
    return bool(
        _ARTICLE_RE.search(head) and _BODY_FIELD_RE.search(head) and _P_NAME_RE.search(head)
    )


def parse_export_post(html: str, filename: str, *, author: Author | None = None) -> ExportItem:
    """Read one export post file into an `ExportItem` (kind "post", "draft" or "response").

    ``filename`` is the file's name or path inside the export: it gives the draft flag and, when
    the footer has none, the post id; it becomes ``Post.source``. ``author`` is the account owner
    from `parse_profile`: it supplies the avatar of the post's author (same profile URL) and the
    author of drafts, which name none. Raises `NotAPost` for any other page and `ExtractError`
    when no post id can be found.
    """
    if not looks_like_export(html):
        raise NotAPost(
            f"{filename}: not a Medium export post file (no article.h-entry with a body)"
        )
    try:
        return _parse_export_post(html, filename, author)
    except (lxml.etree.Error, RecursionError, ValueError) as exc:  # markup lxml cannot take
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ExtractError(
            f"{filename}: cannot read this export page ({reason}); it is left out", field="body"
        ) from exc


def _parse_export_post(html: str, filename: str, author: Author | None) -> ExportItem:
    doc = lxml.html.document_fromstring(html)
    footer = _read_footer(doc)
    post_id = _choose_post_id(footer, filename)
    url = (
        strip_tracking(footer.canonical) if footer.canonical else f"https://medium.com/p/{post_id}"
    )
    warnings = _id_warnings(post_id, footer, filename)
    draft = _base_name(filename).startswith("draft_") or not footer.published

    p_name = node_text(_first(doc.xpath(f"//*[{has_class('p-name')}]")))
    parts = _take_apart_body(_first(doc.xpath("//section[@data-field='body']")), p_name)
    title = _choose_title(p_name, parts.title_in_body)
    subtitle = parts.visible_subtitle or _preview_subtitle(doc, parts.first_block)
    response = (
        not draft
        and not parts.has_title
        and not _first(doc.xpath("//section[@data-field='subtitle']"))
        and _starts_text(p_name, parts.first_block)
    )
    kind: ExportKind = "draft" if draft else "response" if response else "post"
    if not draft and not iso_from_text(footer.published):  # "2020-13-45", past year 9999 in UTC…
        reason = f"its publication date {footer.published[:40]!r} is not a real date"
        return ExportItem(kind="error", post=None, source=filename, error=f"{filename}: {reason}")
    post = Post(
        id=post_id,
        url=url,
        title=title,
        body=body.normalize_fragment(parts.html, url),
        date_published=iso_from_text(footer.published),
        subtitle=subtitle,
        description=node_text(_first(doc.xpath("//section[@data-field='description']"))),
        authors=_authors(footer, author),
        publisher=MEDIUM_PUBLISHER,
        tags=tuple(t for t in (node_text(a) for a in doc.xpath(f"//*[{has_class('p-tag')}]")) if t),
        draft=draft,
        is_response=response,
        source=filename,
        warnings=warnings,
    )
    return ExportItem(kind=kind, post=post, source=filename)


@dataclass(frozen=True)
class _Footer:
    author_name: str
    author_url: str
    published: str
    canonical: str
    post_link: str


@dataclass(frozen=True)
class _BodyParts:
    html: str
    title_in_body: str
    has_title: bool
    visible_subtitle: str
    first_block: str


def _first(nodes: Any) -> Any:
    return nodes[0] if isinstance(nodes, list) and nodes else None


def _attr(node: Any, name: str) -> str:
    return str(node.get(name) or "").strip() if node is not None else ""


def _read_footer(doc: Any) -> _Footer:
    author = _first(doc.xpath(f"//a[{has_class('p-author')}]"))
    time = _first(doc.xpath(f"//time[{has_class('dt-published')}]"))
    canonical = _first(doc.xpath(f"//a[{has_class('p-canonical')}]"))
    post_link = ""
    for anchor in doc.xpath("//footer//a[@href]"):
        href = _attr(anchor, "href")
        if re.match(r"^https?://medium\.com/p/", href):
            post_link = href
            break
    return _Footer(
        author_name=node_text(author) if author is not None else "",
        author_url=strip_tracking(_attr(author, "href")) if author is not None else "",
        published=_attr(time, "datetime"),
        canonical=_attr(canonical, "href"),
        post_link=post_link,
    )


def _base_name(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).name


def _filename_id(filename: str) -> str:
    match = _FILENAME_ID_RE.search(_base_name(filename))
    return match.group(1) if match else ""


def _choose_post_id(footer: _Footer, filename: str) -> str:
    """Footer ``/p/<id>`` link, else the file name's suffix, else the canonical link's suffix."""
    for candidate in (
        post_id_from_url(footer.post_link) if footer.post_link else None,
        _filename_id(filename),
        post_id_from_url(footer.canonical) if footer.canonical else None,
    ):
        if candidate and POST_ID_RE.match(candidate):
            return candidate
    raise ExtractError(
        f"{filename}: no post id in the footer link, the file name or the canonical link",
        field="id",
    )


def _id_warnings(post_id: str, footer: _Footer, filename: str) -> tuple[str, ...]:
    others = {
        "file name": _filename_id(filename),
        "canonical link": post_id_from_url(footer.canonical) if footer.canonical else "",
    }
    return tuple(
        f"post id {post_id} differs from the {where}'s {value}"
        for where, value in others.items()
        if value and value != post_id
    )


def _take_apart_body(body_el: Any, p_name: str) -> _BodyParts:
    """Remove the footer (swallowed by unclosed markup), title, subtitle and kicker from the body
    section; return its HTML and what was taken out.

    The title is ``h1|h2|h3.graf--title``, else a leading heading that repeats ``p_name`` (series
    covers have no graf--title)."""
    if body_el is None:
        return _BodyParts("", "", False, "", "")
    for footer in body_el.xpath(".//footer"):
        footer.drop_tree()
    title_el = _first(
        body_el.xpath(f".//*[self::h1 or self::h2 or self::h3][{has_class('graf--title')}]")
    )
    has_title = title_el is not None
    if title_el is None:
        title_el = _leading_heading(body_el, p_name)
    title_in_body = node_text(title_el) if title_el is not None else ""
    subtitle_el = _first(body_el.xpath(f".//*[{has_class('graf--subtitle')}]"))
    visible_subtitle = node_text(subtitle_el) if subtitle_el is not None else ""
    for element in (title_el, subtitle_el, *body_el.xpath(f".//*[{has_class('graf--kicker')}]")):
        if element is not None:
            element.drop_tree()
    return _BodyParts(
        html=lxml.html.tostring(body_el, encoding="unicode"),
        title_in_body=title_in_body,
        has_title=has_title,
        visible_subtitle=visible_subtitle,
        first_block=_first_text_block(body_el),
    )


def _text_blocks(body_el: Any) -> Iterator[tuple[Any, str]]:
    """Text-bearing blocks of the body in document order, with their text (captions skipped).

    Walked lazily with ``iter`` (the caller usually wants only the first): an XPath union of the
    tags sorts its node sets, which made a 40,000-paragraph body take over a minute.
    """
    for block in body_el.iter(*_TEXT_BLOCK_TAGS):
        if block is body_el or _in_figure(block, body_el):
            continue
        text = node_text(block)
        if text:
            yield block, text


def _in_figure(node: Any, top: Any) -> bool:
    """True when ``node`` is inside a ``<figure>`` below ``top`` (a caption)."""
    parent = node.getparent()
    while parent is not None and parent is not top:
        if parent.tag == "figure":
            return True
        parent = parent.getparent()
    return False


def _first_text_block(body_el: Any) -> str:
    return next((text for _, text in _text_blocks(body_el)), "")


def _leading_heading(body_el: Any, title: str) -> Any:
    """The first text block when it is a heading repeating the title, else None."""
    first = next(_text_blocks(body_el), None)
    if first is None or first[0].tag not in ("h1", "h2", "h3", "h4"):
        return None
    return first[0] if title and is_truncation(title, first[1]) else None


def _choose_title(p_name: str, title_in_body: str) -> str:
    """``h1.p-name``; the in-body title when p-name is empty or a "…" truncation of it."""
    if title_in_body and (
        not p_name or (p_name != title_in_body and is_truncation(p_name, title_in_body))
    ):
        return title_in_body
    return p_name


def _preview_subtitle(doc: Any, first_block: str) -> str:
    """``section[data-field=subtitle]`` unless Medium generated it from the first text block."""
    section = _first(doc.xpath("//section[@data-field='subtitle']"))
    text = node_text(section) if section is not None else ""
    if not text or is_truncation(text, first_block):
        return ""
    return text


def _starts_text(title: str, first_block: str) -> bool:
    """True when the title is the start of the first text block (how responses are titled)."""
    return bool(title) and (first_block.startswith(title) or is_truncation(title, first_block))


def _authors(footer: _Footer, owner: Author | None) -> tuple[Author, ...]:
    if not footer.author_name and not footer.author_url:
        return (owner,) if owner is not None else ()
    avatar = ""
    if owner is not None and owner.url.lower().rstrip("/") == footer.author_url.lower().rstrip("/"):
        avatar = owner.avatar
    return (Author(name=footer.author_name, url=footer.author_url, avatar=avatar),)


# --- profile ------------------------------------------------------------------------------------


def parse_profile(html: str) -> Author | None:
    """The account owner from ``profile/profile.html`` (``section.h-card``): display name,
    ``https://medium.com/@username`` and avatar URL. None when the page is not a profile."""
    if "h-card" not in html:
        return None
    doc = lxml.html.document_fromstring(html)
    card = _first(doc.xpath(f"//*[{has_class('h-card')}]"))
    if card is None:
        return None
    name = node_text(_first(card.xpath(f".//*[{has_class('p-name')}]")))
    link = _first(card.xpath(f".//a[{has_class('u-url')}]"))
    url = strip_tracking(_attr(link, "href")) if link is not None else ""
    if not url and link is not None:
        handle = node_text(link)
        url = f"https://medium.com/{handle}" if handle.startswith("@") else ""
    if not name and not url:
        return None
    avatar = _attr(_first(card.xpath(f".//img[{has_class('u-photo')}]")), "src")
    return Author(name=name, url=url, avatar=avatar)


# --- a whole export -----------------------------------------------------------------------------


Reader = Callable[[], bytes]


def iter_export(path: Path, *, include_other: bool = False) -> Iterator[ExportItem]:
    """Every post, draft and response of an export, as a zip file or an unpacked folder.

    Finds ``posts/*.html`` (and the 2017 layout with post files at the root), reads
    ``profile/profile.html`` for the author, and skips the other pages (claps, bookmarks,
    highlights, lists, README…); with ``include_other`` those are yielded as kind "other" with
    no post. Members are read one at a time. Raises `SourceError` for a corrupt zip, a path that
    is neither, or an export without post files.
    """
    if path.is_dir():
        yield from _iter_members(path, _folder_members(path), include_other=include_other)
        return
    if not path.is_file():
        raise SourceError(
            f"{path}: no such file or folder; give a Medium export .zip or its folder"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(
            f"{path}: not a readable zip file ({exc}); download the Medium export again"
        ) from exc
    with archive:
        yield from _iter_members(path, _zip_members(path, archive), include_other=include_other)


def _folder_members(root: Path) -> list[tuple[str, Reader]]:
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".html", ".htm")
    )
    members = [(p.relative_to(root).as_posix(), _file_reader(p)) for p in files]
    profile = root.parent / "profile" / "profile.html"
    if root.name == "posts" and profile.is_file():
        members.append(("../profile/profile.html", _file_reader(profile)))
    return members


def _file_reader(path: Path) -> Reader:
    def read() -> bytes:
        try:
            size = path.stat().st_size
            if size > MAX_MEMBER_BYTES:
                raise _too_large(str(path), size)
            return path.read_bytes()
        except OSError as exc:
            raise SourceError(f"{path}: cannot read it ({exc.strerror or exc})") from exc

    return read


def _too_large(what: str, size: int) -> SourceError:
    return SourceError(
        f"{what} is {size / (1024 * 1024):.1f} MB, over the {MAX_MEMBER_BYTES // (1024 * 1024)} MB "
        "an export page may be; it is left out (is it really a Medium export post?)"
    )


def _zip_members(path: Path, archive: zipfile.ZipFile) -> list[tuple[str, Reader]]:
    infos = sorted(
        (
            i
            for i in archive.infolist()
            if not i.is_dir() and i.filename.lower().endswith((".html", ".htm"))
        ),
        key=lambda i: i.filename,
    )

    def reader(info: zipfile.ZipInfo) -> Reader:
        def read() -> bytes:
            if info.file_size > MAX_MEMBER_BYTES:
                raise _too_large(f"{path}: member {info.filename}", info.file_size)
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_MEMBER_BYTES + 1)
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                RuntimeError,
                EOFError,
                ValueError,
                NotImplementedError,
            ) as exc:
                raise SourceError(
                    f"{path}: cannot read {info.filename} ({exc}); the zip is damaged, "
                    "download the export again"
                ) from exc
            if len(data) > MAX_MEMBER_BYTES:  # the size the zip declared was a lie
                raise _too_large(f"{path}: member {info.filename}", len(data))
            return data

        return read

    return [(i.filename, reader(i)) for i in infos]


def _is_profile(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return len(parts) >= 2 and parts[-2] == "profile" and parts[-1].lower() == "profile.html"


def _may_be_post(name: str) -> bool:
    parts = PurePosixPath(name).parts
    if any(part.lower() in NON_POST_DIRS for part in parts[:-1]):
        return False
    return parts[-1].lower() not in ("readme.html", "index.html")


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def _iter_members(
    path: Path, members: list[tuple[str, Reader]], *, include_other: bool
) -> Iterator[ExportItem]:
    owner: Author | None = None
    for name, read in members:
        if _is_profile(name):
            try:
                owner = parse_profile(_decode(read()))
            except (MediumArchiveError, lxml.etree.Error, RecursionError, ValueError):
                owner = None  # the posts name their author too; only avatars are lost
            break
    candidates = [(name, read) for name, read in members if _may_be_post(name)]
    if not candidates:
        raise SourceError(
            f"{path}: no post files found (expected posts/*.html); is this a Medium account export?"
        )
    candidate_names = {name for name, _ in candidates}
    posts = 0
    for name, read in members:
        source = str(path / name)
        if name not in candidate_names:
            if include_other:
                yield ExportItem(kind="other", post=None, source=source)
            continue
        try:
            html = _decode(read())
        except MediumArchiveError as exc:  # damaged or too big: this member fails alone
            posts += 1
            yield ExportItem(kind="error", post=None, source=source, error=str(exc))
            continue
        if not looks_like_export(html):
            if include_other:
                yield ExportItem(kind="other", post=None, source=source)
            continue
        posts += 1
        try:
            item = parse_export_post(html, source, author=owner)
        except MediumArchiveError as exc:  # one damaged file must not end the whole import
            item = ExportItem(kind="error", post=None, source=source, error=str(exc))
        yield item
    if not posts:
        raise SourceError(
            f"{path}: no Medium post files found among its pages; is this a Medium account export?"
        )
