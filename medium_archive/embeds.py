"""Embeds archived as what they show: gists as code, videos, tweets and pens as real links.

A Medium embed is an iframe to Medium's proxy, ``<origin>/media/<32-hex id>``. What it shows is
found, in order:

1. from the page alone (`target_of_url`, `target_of_thumbnail`): an iframe ``src`` that is not
   the proxy (Apollo's ``iframeSrc``), embed.ly's ``cdn.embedly.com/widgets/media.html?src=…
   &url=…`` unwrapped to its ``url`` (else ``src``), or a YouTube thumbnail;
2. from the media page, fetched once per id per run (`parse_media_page`): a
   ``<script src="https://gist.github.com/<user>/<id>.js">`` is a gist, an ``<iframe src>`` is
   the thing it frames.

A gist's files are listed by its ``.js`` embed (`parse_gist_js`: each file's "view raw" link)
and each raw file is the code. `EmbedResolver` does the fetching (through fetch.py, with the
caller's session) and caches per run; `resolve_embeds` applies it to a `Document`.

An embed that cannot be resolved keeps its proxy link (and caption) and adds ONE warning; it
never fails the post.
"""

from __future__ import annotations

import html as html_lib
import re
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from . import fetch
from .codelang import lang_for_filename, normalize_lang
from .document import Code, Document, Embed
from .errors import FetchError, MediumArchiveError, PostGone

GIST_ORIGIN = "https://gist.github.com"
#: The largest gist file (and gist .js, media page) read; larger ones keep the link.
MAX_EMBED_BYTES = 2 * 1024 * 1024

