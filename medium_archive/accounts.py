"""Whole-account sources for ``import``: an account export (zip or folder), RSS feeds, and an
account by its name or a publication (`open_account_source`: the account's GraphQL listing from
sources/account.py, streamed to the batch runner of URL lists; else, and for publications, the
feed, with a warning that it holds only the 10 latest posts).

Owns deciding what an ``import`` argument is (`source_kind`; `import_hint` tells ``archive``
that it is a whole source), loading a feed (`load_feed`), and the adapters that make each export
post or feed item a pipeline item (`export_work`, `feed_work`), run over a whole source by
`import_export` / `import_feed` through the one pipeline (pipeline.py), as URL lists are.
Drafts and responses are reported as skipped unless asked for; posts already in the site are
skipped unless ``refresh``, so a second import writes nothing. With
``enrich`` each export post's live page adds what the export lacks (tags, publication, modified
date, language, app links); when the page cannot be had the export's content is kept and a
warning says so. Never prints; fetching goes through fetch.py.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from . import archive, fetch, hosts
from .archive import Outcome, Status
from .batch import DEFAULT_GRACE, Done
from .errors import Blocked, MediumArchiveError, NotAPost, SourceError
from .items import FetchItem, ParsedItem, Work
from .model import Post
from .pipeline import DEFAULT_SETTINGS, Settings, _live_url, run_items
from .sources import account as account_source
from .sources.account import FEED_LIMIT_NOTE, AccountEntry, ListingError, ListingStopped
from .sources.export import ExportItem, iter_export
from .sources.feed import Feed, FeedItem, decode_feed, feed_url_for, item_to_post, parse_feed
from .sources.urllist import clean_line
from .store import Site
from .urls import host, is_http_url, post_id_from_url, strip_tracking

SourceKind = Literal["export", "feed", "list", "account", "publication", "site", "post"]
T = TypeVar("T")

_HANDLE_RE = re.compile(r"@[A-Za-z0-9._-]+")
#: How much of a file is read to tell an RSS feed from a list of URLs.
_SNIFF_BYTES = 4096


# --- what the argument is ----------------------------------------------------------------------


def source_kind(arg: str) -> SourceKind:
    """The kind of an import SOURCE: "export" for a .zip or a folder; "account" for ``@user``,
    a profile URL (``medium.com/@user``, ``user.medium.com``); "feed" for a URL with ``/feed/``
    in its path or a file holding RSS XML; "post" for a post URL; "publication" for another
    Medium URL (``medium.com/<publication>``, a tag page, a custom domain's page); "site" for
    the root of a custom domain (a profile or a publication: its page tells); "list" for
    anything else (a list of URLs, or ``-``)."""
    if arg == "-":
        return "list"
    if _HANDLE_RE.fullmatch(arg.strip()):
        return "account"
    if is_http_url(arg):
        segments = [s for s in urlsplit(arg).path.split("/") if s]
        if "feed" in segments[:2]:
            return "feed"
        if account_source.account_for(arg) is not None:
            return "account"
        if post_id_from_url(strip_tracking(arg)):
            return "post"
        name = host(arg)
        if segments or name == "medium.com" or name.endswith(".medium.com"):
            return "publication"
        return "site"
    path = Path(arg).expanduser()
    if path.is_dir():
        return "export"
    if not path.is_file():
        return "list"
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        return "export"
    return "feed" if _looks_like_rss(path) else "list"


def _looks_like_rss(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    text = decode_feed(head)[0].lstrip()
    return text.startswith("<?xml") or "<rss" in text[:1000]


#: A saved feed file larger than this is not read (Medium's feeds hold ten posts).
MAX_FEED_FILE_BYTES = 64 * 1024 * 1024


def _looks_like_list(path: Path) -> bool:
    """True for a text file whose first entry is a URL (a list for ``import``), not a page."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return False
    for line in text.splitlines():
        entry = clean_line(line)
        if entry:
            return is_http_url(entry)
    return False


_WHAT = {
    "account": "a Medium account",
    "publication": "a Medium publication (or tag) page",
    "feed": "an RSS feed",
    "export": "a Medium account export",
}


def import_hint(source: str) -> str | None:
    """For ``archive``: why ``source`` is a whole account, publication, feed, export or list
    of URLs rather than one post, and to use ``import``; None for what ``archive`` takes."""
    kind = source_kind(source)
    what = _WHAT.get(kind)
    if kind == "site" or (kind == "publication" and host(source) != "medium.com"):
        what = None  # any other site's page: fetching it tells what it is
    if what is None and kind == "list" and _looks_like_list(Path(source).expanduser()):
        what = "a list of URLs"
    if what is None:
        return None
    return f"{source}: {what}, not a post; use `medium-archive import {source}` for its posts"


def load_feed(source: str, *, session: Any) -> Feed:
    """The feed named by ``@user``, a feed URL (fetched) or a saved feed file.

    Raises `Blocked` when Cloudflare answers with a challenge, `SourceError` when the answer is
    not a feed, `FetchError` when it cannot be fetched.
    """
    path = Path(source).expanduser()
    if not is_http_url(source) and path.is_file():
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_FEED_FILE_BYTES + 1)
        except OSError as exc:
            raise SourceError(f"{source}: cannot read the feed file ({exc.strerror})") from exc
        if len(data) > MAX_FEED_FILE_BYTES:
            raise SourceError(
                f"{source}: over {MAX_FEED_FILE_BYTES >> 20} MB, too large for a feed; "
                "check the file"
            )
        return _parse_feed(data, source)
    url = feed_url_for(source)
    try:
        blob = fetch.fetch_bytes(session, url)
    except Blocked as exc:
        status = f" (HTTP {exc.status})" if exc.status else ""
        raise Blocked(
            f"{url}: Cloudflare answered with a bot challenge instead of the feed{status}; "
            "try again later, save the feed in a browser and import that file, or pass the "
            "browser's cookies and user agent (--cookies cookies.txt --user-agent UA)",
            url=url,
            status=exc.status,
        ) from exc
    return _parse_feed(blob.data, url)


