"""Medium URL rules: what an input is, canonical form, post id and slug.

Pure string work: no network, no HTML parsing, no files (`shown_source` reads the current
directory's name, nothing else).
"""

from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urljoin, urlunsplit
from urllib.parse import urlsplit as _urlsplit

from .errors import InvalidInput

#: A Medium post id: 8 to 12 lowercase hex characters.
POST_ID_RE = re.compile(r"^[0-9a-f]{8,12}$")
_SLUG_ID_RE = re.compile(r"(?:^|-)([0-9a-f]{8,12})$")
#: Query parameters that only track where a reader came from.
_TRACKING_PARAMS = {
    "source",
    "sk",
    "gi",
    "mc_cid",
    "mc_eid",
    "fbclid",
    "gclid",
    "ref",
    "_branch_match_id",
}
SLUG_MAX = 80


def urlsplit(url: str) -> SplitResult:
    """`urllib.parse.urlsplit`, but a malformed URL (``http://[``) splits as an empty one."""
    try:
        parts = _urlsplit(url)
        parts.hostname  # noqa: B018 - raises for a malformed IPv6 host
    except ValueError:
        return SplitResult("", "", "", "", "")
    return parts


def is_http_url(text: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_url(text: str) -> str:
    """Return the URL stripped of whitespace, or raise `InvalidInput` for any other scheme."""
    url = text.strip()
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https") and "://" in url:
        raise InvalidInput(
            f"{url}: only http(s) URLs and saved .html files can be archived, "
            f"not {parts.scheme}: URLs"
        )
    if not is_http_url(url):
        raise InvalidInput(f"{url}: not an http(s) URL or an existing file")
    return url


def strip_tracking(url: str) -> str:
    """Drop tracking query parameters (``?source=…``, ``utm_*``) and any fragment (``#.xxxx``)."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in _TRACKING_PARAMS and not k.startswith("utm_")
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def canonical_url(url: str) -> str:
    """The canonical form used for comparing and storing post URLs.

    Tracking and fragment removed, scheme and host lowercased, ``http`` upgraded to ``https``,
    trailing slash dropped. Idempotent.
    """
    parts = urlsplit(strip_tracking(url))
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme.lower()
    path = parts.path.rstrip("/") if parts.path != "/" else ""
    return urlunsplit((scheme, parts.netloc.lower(), path, parts.query, ""))


#: What urljoin may rewrite in an absolute http(s) URL: an empty query, fragment or ``;``
#: params it drops, and anything but a plain host and path (user info, spaces, controls).
_JOIN_CHANGES_RE = re.compile(r"[?#;@\[\]\s\\\x00-\x1f]")


def absolute(url: str, base: str) -> str:
    """Resolve a possibly relative URL (``/@user``) against the page URL."""
    if not url:
        return ""
    if url.startswith("//"):
        return "https:" + url
    if not base:
        return url
    if (
        url.startswith(("https://", "http://"))
        and url.partition("://")[2][:1] not in ("", "/")  # a host: else relative to the base
        and not _JOIN_CHANGES_RE.search(url)
    ):
        return url  # what urljoin returns for it (a hot path: every link of every post)
    try:
        return urljoin(base, url)
    except ValueError:
        return ""


def last_segment(url: str) -> str:
    """The last non-empty path segment of a URL."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return segments[-1] if segments else ""


def post_id_from_url(url: str) -> str | None:
    """The post id at the end of a post URL's path, or None.

    Handles ``/@user/slug-ID``, ``/pub/slug-ID``, ``/p/ID``, ``user.medium.com/slug-ID``, custom
    domains, and Medium's own ``medium://p/ID`` app links.
    """
    segment = last_segment(url).lower()
    if not segment:
        return None
    match = _SLUG_ID_RE.search(segment)
    if not match:
        return None
    if match.start(1) == 0 and not POST_ID_RE.match(segment):
        return None
    return match.group(1)


def slugify(text: str) -> str:
    """Lowercased ASCII ``[a-z0-9-]``, words joined by single hyphens, at most 80 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rstrip("-")
    return slug


def slug_from_url(url: str, post_id: str = "") -> str:
    """The URL's slug with the trailing post id removed, or the post id when nothing is left."""
    segment = unquote(last_segment(url))  # a title in another script comes percent-encoded
    pid = post_id or post_id_from_url(url) or ""
    if pid and segment.lower().endswith(pid):
        segment = segment[: -len(pid)]
    if segment in ("p",):
        segment = ""
    return slugify(segment) or pid


def host(url: str) -> str:
    """The lowercased host of a URL, without ``www.``."""
    netloc = urlsplit(url).hostname or ""
    return netloc[4:] if netloc.startswith("www.") else netloc


def shown_source(source: str) -> str:
    """What ``isBasedOnUrl`` publishes for an input: a URL as it is; a local file as its path
    relative to the current directory when it lies inside it (as typed there), else its file
    name alone, so that no absolute local path (``/home/<user>/…``) reaches a public site."""
    if not source or "://" in source:
        return source
    path = os.path.abspath(os.path.expanduser(source))
    try:
        relative = os.path.relpath(path, os.getcwd())
    except (OSError, ValueError):  # no current directory, or another drive (Windows)
        relative = ""
    if relative and relative != os.curdir and relative.split(os.sep)[0] != os.pardir:
        return relative.replace(os.sep, "/")
    return os.path.basename(path) or source