_MEDIA_RE = re.compile(r"/media/([0-9a-f]{32})(?:[/?#]|$)")
_GIST_RE = re.compile(
    r"^https?://gist\.github(?:usercontent)?\.com/(?:([\w.-]+)/)?([0-9a-f]{5,}|\d+)"
    r"(?:\.js|/)?(?:[?#].*)?$",
    re.I,
)
#: A frame saved with the page by a browser (``./Post_files/saved_resource.html``).
_SAVED_FILE_RE = re.compile(r"_files/[^/]*$")
_YT_ID_RE = re.compile(r"^[\w-]{6,20}$")
_YT_THUMB_RE = re.compile(r"^https?://i\d?\.ytimg\.com/vi(?:_webp)?/([\w-]{6,20})/", re.I)
_TIME_RE = re.compile(r"^\d+$")
_SCRIPT_SRC_RE = re.compile(r"<script\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.I)
_IFRAME_SRC_RE = re.compile(r"<iframe\b[^>]*?\b(?:data-)?src\s*=\s*[\"']([^\"']+)[\"']", re.I)
_RAW_RE = re.compile(
    r"https?://[^\s\"'<>\\]+?/[\w.-]+/[0-9a-f]+/raw/[0-9a-f]+/[^\s\"'<>\\?#]+", re.I
)
_TAG_LANG_RE = re.compile(
    r'data-tagsearch-lang="([^"]*)"[^>]*?data-tagsearch-path="([^"]*)"'
    r'|data-tagsearch-path="([^"]*)"[^>]*?data-tagsearch-lang="([^"]*)"'
)
_Query = dict[str, list[str]]

# --- targets (pure) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What an embed shows: its real URL, the provider, and an id for a default title.

    ``gist`` is ``(user, gist id, file)`` for a gist (``file`` when the embed shows one file).
    """

    url: str
    provider: str
    ident: str = ""
    gist: tuple[str, str, str] | None = None

    @property
    def default_title(self) -> str:
        return f"{self.provider} {self.ident}".strip()


def media_id_of(url: str) -> str:
    """The media id of a Medium proxy URL (``…/media/<32 hex>``), else ''."""
    match = _MEDIA_RE.search(url or "")
    return match.group(1) if match else ""


def unwrap_embedly(url: str) -> str:
    """embed.ly's ``cdn.embedly.com/widgets/media.html?src=…&url=…`` → its ``url`` (else
    ``src``); ``i.embed.ly/1/image?url=…`` → the image URL; any other URL unchanged."""
    parts = _split(url)
    if parts is None:
        return url
    host = (parts.hostname or "").lower()
    if host.endswith("embedly.com") or host == "i.embed.ly":
        query = parse_qs(parts.query)
        for key in ("url", "src"):
            values = query.get(key)
            if values and values[0].startswith(("http://", "https://", "//")):
                inner: str = values[0]
                return "https:" + inner if inner.startswith("//") else inner
    return url


def target_of_url(url: str) -> Target | None:
    """The target of an iframe ``src`` or link (embed.ly unwrapped); None for Medium's proxy
    (``…/media/<id>`` on any host), a relative or a non-http URL."""
    url = unwrap_embedly(html_lib.unescape((url or "").strip()))
    if url.startswith("//"):
        url = "https:" + url
    parts = _split(url)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if _SAVED_FILE_RE.search(parts.path):
        return None  # a browser's "save page" copy of the frame, made absolute: not the target
    host = parts.hostname.lower().removeprefix("www.").removeprefix("m.")
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    for match in _MATCHERS:
        found = match(url, host, segments, query)
        if found is not None:
            return found
    if media_id_of(url):
        return None
    return Target(url=url, provider=host)


def target_of_thumbnail(thumbnail: str) -> Target | None:
    """A YouTube embed known from its thumbnail (``i.ytimg.com/vi/<id>/…``, also inside
    embed.ly's image proxy); None for any other thumbnail (a tweet's or gist's image does not
    say which tweet or gist)."""
    url = unwrap_embedly(html_lib.unescape((thumbnail or "").strip()))
    match = _YT_THUMB_RE.match(url)
    if not match:
        return None
    return _youtube_target(match.group(1), "")


def gist_target(user: str, gist_id: str, file: str = "") -> Target:
    page = f"{GIST_ORIGIN}/{user}/{gist_id}" if user else f"{GIST_ORIGIN}/{gist_id}"
    ident = f"{user}/{gist_id}" if user else gist_id
    if file:
        ident += f" ({file})"
    return Target(url=page, provider="Gist", ident=ident, gist=(user, gist_id, file))


def parse_media_page(html: str) -> Target | None:
    """What a Medium ``/media/<id>`` page shows: a gist script, else the first iframe."""
    for src in _SCRIPT_SRC_RE.findall(html):
        target = target_of_url(html_lib.unescape(src))
        if target is not None and target.gist is not None:
            return target
    for src in _IFRAME_SRC_RE.findall(html):
        target = target_of_url(html_lib.unescape(src))
        if target is not None:
            return target
    return None


@dataclass(frozen=True)
class GistFile:
    """One file of a gist: its name, "view raw" URL and language (normalised, or '')."""

    name: str
    raw_url: str
    lang: str = ""


def parse_gist_js(js: str) -> list[GistFile]:
    """The files of a gist from its ``.js`` embed (a ``document.write`` of the gist's HTML,
    with each file's "view raw" link), in the gist's order."""
    text = js.replace("\\/", "/").replace('\\"', '"').replace("\\n", "\n")
    langs: dict[str, str] = {}
    for a_lang, a_path, b_path, b_lang in _TAG_LANG_RE.findall(text):
        langs[html_lib.unescape(a_path or b_path)] = html_lib.unescape(a_lang or b_lang)
    files: list[GistFile] = []
    seen: set[str] = set()
    for raw in _RAW_RE.findall(text):
        raw_url = html_lib.unescape(raw)
        if raw_url in seen:
            continue
        seen.add(raw_url)
        name = unquote(raw_url.rsplit("/", 1)[-1])
        lang = lang_for_filename(name) or normalize_lang(langs.get(name, ""))
        files.append(GistFile(name, raw_url, lang))
    return files


def _split(url: str) -> Any:
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _gist(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
    if host not in ("gist.github.com", "gist.githubusercontent.com"):
        return None
    match = _GIST_RE.match(url)
    if not match:
        return None
    file = (query.get("file") or [""])[0]
    return gist_target(match.group(1) or "", match.group(2), file)


def _youtube_target(video: str, start: str) -> Target:
    url = f"https://www.youtube.com/watch?v={video}"
    if start and _TIME_RE.match(start) and start != "0":
        url += f"&t={start}s"
    return Target(url=url, provider="YouTube", ident=video)


def _youtube(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
    if host not in ("youtube.com", "youtube-nocookie.com", "youtu.be", "music.youtube.com"):
        return None
    start = (query.get("start") or query.get("t") or [""])[0].removesuffix("s")
    if host == "youtu.be" and segments:
        return _youtube_target(segments[0], start) if _YT_ID_RE.match(segments[0]) else None
    if len(segments) >= 2 and segments[0] in ("embed", "v", "shorts", "live"):
        if segments[1] == "videoseries" and query.get("list"):
            playlist = query["list"][0]
            return Target(
                f"https://www.youtube.com/playlist?list={quote(playlist)}", "YouTube", playlist
            )
        if _YT_ID_RE.match(segments[1]):
            return _youtube_target(segments[1], start)
    video = (query.get("v") or [""])[0]
    if segments[:1] == ["watch"] and _YT_ID_RE.match(video):
        return _youtube_target(video, start)
    return None


def _vimeo(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
    if host not in ("vimeo.com", "player.vimeo.com"):
        return None
    numeric = [s for s in segments if s.isdigit()]
    if not numeric:
        return None
    return Target(f"https://vimeo.com/{numeric[0]}", "Vimeo", numeric[0])


def _soundcloud(
    url: str, host: str, segments: list[str], query: _Query
) -> Target | None:
    if host == "w.soundcloud.com":
        inner = (query.get("url") or [""])[0]
        if not inner.startswith(("http://", "https://")):
            return None
        inner_parts = _split(inner)
        if inner_parts is None:
            return None
        if (inner_parts.hostname or "").endswith("api.soundcloud.com"):
            ident = inner_parts.path.strip("/").replace("/", " ")
            return Target(f"https://api.soundcloud.com{inner_parts.path}", "SoundCloud", ident)
        return Target(inner.split("?", 1)[0], "SoundCloud", inner_parts.path.strip("/"))
    if host == "soundcloud.com" and segments:
        return Target(url.split("?", 1)[0], "SoundCloud", "/".join(segments))
    return None


def _codepen(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
    if host not in ("codepen.io", "cdpn.io"):
        return None
    # codepen.io/<user>/embed/<slug>, /embed/preview/<slug>, /pen/<slug>, /full/<slug> …
    if len(segments) >= 3 and segments[1] in ("embed", "pen", "full", "details", "debug"):
        slug = segments[-1]
        user = segments[0]
        return Target(f"https://codepen.io/{user}/pen/{slug}", "CodePen", f"{user}/{slug}")
    return None


def _twitter(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
    if host == "platform.twitter.com":
        tweet = (query.get("id") or [""])[0]
        if tweet.isdigit():
            return Target(f"https://twitter.com/i/status/{tweet}", "Tweet", tweet)
        return None
    if host not in ("twitter.com", "x.com", "mobile.twitter.com"):
        return None
    if len(segments) >= 3 and segments[1] in ("status", "statuses") and segments[2].isdigit():
        user, tweet = segments[0], segments[2]
        return Target(f"https://{host}/{user}/status/{tweet}", "Tweet", f"{user}/{tweet}")
    return None


def _instagram(
    url: str, host: str, segments: list[str], query: _Query
) -> Target | None:
    if host not in ("instagram.com", "instagr.am"):
        return None
    if len(segments) >= 2 and segments[0] in ("p", "reel", "tv"):
        kind, code = segments[0], segments[1]
        return Target(f"https://www.instagram.com/{kind}/{code}/", "Instagram", code)
    return None


def _maps(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
    if host in ("google.com", "maps.google.com") and (
        segments[:1] == ["maps"] or host == "maps.google.com"
    ):
        where = (query.get("q") or [""])[0]
        return Target(url, "Google Maps", where)
    return None


def _spotify(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
    if host != "open.spotify.com" or not segments:
        return None
    rest = segments[1:] if segments[0] == "embed" else segments
    if len(rest) >= 2:
        return Target(f"https://open.spotify.com/{'/'.join(rest[:2])}", "Spotify", rest[1])
    return None


_Matcher = Callable[[str, str, list[str], dict[str, list[str]]], "Target | None"]
_MATCHERS: tuple[_Matcher, ...] = (
    _gist, _youtube, _vimeo, _soundcloud, _codepen, _twitter, _instagram, _maps, _spotify
)


def offline_target(url: str, thumbnail: str = "") -> Target | None:
    """The target known from the page alone: the embed's URL (when not the proxy), else its
    thumbnail."""
    return target_of_url(url) or target_of_thumbnail(thumbnail)


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
        return [
            Code(self._text(self._gist_url(f.raw_url)).rstrip("\n"), f.lang) for f in files
        ]

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
        host = (_split(url).hostname if _split(url) is not None else "") or ""
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
                proxy, title, False,
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
                block.url, title=block.title, media_id=block.media_id, origin=origin,
                resolver=resolver, known=from_record(known.get(key)),
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
