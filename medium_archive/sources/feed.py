"""Medium RSS feeds (user, publication and tag feeds): parsing and feed URLs.

Owns turning feed bytes into a `Feed` of `FeedItem`s, building a `Post` from an item's
``content:encoded``, and mapping a user/publication argument to its feed URL. Pure: bytes in,
items out; fetching is fetch.py's job. The format is described in
shared/corpus/formats/FORMATS.md §2.

- Bytes are decoded by their BOM or XML declaration (UTF-8, UTF-16 with BOM…), never assumed.
- Broken XML is parsed by lxml in recovery mode, after repairing the one damage seen in real
  files that makes lxml drop items: stray ``<`` before ``<![CDATA[``.
- A Cloudflare challenge page instead of the feed raises `Blocked`; anything else that is not
  an RSS feed raises `SourceError`.
- Items are de-duplicated by post id (the ``guid`` ``https://medium.com/p/<id>``), first kept.
- Responses (comments) carry no flag; an item is taken as a response when it has no
  ``<category>`` and its title is the start of its first paragraph (Medium titles a response
  with its opening words).
- ``atom:updated`` of 1970-01-01 marks a never-published draft (the 2017 export feed): its
  ``date_modified`` is "" and ``is_draft`` is true.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import lxml.html
from lxml import etree

from .. import body
from ..challenge import is_challenge_page
from ..dates import iso_from_text
from ..errors import Blocked, ExtractError, InvalidInput, SourceError
from ..model import MEDIUM_PUBLISHER, Author, Post, Publisher
from ..text import is_truncation
from ..urls import host, is_http_url, post_id_from_url, strip_tracking
from .markup import node_text, norm_space

FeedKind = Literal["user", "publication", "tag", "other"]

_NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://www.w3.org/2005/Atom": "atom",
}
_STRAY_LT_CDATA_RE = re.compile(r"<+(<!\[CDATA\[)")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_DECL_ENCODING_RE = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_USER_SOURCE_RE = re.compile(r"^rss-([0-9a-f]{8,16})-+2$")
_ORIGINALLY_RE = re.compile(
    r"was originally published in\s*<a[^>]*href=\"([^\"]+)\"[^>]*>(.*?)</a>", re.S | re.I
)
_CONTINUE_RE = re.compile(r"Continue reading on (.+?)\s*»")
_TRACKING_PIXEL = "/_/stat?"
_EPOCH_PREFIX = "1970-01-01"


@dataclass(frozen=True)
class Channel:
    """The feed's channel: who or what it is about."""

    kind: FeedKind
    title: str
    link: str
    self_url: str = ""
    image: str = ""
    generator: str = ""
    author: Author | None = None
    publication: Publisher | None = None
    user_id: str = ""


