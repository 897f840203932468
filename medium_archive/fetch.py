"""The network: fetching, and turning a response into a value or a domain error.

With session.py (how the session is built and paced) and cookies.py this is the network layer,
the only code that imports requests. This module turns a response into a small value (``Page``
for HTML and feeds, ``Blob`` for images, text for a gist) or into one of the domain errors
(``FetchError``, ``PostGone``, ``Blocked``) with a one-line message, each download within its
deadline. Bodies are decoded by decode.py. It never parses HTML and never writes files.

The session's public names (`make_session`, `HostLimiter`, `load_cookies` …) are re-exported
here: callers need only this module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3.exceptions as u3
from urllib3.util.retry import Retry

from .challenge import is_challenge_page
from .cookies import load_cookies as load_cookies
from .decode import decode_body, decode_text
from .errors import Blocked, FetchError, PostGone
from .session import DEFAULT_USER_AGENT as DEFAULT_USER_AGENT
from .session import (
    HTML_ACCEPT,
    MAX_REDIRECTS,
    DeadlinePassed,
    current_deadline,
    deadline_for,
    download_deadline,
    hostname,
    is_challenge_header,
)
from .session import HostLimiter as HostLimiter
from .session import PoliteRetry as PoliteRetry
from .session import make_session as make_session

FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,"
    "text/html;q=0.5,*/*;q=0.1"
)
IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
JSON_ACCEPT = "application/json"
#: A gist's .js embed or raw file (embeds.py).
TEXT_ACCEPT = "text/plain,application/javascript,text/javascript;q=0.9,*/*;q=0.5"

#: Seconds to connect and seconds of silence while reading, per request; the whole download
#: is bounded by its deadline (session.DEFAULT_DEADLINE).
DEFAULT_TIMEOUT: tuple[float, float] = (10, 30)
MAX_BYTES = 10 * 1024 * 1024

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset(
    {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml"}
)
_CHALLENGE_STATUSES = frozenset({403, 429, 503})
_GONE_STATUSES = frozenset({404, 410})
_CHUNK = 64 * 1024
#: How much of an error page (403/429/503) is read to look for a challenge.
_CHALLENGE_SCAN_BYTES = 256 * 1024


@dataclass(frozen=True)
class Page:
    """An HTML page (or feed) as fetched: ``text`` is empty when ``not_modified`` (HTTP 304).

    Fetched with ``decode=False``, ``text`` is empty and ``raw`` holds the undecoded body: a
    worker process then makes the text with `page_text` (decoding and the bot-challenge check
    are CPU work that need not run where the page was fetched).
    """

    url: str
    final_url: str
    status: int
    text: str
    headers: dict[str, str]
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    raw: bytes = b""


@dataclass(frozen=True)
class Blob:
    """A binary resource (an image) as fetched: ``data`` is empty when ``not_modified``."""

    url: str
    final_url: str
    status: int
    content_type: str
    data: bytes
    headers: dict[str, str]
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


# --- fetching ---------------------------------------------------------------------------------


def fetch_page(
    session: requests.Session,
    url: str,
    *,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_BYTES,
    etag: str | None = None,
    last_modified: str | None = None,
    accept_xml: bool = False,
    decode: bool = True,
    deadline: float | None = None,
) -> Page:
    """Fetch an HTML page (or, with ``accept_xml``, an RSS/Atom feed) as decoded text.

    Raises ``PostGone`` (404/410), ``Blocked`` (Cloudflare bot check) or ``FetchError``. With
    ``decode=False`` the body is left undecoded in ``Page.raw`` and unchecked for a bot
    challenge: `page_text` does both, and raises the same ``Blocked``. The whole download takes
    at most ``deadline`` seconds (default: the session's, else `DEFAULT_DEADLINE`).
    """
    accept = FEED_ACCEPT if accept_xml else HTML_ACCEPT
    with (
        _translated_errors(url, timeout, deadline_for(session, deadline)),
        _get(session, url, accept, timeout, etag, last_modified) as response,
    ):
        headers = _lowered(response)
        if response.status_code == 304:
            etag_304, modified_304 = _validators(headers, etag)
            return Page(url, response.url, 304, "", headers, etag_304, modified_304, True)
        _check_status(url, response, max_bytes)
        content_type = headers.get("content-type", "")
        _check_content_type(url, content_type, accept_xml)
        data = _read_body(url, response, max_bytes)
    new_etag, new_modified = _validators(headers)
    status = response.status_code
    page = Page(url, response.url, status, "", headers, new_etag, new_modified, raw=data)
    return dataclasses.replace(page, text=page_text(page), raw=b"") if decode else page


def page_text(page: Page) -> str:
    """The text of a page: ``text``, or ``raw`` decoded; ``Blocked`` if it is a bot challenge."""
    if not page.raw:
        return page.text
    text = decode_body(page.raw, page.headers.get("content-type", ""))
    if is_challenge_page(text):
        raise _blocked(page.url, page.status)
    return text


def fetch_bytes(
    session: requests.Session,
    url: str,
    *,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_BYTES,
    etag: str | None = None,
    last_modified: str | None = None,
    deadline: float | None = None,
    redirect_refusal: Callable[[str], str] | None = None,
) -> Blob:
    """Fetch a binary resource (an image); the caller checks ``content_type``.

    Same errors and ``deadline`` as ``fetch_page``; an HTML challenge page in place of the
    image is ``Blocked``. ``redirect_refusal(target)``, when given, is asked before each redirect
    is followed: a non-empty answer (why not) ends the fetch with a ``FetchError``.
    """
    hooks = _redirect_hooks(url, redirect_refusal) if redirect_refusal is not None else None
    with (
        _translated_errors(url, timeout, deadline_for(session, deadline)),
        _get(session, url, IMAGE_ACCEPT, timeout, etag, last_modified, hooks) as response,
    ):
        headers = _lowered(response)
        content_type = headers.get("content-type", "")
        if response.status_code == 304:
            etag_304, modified_304 = _validators(headers, etag)
            return Blob(
                url, response.url, 304, content_type, b"", headers, etag_304, modified_304, True
            )
        _check_status(url, response, max_bytes)
        data = _read_body(url, response, max_bytes)
    if _media_type(content_type) in HTML_TYPES and is_challenge_page(
        decode_body(data, content_type)
    ):
        raise _blocked(url, response.status_code)
    new_etag, new_modified = _validators(headers)
    return Blob(
        url, response.url, response.status_code, content_type, data, headers, new_etag, new_modified
    )


def post_json(
    session: requests.Session,
    url: str,
    payload: Any,
    *,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> Blob:
    """POST ``payload`` as JSON (a read-only GraphQL query) and return the answer undecoded.

    Paced, retried and told Retry-After like every request of the session. Raises `Blocked`
    for a bot challenge (by header, or an HTML challenge page in any status) and `FetchError`
    for an HTTP error or a network failure; the caller checks that the body is the JSON it wants.
    """
    body = json.dumps(payload).encode("utf-8")
    headers = {"Accept": JSON_ACCEPT, "Content-Type": "application/json"}
    with _translated_errors(url, timeout, deadline_for(session, None)):
        response = session.post(url, data=body, headers=headers, timeout=timeout, stream=True)
        try:
            headers_in = _lowered(response)
            content_type = headers_in.get("content-type", "")
            status = response.status_code
            if is_challenge_header(response.headers.get("cf-mitigated")):
                raise _blocked(url, status)
            data = _read_head(response, max_bytes) if status >= 400 else b""
            if status < 400:
                data = _read_body(url, response, max_bytes)
        finally:
            response.close()
    html_or_refused = _media_type(content_type) in HTML_TYPES or status in _CHALLENGE_STATUSES
    if html_or_refused and is_challenge_page(decode_body(data[:_CHALLENGE_SCAN_BYTES])):
        raise _blocked(url, status)
    if status >= 400:
        raise _http_error(url, response)
    return Blob(url, response.url, status, content_type, data, headers_in)


def fetch_text(
    session: requests.Session,
    url: str,
    *,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> str:
    """Fetch a text resource of any type (a gist's ``.js`` embed, a raw gist file), decoded
    with the header's charset, else UTF-8. Same errors as ``fetch_page``."""
    with (
        _translated_errors(url, timeout, deadline_for(session, None)),
        _get(session, url, TEXT_ACCEPT, timeout, None, None) as response,
    ):
        _check_status(url, response, max_bytes)
        data = _read_body(url, response, max_bytes)
        content_type = response.headers.get("content-type", "")
    return decode_text(data, content_type)


@contextmanager
def _get(
    session: requests.Session,
    url: str,
    accept: str,
    timeout: float | tuple[float, float],
    etag: str | None,
    last_modified: str | None,
    hooks: dict[str, Any] | None = None,
) -> Iterator[requests.Response]:
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        response = session.get(url, headers=headers, timeout=timeout, stream=True, hooks=hooks)
    except ValueError as exc:  # urllib.parse rejects some URLs before requests sees them
        if isinstance(exc, requests.RequestException):
            raise
        raise requests.exceptions.InvalidURL(str(exc)) from exc
    try:
        yield response
    finally:
        if response.status_code in (204, 304):
            # No body to read: reading the empty one lets urllib3 keep the connection alive for
            # the next request instead of dropping it (a 304-only sync reuses one connection).
            with contextlib.suppress(requests.RequestException):
                response.content  # noqa: B018
        response.close()


def _redirect_hooks(url: str, refusal: Callable[[str], str]) -> dict[str, Any]:
    """A requests ``response`` hook that refuses a redirect to a target ``refusal`` names."""

    def check(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        if response.is_redirect:
            target = urljoin(response.url, response.headers.get("location", ""))
            why = refusal(target)
            if why:
                response.close()
                raise FetchError(f"{url}: redirected to {target}: {why}", url=url)
        return response

    return {"response": [check]}


def _lowered(response: requests.Response) -> dict[str, str]:
    return {key.lower(): value for key, value in response.headers.items()}


def _validators(headers: dict[str, str], etag: str | None = None) -> tuple[str | None, str | None]:
    """The response's ETag and Last-Modified (a 304 may omit the ETag: keep the one we sent)."""
    return headers.get("etag") or etag, headers.get("last-modified")


def _check_status(url: str, response: requests.Response, max_bytes: int) -> None:
    status = response.status_code
    if is_challenge_header(response.headers.get("cf-mitigated")):
        raise _blocked(url, status)
    if status in _GONE_STATUSES:
        raise PostGone(
            f"{url}: HTTP {status} {_reason(response)}: the post was deleted or the URL is wrong",
            url=url,
            status=status,
        )
    if status < 400:
        return
    if status in _CHALLENGE_STATUSES:
        head = _read_head(response, min(max_bytes, _CHALLENGE_SCAN_BYTES))
        if is_challenge_page(decode_body(head, response.headers.get("content-type", ""))):
            raise _blocked(url, status)
    raise _http_error(url, response)


def _http_error(url: str, response: requests.Response) -> FetchError:
    """The error for an HTTP error status, saying how often it was tried and what to do."""
    status = response.status_code
    attempts = _attempts(response)
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    return FetchError(
        f"{url}: HTTP {status} {_reason(response)}{tried}; {_status_hint(status)}",
        url=url,
        status=status,
    )


def _status_hint(status: int) -> str:
    if status == 429:
        return "the site asks us to slow down: wait a few minutes and retry with fewer workers"
    if status >= 500:
        return "the server is having trouble: try again later"
    if status in (401, 403):
        return (
            "access was refused: open the post in a browser, save the page (Ctrl+S) and "
            "archive the saved .html file"
        )
    return "check the URL"


def _check_content_type(url: str, content_type: str, accept_xml: bool) -> None:
    media = _media_type(content_type)
    if not media or media in HTML_TYPES:
        return
    if accept_xml and (media in XML_TYPES or media.endswith("+xml")):
        return
    wanted = "an HTML page or an RSS/Atom feed" if accept_xml else "an HTML page"
    raise FetchError(
        f"{url}: expected {wanted} but the server sent {media!r}; check that the URL is a post",
        url=url,
    )


def _read_body(url: str, response: requests.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(url, f"is {_size(int(declared))}", max_bytes)
    chunks: list[bytes] = []
    total = 0
    deadline = current_deadline()
    for chunk in response.iter_content(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(url, f"is more than {_size(total)} (stopped reading)", max_bytes)
        chunks.append(chunk)
        if deadline is not None and deadline.expired:
            break
    if deadline is not None and deadline.expired:  # the body may look complete: it is cut
        raise DeadlinePassed(f"the {deadline.seconds:g} s deadline passed")
    return b"".join(chunks)


def _read_head(response: requests.Response, limit: int) -> bytes:
    """Up to about ``limit`` bytes of the body (an error page), never failing on size."""
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_content(_CHUNK):
        chunks.append(chunk)
        total += len(chunk)
        if total >= limit:
            break
    return b"".join(chunks)


def _too_large(url: str, size: str, max_bytes: int) -> FetchError:
    return FetchError(
        f"{url}: the response {size}, over the {_size(max_bytes)} limit; "
        "check the URL: no Medium page or image comes near that size",
        url=url,
    )


def _size(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n:,} bytes"
    return f"{n / (1024 * 1024):.1f} MB"


def _blocked(url: str, status: int) -> Blocked:
    return Blocked(
        f"{url}: blocked by Cloudflare's bot check (HTTP {status}); open the post in a browser, "
        "save the page (Ctrl+S) and archive the saved .html file, or pass the browser's "
        "cookies and user agent (--cookies cookies.txt --user-agent UA)",
        url=url,
        status=status,
    )


def _reason(response: requests.Response) -> str:
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason or "error"


def _attempts(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return len(retries.history) + 1 if isinstance(retries, Retry) else 1


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


# --- errors -----------------------------------------------------------------------------------


@contextmanager
def _translated_errors(
    url: str, timeout: float | tuple[float, float], deadline: float = math.inf
) -> Iterator[None]:
    """Run one download within ``deadline`` seconds in all; turn requests/urllib3 exceptions
    into a ``FetchError`` with a one-line message."""
    with download_deadline(deadline) as watch:
        started = time.monotonic()
        try:
            yield
        except (requests.RequestException, u3.HTTPError) as exc:
            if watch.expired or any(isinstance(e, DeadlinePassed) for e in _causes(exc)):
                raise FetchError(_deadline_message(url, deadline), url=url) from exc
            elapsed = time.monotonic() - started
            raise FetchError(describe_error(url, exc, timeout, elapsed), url=url) from exc


def _deadline_message(url: str, seconds: float) -> str:
    return (
        f"{url}: the download did not finish within its {seconds:g} s deadline (the server is "
        "too slow or sends its answer a little at a time); try again later"
    )


def describe_error(
    url: str, exc: BaseException, timeout: float | tuple[float, float], elapsed: float = 0.0
) -> str:
    """One line saying what went wrong with a request and what to do (``elapsed``: the seconds
    the whole download took, retries included, when known)."""
    chain = _causes(exc)

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    connect_s, read_s = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    where = hostname(url) or url
    if has(requests.exceptions.TooManyRedirects):
        return f"{url}: more than {MAX_REDIRECTS} redirects; open it in a browser to check"
    if has(
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        requests.exceptions.URLRequired,
    ):
        return f"{url}: not a valid http(s) URL; check it"
    if has(u3.NameResolutionError, socket.gaierror):
        return f"{url}: cannot resolve the host name {where}; check the URL and your connection"
    if has(ConnectionRefusedError):
        return f"{url}: connection refused by {where}; check the URL or try again later"
    if has(ssl.SSLError, u3.SSLError, requests.exceptions.SSLError):
        return f"{url}: secure connection (TLS) failed; check the URL and your certificates"
    if has(u3.ReadTimeoutError, requests.exceptions.ReadTimeout):
        if elapsed > 1.5 * read_s:  # retried: say what it really cost
            return (
                f"{url}: timed out: no answer within {read_s:g} s, on every attempt "
                f"({elapsed:.0f} s in all); try again later"
            )
        return f"{url}: timed out: no answer within {read_s:g} s; try again later"
    if any(
        isinstance(e, u3.ConnectTimeoutError) and not isinstance(e, u3.NewConnectionError)
        for e in chain
    ) or has(requests.exceptions.ConnectTimeout, TimeoutError):
        return f"{url}: timed out connecting to {where} (limit {connect_s:g} s); try again later"
    if has(u3.NewConnectionError):
        return f"{url}: cannot connect to {where}; check the URL and your connection"
    if has(requests.exceptions.ContentDecodingError, u3.DecodeError):
        return f"{url}: the server sent a body that cannot be decompressed; try again later"
    if has(requests.exceptions.ChunkedEncodingError, u3.ProtocolError, ConnectionError):
        return f"{url}: the connection broke off during the transfer; try again later"
    return f"{url}: request failed ({type(exc).__name__}); try again later"


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps (args, ``reason``, ``__cause__``, ``__context__``)."""
    seen: set[int] = set()
    found: list[BaseException] = []
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
        stack.extend(link for link in (current.__cause__, current.__context__) if link)
    return found