def _parse_feed(data: bytes, source: str) -> Feed:
    """`parse_feed`, with anything the XML toolkit raises on hostile input as one line."""
    try:
        return parse_feed(data, source)
    except MediumArchiveError:
        raise
    except (ValueError, TypeError, LookupError, RecursionError, MemoryError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{source}: cannot read the feed ({reason[:200]})") from None


# --- the sources' items -------------------------------------------------------------------


def export_work(item: ExportItem, settings: Settings) -> Work:
    """What the pipeline makes of one export file: a skipped draft or response, a failure, or
    the post (enriched from its live page with ``--enrich``)."""
    post = item.post
    if item.kind == "error":
        return Outcome(item.source, Status.FAILED, error=item.error)
    if post is None:
        exc = NotAPost(f"{item.source}: a page of the export that is not a post")
        return archive.failure(item.source, exc)
    if item.kind == "draft" and not settings.drafts:
        return Outcome(item.source, Status.SKIPPED_DRAFT, post.id)
    if item.kind == "response" and not settings.responses:
        return Outcome(item.source, Status.SKIPPED_RESPONSE, post.id)
    # The export's path is temporary; the post's own URL identifies what was archived.
    post = dataclasses.replace(post, source=post.url)
    return ParsedItem(item.source, post, enrich=settings.enrich and not post.draft)


#: Added to why a feed item's page could not be had.
_SNIPPET_NOTE = "(the feed has only a snippet of this post: member-only?)"


def feed_work(item: FeedItem, feed: Feed, settings: Settings) -> Work:
    """What the pipeline makes of one feed item: its full content, else (member-only snippet)
    its page to fetch, or a skipped draft or response."""
    if item.is_response and not settings.responses:
        return Outcome(item.link, Status.SKIPPED_RESPONSE, item.post_id)
    if item.is_draft and not settings.drafts:
        return Outcome(item.link, Status.SKIPPED_DRAFT, item.post_id)
    post = item_to_post(item, feed)
    if post is not None:
        return ParsedItem(item.link, post, post_id=item.post_id)
    refused = feed_link_refusal(item.link, feed)
    if refused:
        refused = (
            f"{item.link}: not fetched: {refused} (the feed has only a snippet of this post, "
            "and its page is fetched only from Medium or the feed's own host)"
        )
    return FetchItem(
        item.link,
        item.post_id,
        based_on=feed.url,
        plain=True,
        failure_note=_SNIPPET_NOTE,
        refused=refused,
    )


def feed_link_refusal(link: str, feed: Feed) -> str:
    """Why a feed item's page may not be fetched ("" when it may): only Medium's hosts, the host
    the feed was fetched from, and the public host the feed names as its site."""
    return hosts.refusal(
        link,
        fetched_from={hosts.host_of(feed.url)} - {""},
        named={hosts.host_of(feed.channel.link)} - {""},
    )


# --- a whole source ---------------------------------------------------------------------------


def _unexpected(source: Callable[[Any], str]) -> Callable[[Any, Exception], Outcome]:
    def on_error(item: Any, exc: Exception) -> Outcome:
        if isinstance(exc, MediumArchiveError):
            return archive.failure(source(item), exc)
        return Outcome(source(item), Status.FAILED, error=f"{source(item)}: unexpected: {exc!r}")

    return on_error


def import_export(
    path: Path,
    *,
    site: Site,
    session: Any,
    settings: Settings = DEFAULT_SETTINGS,
    stop: threading.Event | None = None,
    grace: float = DEFAULT_GRACE,
    fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
    live_url: Callable[[Post], str] = _live_url,
) -> Iterator[Done[ExportItem, Outcome]]:
    """Archive every post of an account export; yield each file with its `Outcome`.

    Raises `SourceError` (from the export reader) for a corrupt zip or a folder without posts.
    """
    items = iter_export(path)
    first = next(items, None)  # a bad export fails here, before any worker starts
    if first is None:
        return

    def chained() -> Iterator[ExportItem]:
        yield first
        yield from items

    yield from run_items(
        chained(),
        lambda item: export_work(item, settings),
        site=site,
        session=session,
        settings=settings,
        on_error=_unexpected(lambda item: str(item.source)),
        stop=stop,
        grace=grace,
        fetch_page=fetch_page,
        live_url=live_url,
    )


def import_feed(
    feed: Feed,
    *,
    site: Site,
    session: Any,
    settings: Settings = DEFAULT_SETTINGS,
    stop: threading.Event | None = None,
    grace: float = DEFAULT_GRACE,
    fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
) -> Iterator[Done[FeedItem, Outcome]]:
    """Archive every item of a parsed feed; yield each item with its `Outcome`."""
    yield from run_items(
        feed.items,
        lambda item: feed_work(item, feed, settings),
        site=site,
        session=session,
        settings=settings,
        on_error=_unexpected(lambda item: str(item.link)),
        stop=stop,
        grace=grace,
        fetch_page=fetch_page,
    )


# --- an account by its name, a publication ----------------------------------------------------


@dataclass(frozen=True)
class AccountSource:
    """What an account or publication SOURCE became: the listing's entries (streamed, for the
    batch runner of URL lists), or a feed."""

    entries: Iterator[AccountEntry | ListingStopped] | None = None
    feed: Feed | None = None


def open_account_source(
    arg: str,
    *,
    session: Any,
    medium_origin: str = "https://medium.com",
    responses: bool = False,
    warn: Callable[[str], None] = lambda message: None,
) -> AccountSource:
    """The posts of an account (``kind`` "account" or "site") or publication, from the account's
    GraphQL listing, else from the RSS feed.

    A custom domain's root ("site") is fetched first to tell a profile from a publication. The
    listing's first page is fetched here; when it fails (bot challenge, errors, another shape),
    ``warn`` is told why in one line and the feed is read instead, with a warning that a feed
    holds only the 10 latest posts (as for a publication). Raises what `load_feed` raises when
    the feed cannot be had.
    """
    account = account_source.account_for(arg, medium_origin)
    feed_url = ""
    if account is None and source_kind(arg) == "site":
        try:
            page = fetch.fetch_page(session, arg)
        except MediumArchiveError as exc:
            warn(f"{arg}: cannot read the page to tell a profile from a publication ({exc})")
            feed_url = f"{account_source.origin_of(arg)}/feed"
        else:
            username = account_source.profile_username(page.text)
            final = page.final_url or arg
            origin = account_source.origin_of(final)
            if username:  # at the root (or redirected to a medium.com/@user profile)
                account = account_source.account_for(final) or account_source.Account(
                    username, origin, subdomain=True
                )
            else:
                feed_url = f"{origin}/feed"
    if account is not None:
        try:
            first = account_source.fetch_listing_page(session, account, None, responses=responses)
        except ListingError as exc:
            warn(f"{account.label}: the account's post listing failed: {exc}")
            warn(
                f"{account.label}: reading its RSS feed instead ({account.feed_url}): "
                f"{FEED_LIMIT_NOTE}, older ones are not imported"
            )
            feed_url = account.feed_url
        else:
            entries = account_source.iter_listing(
                account, first, session=session, responses=responses
            )
            return AccountSource(entries=entries)
    else:
        feed_url = feed_url or feed_url_for(arg)
        warn(f"{arg}: read through its RSS feed ({feed_url}): {FEED_LIMIT_NOTE}")
    return AccountSource(feed=load_feed(feed_url, session=session))