@dataclass(frozen=True)
class FeedItem:
    """One feed item. ``link`` is the canonical post URL (tracking removed); dates are
    ``YYYY-MM-DDTHH:MM:SS.mmmZ`` or ""; ``tags`` are Medium tag slugs; ``content_html`` is
    ``content:encoded`` ("" for snippet-only, member-only items, whose ``snippet_html`` is the
    ``<description>``)."""

    post_id: str
    guid: str
    link: str
    title: str
    author: str
    date_published: str
    date_modified: str
    tags: tuple[str, ...]
    has_full_content: bool
    content_html: str
    snippet_html: str = ""
    is_response: bool = False
    is_draft: bool = False
    publication: Publisher | None = None
    #: Why the item cannot be archived from the feed (its XML was cut off by a parser limit).
    error: str = ""


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its URL, encoding, channel and de-duplicated items (file order)."""

    url: str
    encoding: str
    channel: Channel
    items: list[FeedItem] = field(default_factory=list)
    duplicates: int = 0


# --- bytes to tree ------------------------------------------------------------------------------


def decode_feed(data: bytes) -> tuple[str, str]:
    """The feed's text and encoding name, from its BOM, else its XML declaration, else UTF-8."""
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32LE"),
        (codecs.BOM_UTF32_BE, "UTF-32BE"),
        (codecs.BOM_UTF8, "UTF-8"),
        (codecs.BOM_UTF16_LE, "UTF-16LE"),
        (codecs.BOM_UTF16_BE, "UTF-16BE"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace"), name
    for start, name in ((b"<\x00", "UTF-16LE"), (b"\x00<", "UTF-16BE")):
        if data.startswith(start):  # UTF-16 saved without a BOM
            return data.decode(name, errors="replace"), name
    match = _DECL_ENCODING_RE.match(data)
    name = match.group(1).decode("ascii") if match else "UTF-8"
    try:
        codecs.lookup(name)
    except LookupError:
        name = "UTF-8"
    if name.upper().replace("-", "").replace("_", "") in ("UTF16", "UTF32"):
        name = "UTF-8"  # a UTF-16 declaration without a BOM on ASCII-compatible bytes
    return data.decode(name, errors="replace"), name.upper()


#: Parser messages saying a limit cut the document (a text node over 10 MB, nesting over 256
#: levels): the element holding that line lost content, and must not be archived as if whole.
_LIMIT_ERROR_RE = re.compile(r"too big|huge|excessive depth|too long|too large", re.I)


def _parse_xml(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """The tree (None when unreadable) and the (line, message) of each limit the parser hit."""
    repaired = _STRAY_LT_CDATA_RE.sub(r"\1", _XML_DECL_RE.sub("", text, count=1))
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
    )
    try:
        root = etree.fromstring(repaired.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None, []
    log = parser.error_log
    cut = [(e.line, e.message.strip()) for e in log if _LIMIT_ERROR_RE.search(e.message)]
    return root, cut


def _key(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    # Split by hand: etree.QName raises on the "prefix:name" tag lxml's recovering parser keeps
    # for an undeclared prefix (which is then its own key: an undeclared "dc:creator" still is).
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    prefix = _NAMESPACES.get(namespace, "")
    return f"{prefix}:{local}" if prefix else local


def _child_text(parent: Any, key: str) -> str:
    for child in parent:
        if _key(child) == key:
            return str(child.text or "").strip()
    return ""


def _children(parent: Any, key: str) -> list[Any]:
    return [child for child in parent if _key(child) == key]


# --- parse --------------------------------------------------------------------------------------


def parse_feed(data: bytes, feed_url: str) -> Feed:
    """Parse a Medium RSS feed given as bytes (as served or as saved).

    Raises `Blocked` for a Cloudflare challenge page and `SourceError` for anything else that
    is not an RSS feed.
    """
    text, encoding = decode_feed(data)
    root, cut = _parse_xml(text) if "<rss" in text or "<channel" in text else (None, [])
    channel_el = _find_channel(root)
    if channel_el is None:
        if is_challenge_page(text):
            raise Blocked(
                f"{feed_url}: Cloudflare answered with a bot challenge instead of the feed; "
                "try again later, give a saved copy of the feed, or pass the browser's cookies "
                "and user agent (--cookies cookies.txt --user-agent UA)",
                url=feed_url,
            )
        raise SourceError(f"{feed_url}: not an RSS feed (no <rss><channel>); check the feed URL")
    channel = _read_channel(channel_el, feed_url)
    items: list[FeedItem] = []
    seen: set[str] = set()
    duplicates = 0
    item_els = list(channel_el.iter("item"))
    for n, item_el in enumerate(item_els):
        item = _read_item(item_el, channel)
        if item is None:
            continue
        if cut:
            item = _mark_cut(item, item_el, item_els[n + 1 :], cut)
        if item.post_id in seen:
            duplicates += 1
            continue
        seen.add(item.post_id)
        items.append(item)
    return Feed(
        url=feed_url, encoding=encoding, channel=channel, items=items, duplicates=duplicates
    )


def _mark_cut(
    item: FeedItem, item_el: Any, rest: list[Any], cut: list[tuple[int, str]]
) -> FeedItem:
    """The item with an ``error`` when a parser limit was hit inside it (from its first line to
    the next item's)."""
    start = item_el.sourceline or 0
    end = next((e.sourceline for e in rest if e.sourceline), None)
    for line, message in cut:
        if start <= line and (end is None or line < end):
            error = (
                f"{item.link}: the feed item is too large or nested too deeply to read whole "
                f"({message} at line {line}); archive the post's URL instead"
            )
            return dataclasses.replace(item, error=error)
    return item


def _find_channel(root: Any) -> Any:
    if root is None:
        return None
    if _key(root) == "channel":
        return root
    if _key(root) != "rss":
        return None
    channels = _children(root, "channel")
    return channels[0] if channels else None


def _read_channel(channel_el: Any, feed_url: str) -> Channel:
    title = norm_space(_child_text(channel_el, "title"))
    link_given = _child_text(channel_el, "link")
    link = strip_tracking(link_given) if link_given else ""
    image_el = _children(channel_el, "image")
    image = _child_text(image_el[0], "url") if image_el else ""
    self_url = ""
    for atom_link in _children(channel_el, "atom:link"):
        if atom_link.get("rel") == "self":
            self_url = str(atom_link.get("href") or "")
    kind = _feed_kind(link, self_url or feed_url)
    source = dict(parse_qsl(urlsplit(link_given).query)).get("source", "")
    user_match = _USER_SOURCE_RE.match(source)
    author = None
    publication = None
    if kind == "user":
        name = re.sub(r"^Stories by (.*) on Medium$", r"\1", title)
        name = re.sub(r"^(.*) on Medium$", r"\1", name)
        author = Author(name=name, url=link, avatar=image)
    elif kind == "publication":
        name = re.sub(r"\s+-\s+Medium$", "", title)
        publication = _publisher(name, link)
    return Channel(
        kind=kind,
        title=title,
        link=link,
        self_url=self_url,
        image=image,
        generator=_child_text(channel_el, "generator"),
        author=author,
        publication=publication,
        user_id=user_match.group(1) if user_match else "",
    )


def _feed_kind(link: str, feed_url: str) -> FeedKind:
    for url in (feed_url, link):
        path = [s for s in urlsplit(url).path.split("/") if s]
        if "tag" in path[:2]:
            return "tag"
        if any(s.startswith("@") for s in path[:2]):
            return "user"
    channel_host = host(link)
    path = [s for s in urlsplit(link).path.split("/") if s]
    if channel_host == "medium.com" and path:
        return "publication"
    if channel_host.endswith(".medium.com") and not path:
        return "user"
    return "publication" if channel_host and channel_host != "medium.com" else "other"


def _publisher(name: str, url: str) -> Publisher:
    domain = host(url)
    return Publisher(name=name, url=url.rstrip("/"), favicon="", domain=domain)


def _read_item(item_el: Any, channel: Channel) -> FeedItem | None:
    guid = _child_text(item_el, "guid")
    link_given = _child_text(item_el, "link")
    post_id = post_id_from_url(guid) or post_id_from_url(strip_tracking(link_given))
    if not post_id:
        return None
    link = strip_tracking(link_given) if link_given else f"https://medium.com/p/{post_id}"
    title = norm_space(_child_text(item_el, "title"))
    content = _child_text(item_el, "content:encoded")
    snippet = _child_text(item_el, "description") if not content else ""
    tags = tuple(t for t in (norm_space(c.text or "") for c in _children(item_el, "category")) if t)
    updated_raw = _child_text(item_el, "atom:updated")
    is_draft = updated_raw.startswith(_EPOCH_PREFIX)
    return FeedItem(
        post_id=post_id,
        guid=guid,
        link=link,
        title=title,
        author=norm_space(_child_text(item_el, "dc:creator")),
        date_published=iso_from_text(_child_text(item_el, "pubDate")),
        date_modified="" if is_draft else iso_from_text(updated_raw),
        tags=tags,
        has_full_content=bool(content),
        content_html=content,
        snippet_html=snippet,
        is_response=bool(content) and not tags and _titled_by_text(title, content),
        is_draft=is_draft,
        publication=_item_publication(link, content, snippet, channel),
    )


def _titled_by_text(title: str, content: str) -> bool:
    """True when the content's first block is a paragraph that starts with the title."""
    first = _first_block(_fragment(content))
    if first is None or first.tag != "p" or not title:
        return False
    text = node_text(first)
    return text.startswith(title) or is_truncation(title, text)


def _item_publication(link: str, content: str, snippet: str, channel: Channel) -> Publisher | None:
    if channel.kind == "publication":
        return channel.publication
    match = _ORIGINALLY_RE.search(content)
    if match:
        return _publisher(
            norm_space(re.sub(r"<[^>]+>", "", match.group(2))), strip_tracking(match.group(1))
        )
    link_host = host(link)
    segments = [s for s in urlsplit(link).path.split("/") if s]
    continued = _CONTINUE_RE.search(re.sub(r"<[^>]+>", "", snippet))
    name = norm_space(continued.group(1)) if continued else ""
    name = "" if name == "Medium" else name
    if link_host == "medium.com":
        if len(segments) >= 2 and not segments[0].startswith("@") and segments[0] != "p":
            return _publisher(name, f"https://medium.com/{segments[0]}")
        return None
    if link_host.endswith(".medium.com"):
        user = link_host.removesuffix(".medium.com")
        owner = (channel.author.url if channel.author else "").lower()
        if owner.endswith(f"/@{user}") or channel.kind != "user":
            return None
        return _publisher(name, f"https://{link_host}")
    return _publisher(name, f"https://{link_host}") if link_host else None


# --- item to post -------------------------------------------------------------------------------


def item_to_post(item: FeedItem, feed: Feed) -> Post | None:
    """A `Post` from an item's full content, or None for a snippet-only (member-only) item,
    which the caller must fetch as a page.

    The body drops Medium's tracking pixel, the "originally published in" footer and a leading
    heading that repeats the title; when the feed title is cut with "…" and that heading holds
    the whole title, the heading's text becomes the title. Tags are the feed's tag slugs.
    """
    if item.error:
        raise ExtractError(item.error)
    if not item.has_full_content:
        return None
    root = _fragment(item.content_html)
    _check_whole(item, root)
    _drop_tracking_pixels(root)
    _drop_originally_published(root)
    title = _drop_title_heading(root, item.title)
    content = (
        "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
        if len(root)
        else ""
    )
    channel = feed.channel
    author = Author(name=item.author)
    if channel.kind == "user" and channel.author is not None:
        author = Author(
            name=item.author or channel.author.name,
            url=channel.author.url,
            avatar=channel.author.avatar,
        )
    return Post(
        id=item.post_id,
        url=item.link,
        title=title,
        body=body.normalize_fragment(content, item.link),
        date_published="" if item.is_draft else item.date_published,
        date_modified=item.date_modified,
        authors=(author,) if author.name else (),
        publisher=item.publication or MEDIUM_PUBLISHER,
        tags=item.tags,
        draft=item.is_draft,
        is_response=item.is_response,
        source=feed.url,
    )


_TAG_TEXT_RE = re.compile(r"<[^>]*>")


def _check_whole(item: FeedItem, root: Any) -> None:
    """`ExtractError` when parsing the content lost most of its words (the HTML parser drops
    what is nested over its depth limit): such an item is failed, never archived half empty."""
    raw_words = len(_TAG_TEXT_RE.sub(" ", item.content_html).split())
    if not raw_words:
        return
    kept = len(root.text_content().split())
    if kept * 2 < raw_words:
        raise ExtractError(
            f"{item.link}: the feed item's content is nested too deeply to read whole "
            f"({kept} of {raw_words} words kept); archive the post's URL instead"
        )


def _fragment(html: str) -> Any:
    return lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div")


def _first_block(root: Any) -> Any:
    """The first top-level element that carries text (figures and empty elements skipped)."""
    for child in root:
        if not isinstance(child.tag, str) or child.tag in ("figure", "img", "hr"):
            continue
        if node_text(child):
            return child
    return None


def _drop_tracking_pixels(root: Any) -> None:
    for img in [i for i in root.iter("img") if _TRACKING_PIXEL in str(i.get("src") or "")]:
        img.drop_tree()


def _drop_originally_published(root: Any) -> None:
    for para in root.findall("p"):
        if "was originally published in" in node_text(para):
            previous = para.getprevious()
            para.drop_tree()
            if previous is not None and previous.tag == "hr":
                previous.drop_tree()
            return


def _drop_title_heading(root: Any, title: str) -> str:
    """Remove a leading heading (before any paragraph) that repeats the title; return the title,
    completed from the heading when the feed's title is cut with "…"."""
    first = _first_block(root)
    if first is None or first.tag not in ("h1", "h2", "h3", "h4"):
        return title
    heading = node_text(first)
    if not _same_title(heading, title):
        return title
    first.drop_tree()
    return heading if title.endswith("…") and len(heading) > len(title) else title


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _same_title(heading: str, title: str) -> bool:
    heading_words, title_words = _words(heading), _words(title)
    if not heading_words or not title_words:
        return False
    if heading_words == title_words:
        return True
    if title.endswith(("…", "...")):
        stem = title_words[:-1] or title_words
        return heading_words[: len(stem)] == stem
    return False


# --- feed URLs ----------------------------------------------------------------------------------


def feed_url_for(arg: str) -> str:
    """The RSS feed URL for ``@user``, a medium.com profile, publication or tag URL, a
    ``user.medium.com`` or custom-domain publication URL; a feed URL is returned as is.

    Raises `InvalidInput` for anything else.
    """
    text = arg.strip()
    if re.fullmatch(r"@[A-Za-z0-9._-]+", text):
        return f"https://medium.com/feed/{text}"
    if not is_http_url(text):
        raise InvalidInput(
            f"{arg}: give @username, a Medium profile or publication URL, or a feed URL"
        )
    url = strip_tracking(text)
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    site = f"https://{parts.netloc.lower()}"
    if "feed" in segments[:2]:
        return url
    if host(url) == "medium.com":
        if not segments or segments[0] in ("p", "m", "me"):
            raise InvalidInput(f"{arg}: not a Medium profile, publication or tag URL")
        if segments[0] == "tag" and len(segments) >= 2:
            return f"https://medium.com/feed/tag/{segments[1]}"
        if len(segments) >= 3 and segments[1] == "tagged":
            return f"https://medium.com/feed/{segments[0]}/tagged/{segments[2]}"
        return f"https://medium.com/feed/{segments[0]}"
    if segments and segments[0].startswith("@"):
        return f"{site}/feed/{segments[0]}"
    if segments and segments[0] == "tagged" and len(segments) >= 2:
        return f"{site}/feed/tagged/{segments[1]}"
    return f"{site}/feed"
