"""Embeds archived as what they show: gists as code, videos, tweets and pens as real links.

The runtime half of embeds (embedtargets.py is the pure half, reading targets from URLs and
pages): `EmbedResolver` fetches what the page alone does not say (Medium's ``/media/<id>``
page, fetched once per id per run; a gist's ``.js`` embed and each raw file, which is the
code) through fetch.py, with the caller's session, and caches per run; `resolve_embeds`
applies it to a `Document`.

An embed that cannot be resolved keeps its proxy link (and caption) and adds ONE warning; it
never fails the post.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from . import fetch
from .document import Code, Document, Embed
from .embedtargets import (
    GIST_ORIGIN,
    Target,
    media_id_of,
    offline_target,
    parse_gist_js,
    parse_media_page,
    target_of_url,
)
from .errors import FetchError, MediumArchiveError, PostGone
from .hosts import host_of

#: The largest gist file (and gist .js, media page) read; larger ones keep the link.
MAX_EMBED_BYTES = 2 * 1024 * 1024


# --- fetching and caching -----------------------------------------------------------------------


class EmbedResolver:
    """Finds embed targets and gist files over the network, each media id and gist once per run.

    Thread-safe (batch worker threads share one). ``gist_base`` replaces
    ``https://gist.github.com`` in every gist request (tests point it at 127.0.0.1); the
    links written always name gist.github.com. A host that refused or could not be reached is
    not asked again in this run (every embed it serves still gets its warning).
    """

    def __init__(
        self,
        session: Any,
        *,
        gist_base: str = "",
        fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
        fetch_text: Callable[..., str] | None = None,
        max_bytes: int = MAX_EMBED_BYTES,
    ) -> None:
        self.session = session
        self.gist_base = gist_base.rstrip("/")
        self._fetch_page = fetch_page
        self._fetch_text = fetch_text or fetch.fetch_text
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._pending: dict[str, threading.Event] = {}
        self._results: dict[str, Target | list[Code] | MediumArchiveError | None] = {}
        self._down: dict[str, str] = {}

    def media_target(self, origin: str, media_id: str) -> Target | None:
        """What ``<origin>/media/<media_id>`` shows (None: a page with nothing we know);
        raises the fetch's `MediumArchiveError` (cached: asked once per run)."""
        url = f"{origin.rstrip('/')}/media/{media_id}"
        result = self._once(f"media:{media_id}", lambda: self._media(url))
        assert result is None or isinstance(result, Target)
        return result

    def gist_code(self, target: Target) -> list[Code]:
        """Each file of a gist as a `Code` block (language from its name); raises the fetch's
        `MediumArchiveError` when the gist or a file cannot be had (cached)."""
        assert target.gist is not None
        user, gist_id, file = target.gist
        result = self._once(f"gist:{user}/{gist_id}/{file}", lambda: self._gist(target))
        assert isinstance(result, list)
        return result

    def _media(self, url: str) -> Target | None:
        page: fetch.Page = self._call(
            url, lambda: self._fetch_page(self.session, url, max_bytes=self.max_bytes)
        )
        return parse_media_page(page.text)

    def _gist(self, target: Target) -> list[Code]:
        assert target.gist is not None
        user, gist_id, file = target.gist
        js_url = self._gist_url(f"{target.url}.js" + (f"?file={quote(file)}" if file else ""))
        js = self._text(js_url)
        files = parse_gist_js(js)
        if file:
            files = [f for f in files if f.name == file] or files
        if not files:
            raise FetchError(f"{js_url}: the gist's embed lists no files", url=js_url)
        return [Code(self._text(self._gist_url(f.raw_url)).rstrip("\n"), f.lang) for f in files]

    def _gist_url(self, url: str) -> str:
        if self.gist_base and url.startswith(GIST_ORIGIN + "/"):
            return self.gist_base + url[len(GIST_ORIGIN) :]
        return url

    def _text(self, url: str) -> str:
        text: str = self._call(
            url, lambda: self._fetch_text(self.session, url, max_bytes=self.max_bytes)
        )
        return text

    def _call(self, url: str, request: Callable[[], Any]) -> Any:
        host = host_of(url)
        with self._lock:
            down = self._down.get(host)
        if down:
            raise FetchError(f"{url}: {down} (not asked again)", url=url)
        try:
            return request()
        except FetchError as exc:
            message = str(exc)
            if exc.status is None and _is_unreachable(message):
                why = message.removeprefix(f"{exc.url}: ") if exc.url else message
                with self._lock:
                    self._down.setdefault(host, why)
            raise

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` run once per key across threads; its result or error replayed. A
        thread that finds the key in progress waits for it (and computes it itself if the
        other thread was interrupted)."""
        while True:
            with self._lock:
                if key in self._results:
                    return self._unwrap(self._results[key])
                event = self._pending.get(key)
                if event is None:
                    event = self._pending[key] = threading.Event()
                    break
            event.wait()
        try:
            result: Any = compute()
        except MediumArchiveError as exc:
            result = _bare(exc)
        except BaseException:
            with self._lock:
                del self._pending[key]
            event.set()
            raise
        with self._lock:
            self._results[key] = result
            del self._pending[key]
        event.set()
        return self._unwrap(result)

    @staticmethod
    def _unwrap(result: Any) -> Any:
        if isinstance(result, MediumArchiveError):
            # A fresh copy each time: raising the cached one would grow its traceback with
            # every post that meets it (and keep those posts' pages alive), across threads.
            raise _bare(result)
        return result


def _bare(exc: MediumArchiveError) -> MediumArchiveError:
    """The same error without its traceback and cause: kept for the whole run, it must not
    keep the frames (and the post being archived then) alive."""
    if isinstance(exc, FetchError):
        return type(exc)(str(exc), url=exc.url, status=exc.status)
    return MediumArchiveError(str(exc))


def _is_unreachable(message: str) -> bool:
    return any(
        words in message
        for words in ("connection refused", "cannot resolve", "cannot connect", "timed out")
    )


#: One resolver per session (one session per command run), so every post of a run shares the
#: per-run cache without threading a resolver through every caller.
_RESOLVERS: weakref.WeakKeyDictionary[Any, EmbedResolver] = weakref.WeakKeyDictionary()
_RESOLVERS_LOCK = threading.Lock()


def resolver_for(session: Any, *, gist_base: str = "") -> EmbedResolver:
    """The run's `EmbedResolver` for ``session`` (made on first use)."""
    with _RESOLVERS_LOCK:
        resolver = _RESOLVERS.get(session)
        if resolver is None or resolver.gist_base != gist_base.rstrip("/"):
            resolver = EmbedResolver(session, gist_base=gist_base)
            _RESOLVERS[session] = resolver
        return resolver


# --- resolving a document -----------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """One embed's resolution: target URL and title, gist code, and a warning ('' if none).

    ``fetched``: it took the network (a media page or gist files), so it is worth recording
    in the archived file (`record`) for runs that do not fetch (``sync --dry-run``) or cannot.
    """

    url: str
    title: str
    resolved: bool
    code: tuple[Code, ...] = ()
    warning: str = ""
    fetched: bool = False

    def record(self) -> dict[str, Any]:
        """The ``_archive.embeds`` entry: ``{url, title, code: [{lang, text}]}``."""
        entry: dict[str, Any] = {"url": self.url, "title": self.title}
        if self.code:
            entry["code"] = [{"lang": c.lang, "text": c.text} for c in self.code]
        return entry


def from_record(entry: object) -> Resolved | None:
    """A `Resolved` from an ``_archive.embeds`` entry, or None when it is not one."""
    if not isinstance(entry, dict):
        return None
    url, title, code = entry.get("url"), entry.get("title", ""), entry.get("code", [])
    if not isinstance(url, str) or not url or not isinstance(title, str):
        return None
    if not isinstance(code, list) or not all(_is_code_record(c) for c in code):
        return None
    files = tuple(Code(c["text"], c.get("lang", "")) for c in code)
    return Resolved(url, title, True, files, fetched=True)


def _is_code_record(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("text"), str)
        and isinstance(entry.get("lang", ""), str)
    )


def resolve_one(
    url: str,
    *,
    title: str = "",
    media_id: str = "",
    thumbnail: str = "",
    origin: str,
    resolver: EmbedResolver | None,
    known: Resolved | None = None,
) -> Resolved:
    """Resolve one embed: from the page (``url``, ``thumbnail``), else with ``resolver``
    (None: no request, no warning), else ``known`` (what an earlier run recorded), else the
    proxy link, with a warning when a request failed."""
    media_id = media_id or media_id_of(url)
    target = offline_target(url, thumbnail)
    proxy = url
    if media_id and (not url or (target is None and not media_id_of(url))):
        proxy = f"{origin.rstrip('/')}/media/{media_id}"  # Medium's copy, the page's link lost
    fetched = False
    if target is None and media_id:
        if resolver is None:
            return known or Resolved(proxy, title, False)
        try:
            target = resolver.media_target(origin, media_id)
        except MediumArchiveError as exc:
            if known is not None:
                return replace(known, warning=_kept(known, title, exc))
            return Resolved(proxy, title, False, warning=_warning(proxy, title, exc))
        if target is None:
            return Resolved(
                proxy,
                title,
                False,
                warning=f"embed {_name(proxy, title)}: its media page shows nothing known; "
                "kept the link to Medium's copy",
            )
        fetched = True
    if target is None:
        return Resolved(proxy, title, False)
    title = title or target.default_title
    same = known if known is not None and known.url == target.url and known.code else None
    if target.gist is None:
        return Resolved(target.url, title, True, fetched=fetched)
    if resolver is None:
        return same or Resolved(target.url, title, True)
    try:
        code = resolver.gist_code(target)
    except MediumArchiveError as exc:
        if same is not None:
            return replace(same, warning=_kept(same, title, exc))
        name = _name(target.url, title)
        message = f"embed {name}: gist code not archived ({_why(exc)}); kept a link to the gist"
        return Resolved(target.url, title, True, warning=message, fetched=fetched)
    return Resolved(target.url, title, True, tuple(code), fetched=True)


def _kept(known: Resolved, title: str, exc: MediumArchiveError) -> str:
    what = "code" if known.code else "link"
    return (
        f"embed {_name(known.url, title or known.title)} not fetched again ({_why(exc)}); "
        f"kept the archived {what}"
    )


def _name(url: str, title: str) -> str:
    return f"{title!r} ({url})" if title and title != url else url


def _warning(url: str, title: str, exc: MediumArchiveError) -> str:
    return f"embed {_name(url, title)} not resolved ({_why(exc)}); kept the link to Medium's copy"


def _why(exc: MediumArchiveError) -> str:
    """The fetch error without fetch.py's advice for posts (a 404 here is not a deleted post)."""
    if isinstance(exc, PostGone):
        return f"{exc.url}: HTTP {exc.status}, gone"
    return str(exc)


def resolve_embeds(
    doc: Document,
    *,
    origin: str,
    resolver: EmbedResolver | None,
    known: Mapping[str, Any] | None = None,
    records: dict[str, dict[str, Any]] | None = None,
) -> tuple[Document, list[str]]:
    """The document with each unresolved iframe embed resolved (see `resolve_one`), and the
    warnings (one per embed that could not be had). ``resolver`` None: page-only resolution.

    ``known``: the ``_archive.embeds`` of an earlier run (see `resolve_body_html`); ``records``,
    when given, receives what took the network, for the archived file's ``_archive.embeds``.
    """
    warnings: list[str] = []
    blocks: list[Any] = []
    changed = False
    known = known or {}
    for block in doc.blocks:
        # Every iframe embed is looked at (a reader's ``resolved`` is not trusted: a proxy on a
        # custom domain looks like any URL), except a gist whose code is already there.
        if isinstance(block, Embed) and block.kind == "iframe" and not block.code:
            key = block.media_id or block.url
            found = resolve_one(
                block.url,
                title=block.title,
                media_id=block.media_id,
                origin=origin,
                resolver=resolver,
                known=from_record(known.get(key)),
            )
            if found.warning:
                warnings.append(found.warning)
            if found.fetched and records is not None:
                records[key] = found.record()
            new = replace(
                block, url=found.url, title=found.title, resolved=found.resolved, code=found.code
            )
            changed = changed or new != block
            blocks.append(new)
        else:
            blocks.append(block)
    return (doc.replace_blocks(blocks) if changed else doc), warnings


def needs_network(doc: Document) -> bool:
    """True when an iframe embed of ``doc`` can only be resolved over the network: its target
    is not known from the page, or it is a gist whose code is not there yet."""
    for block in doc.embeds():
        if block.kind != "iframe" or block.code:
            continue
        target = target_of_url(block.url)
        if target is None or target.gist is not None:
            return True
    return False
