"""What an embed shows, from its URLs and pages alone: pure parsing, no network (embeds.py
does the fetching and resolves a document's embeds with it).

A Medium embed is an iframe to Medium's proxy, ``<origin>/media/<32-hex id>``. Its target is
read from:

1. the page alone (`target_of_url`, `target_of_thumbnail`): an iframe ``src`` that is not
   the proxy (Apollo's ``iframeSrc``), embed.ly's ``cdn.embedly.com/widgets/media.html?src=…
   &url=…`` unwrapped to its ``url`` (else ``src``), or a YouTube thumbnail;
2. the media page's HTML (`parse_media_page`): a
   ``<script src="https://gist.github.com/<user>/<id>.js">`` is a gist, an ``<iframe src>`` is
   the thing it frames.

A gist's files are listed by its ``.js`` embed (`parse_gist_js`: each file's "view raw" link).
Each provider (YouTube, Vimeo, gists, tweets, pens …) has one matcher that maps its embed URLs
to the canonical page URL.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .codelang import lang_for_filename, normalize_lang

GIST_ORIGIN = "https://gist.github.com"

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


def _soundcloud(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
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


def _instagram(url: str, host: str, segments: list[str], query: _Query) -> Target | None:
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
    _gist,
    _youtube,
    _vimeo,
    _soundcloud,
    _codepen,
    _twitter,
    _instagram,
    _maps,
    _spotify,
)


def offline_target(url: str, thumbnail: str = "") -> Target | None:
    """The target known from the page alone: the embed's URL (when not the proxy), else its
    thumbnail."""
    return target_of_url(url) or target_of_thumbnail(thumbnail)
