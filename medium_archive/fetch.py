"""The network: the one module that imports requests.

Owns the HTTP session (browser-like headers, urllib3 retries with backoff, connection pool),
per-host politeness shared by all worker threads (``HostLimiter``), and turning a response into a
small value (``Page`` for HTML and feeds, ``Blob`` for images) or into one of the domain errors
(``FetchError``, ``PostGone``, ``Blocked``) with a one-line message. It never parses HTML and never
writes files.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import http.cookiejar
import io
import json
import math
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from .challenge import is_challenge_page
from .errors import Blocked, CookieFileError, FetchError, PostGone

if TYPE_CHECKING:
    from bs4.dammit import EncodingDetector
    from requests.sessions import _Settings
    from typing_extensions import Self

TOOL_NAME = "medium-archive"
#: A current desktop Chrome string plus our name, so sites see a browser and admins see who we are.
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    f"Chrome/126.0.0.0 Safari/537.36 {TOOL_NAME}"
)
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,"
    "text/html;q=0.5,*/*;q=0.1"
)
IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
JSON_ACCEPT = "application/json"
#: A gist's .js embed or raw file (embeds.py).
TEXT_ACCEPT = "text/plain,application/javascript,text/javascript;q=0.9,*/*;q=0.5"

DEFAULT_TIMEOUT: tuple[float, float] = (10, 30)
#: The longest one download (a page, a feed, an image) may take in all, from its first byte
#: sent: retries, redirects and the body included. ``DEFAULT_TIMEOUT`` bounds each silence; this
#: bounds a server that drips a byte at a time. Set per session (``make_session(deadline=…)``)
#: or per call.
DEFAULT_DEADLINE = 60.0
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 10
#: Statuses urllib3 retries (with backoff, honouring Retry-After).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The longest Retry-After we honour; longer ones are cut to this so a batch never hangs for hours.
MAX_RETRY_AFTER = 120.0

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset(
    {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml"}
)
_CHALLENGE_STATUSES = frozenset({403, 429, 503})
_GONE_STATUSES = frozenset({404, 410})
_CHUNK = 64 * 1024
#: How much of an error page (403/429/503) is read to look for a challenge.
_CHALLENGE_SCAN_BYTES = 256 * 1024

#: Labels browsers decode as windows-1252 (WHATWG Encoding Standard), not as Latin-1.
_WINDOWS_1252_LABELS = frozenset(
    {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"}
)


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


# --- politeness -------------------------------------------------------------------------------


class HostLimiter:
    """Per-host pacing shared by every thread using one session.

    ``wait(host)`` blocks until a request to ``host`` may start: at most ``rate`` starts per second
    per host, across all threads. ``penalize(host, seconds)`` holds every worker for that host
    (a 429 or Retry-After seen by one worker slows all of them). ``rate=math.inf`` only applies
    penalties.
    """

    def __init__(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be more than 0 requests per second, not {rate!r}")
        self.rate = rate
        self._interval = 0.0 if math.isinf(rate) else 1.0 / rate
        self._lock = threading.Lock()
        self._next_start: dict[str, float] = {}

    def wait(self, host: str) -> float:
        """Block until a request to ``host`` may start; return the seconds waited."""
        key = _host_key(host)
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                start = self._next_start.get(key, now)
                if start <= now:
                    self._next_start[key] = now + self._interval
                    return waited
                delay = start - now
            # Re-checked after sleeping: a penalty may have arrived meanwhile.
            time.sleep(delay)
            waited += delay

    def penalize(self, host: str, seconds: float) -> None:
        """Hold every request to ``host`` until ``seconds`` from now (never shortens a wait)."""
        if seconds <= 0:
            return
        key = _host_key(host)
        with self._lock:
            until = time.monotonic() + seconds
            self._next_start[key] = max(self._next_start.get(key, until), until)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _hostname(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _host_key(host: str) -> str:
    key = host.strip("[]").lower()
    return key[4:] if key.startswith("www.") else key


class _DeadlinePassed(u3.TimeoutError):
    """The download's total deadline passed (raised inside urllib3, so it ends the retries)."""


class _Deadline:
    """The total time one download may take, from its first request to its last byte.

    Started by the first request of the download (time spent queueing for the host limiter
    before it does not count). When it passes, a timer shuts down the sockets of the download's
    requests, so a read blocked on a dripping server ends at once; `PoliteRetry` then gives up.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.started = 0.0
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._timer: threading.Timer | None = None
        self._finished = False

    def remaining(self) -> float:
        if not self.started:
            return self.seconds
        return self.seconds - (time.monotonic() - self.started)

    def attach(self, conn: Any) -> None:
        """A request of this download is about to use ``conn``: start the clock, watch it."""
        with self._lock:
            if self.expired:
                raise _DeadlinePassed(f"the {self.seconds:g} s deadline passed")
            self._connections.append(conn)
            if self._timer is None and not math.isinf(self.seconds):
                self.started = time.monotonic()
                self._timer = threading.Timer(self.seconds, self.expire)
                self._timer.daemon = True
                self._timer.start()

    def expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            for conn in self._connections:
                sock = getattr(conn, "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        with self._lock:
            self._finished = True
            self._connections.clear()
            if self._timer is not None:
                self._timer.cancel()


#: The deadline of the download this thread is running, if any.
_current = threading.local()


def _current_deadline() -> _Deadline | None:
    deadline: _Deadline | None = getattr(_current, "deadline", None)
    return deadline


class _DeadlineMixin:
    """Connection pools that show each connection they use to the thread's `_Deadline`."""

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = _current_deadline()
        if deadline is not None:
            deadline.attach(conn)
        return super()._make_request(conn, *args, **kwargs)  # type: ignore[misc]


class _HTTPPool(_DeadlineMixin, HTTPConnectionPool):
    pass


class _HTTPSPool(_DeadlineMixin, HTTPSConnectionPool):
    pass


class PoliteRetry(Retry):
    """urllib3 ``Retry`` that reports 429 / Retry-After to a ``HostLimiter`` and waits through it.

    ``increment`` penalizes the host (so all workers back off) and does not retry a Cloudflare
    challenge; ``sleep`` waits for the limiter, so every retry is paced like a first request.
    ``new()`` (used by urllib3 for every copy) carries ``limiter`` and ``host`` along.
    """

    def __init__(
        self, *args: Any, limiter: HostLimiter | None = None, host: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limiter = limiter
        self.host = host

    def new(self, **kw: Any) -> Self:
        kw.setdefault("limiter", self.limiter)
        kw.setdefault("host", self.host)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        host = (_pool.host if _pool is not None else None) or self.host
        deadline = _current_deadline()
        if deadline is not None and deadline.expired:  # no retry past the deadline
            passed = _DeadlinePassed(f"the {deadline.seconds:g} s deadline passed")
            raise u3.MaxRetryError(_pool, url or "", passed)  # type: ignore[arg-type]
        if response is not None:
            if _is_challenge_header(response.headers.get("cf-mitigated")):
                # Retrying a bot check only annoys it; urllib3 returns this response as final.
                reason = u3.ResponseError("bot challenge, not retried")
                raise u3.MaxRetryError(_pool, url or "", reason)  # type: ignore[arg-type]
            if self.limiter is not None and host:
                self.limiter.penalize(host, self._penalty(response))
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        new.host = host
        return new

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            seconds = super().get_retry_after(response)
        except u3.InvalidHeader:
            return None
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        deadline = _current_deadline()
        if deadline is not None:
            wait = self.get_backoff_time()
            if response is not None and self.respect_retry_after_header:
                wait = max(wait, self.get_retry_after(response) or 0.0)
            if wait >= deadline.remaining():  # the retry could not finish in time
                deadline.expire()
                reason = _DeadlinePassed(f"the {deadline.seconds:g} s deadline would pass")
                raise u3.MaxRetryError(None, self.host, reason)  # type: ignore[arg-type]
        if self.limiter is None:
            super().sleep(response)
            return
        told = response is not None and self.respect_retry_after_header
        if not (told and response is not None and self.get_retry_after(response)):
            time.sleep(self.get_backoff_time())  # this worker's own backoff
        self.limiter.wait(self.host)  # includes any penalty increment() recorded

    def _penalty(self, response: BaseHTTPResponse) -> float:
        """Seconds every worker for this host should hold off after ``response``."""
        if self.respect_retry_after_header:
            retry_after = self.get_retry_after(response)
            if retry_after:
                return retry_after
        if response.status == 429:
            return float(min(self.backoff_factor * 2 ** len(self.history), self.backoff_max))
        return 0.0


class _PoliteAdapter(HTTPAdapter):
    """Sends every request (each redirect hop too) through the retry's ``HostLimiter``, over
    connection pools that answer to the download's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        retry = self.max_retries
        if isinstance(retry, PoliteRetry) and retry.limiter is not None:
            retry.limiter.wait(_hostname(request.url or ""))
        return super().send(request, *args, **kwargs)


def _cookie_policy() -> http.cookiejar.CookiePolicy:
    """As browsers do: a cookie set without a domain (a "host-only" cookie: FALSE in the second
    column of cookies.txt) goes to its own host only, not to that host's subdomains too."""
    strict = http.cookiejar.DefaultCookiePolicy.DomainStrictNonDomain
    return http.cookiejar.DefaultCookiePolicy(strict_ns_domain=strict)


class _Session(requests.Session):
    """A `requests.Session` that reads the environment's proxy and CA settings once per host.

    requests looks them up on every request (``HTTP_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``
    …), about a millisecond each time; a batch of thousands of posts asks the same few hosts, and
    the environment does not change while it runs.
    """

    def __init__(self) -> None:
        super().__init__()
        #: Seconds one download may take in all (see `DEFAULT_DEADLINE`); ``math.inf``: none.
        self.deadline = DEFAULT_DEADLINE
        self._environment: dict[tuple[Any, ...], _Settings] = {}
        self._environment_lock = threading.Lock()

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """The request, its cookies chosen by `_cookie_policy` (requests merges the session's
        cookies into a jar of its own, with the lax default policy, for the request and its
        redirects: that jar gets the strict policy and the Cookie header is made again)."""
        prepared = super().prepare_request(request)
        jar = getattr(prepared, "_cookies", None)  # the jar the request and its redirects use
        if isinstance(jar, http.cookiejar.CookieJar) and len(jar):
            jar.set_policy(_cookie_policy())
            prepared.headers.pop("Cookie", None)
            prepared.prepare_cookies(jar)
        return prepared

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if proxies or not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port, stream, verify, cert)
        with self._environment_lock:
            settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            with self._environment_lock:
                self._environment[key] = settings
        merged = settings.copy()
        merged["proxies"] = dict(settings["proxies"])
        return merged


def make_session(
    *,
    user_agent: str = DEFAULT_USER_AGENT,
    retries: int = 3,
    backoff: float = 0.5,
    pool_size: int = 10,
    limiter: HostLimiter | None = None,
    cookies: http.cookiejar.CookieJar | None = None,
    deadline: float | None = None,
) -> requests.Session:
    """A session for fetching Medium: browser-like headers, retries with backoff, pooling.

    Share one session (and so one ``limiter``) between the worker threads of a batch;
    ``pool_size`` should be at least the number of workers. Without a ``limiter`` requests are
    not paced, but a 429 / Retry-After still holds back every thread using this session.
    ``cookies`` (from `load_cookies`) are sent only to the hosts and paths they belong to.
    ``deadline``: the seconds one download may take in all (`DEFAULT_DEADLINE`).
    """
    retry = PoliteRetry(
        total=retries,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        # POST too: the only POSTs are read-only GraphQL queries (`post_json`), safe to repeat.
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        limiter=limiter if limiter is not None else HostLimiter(math.inf),
    )
    adapter = _PoliteAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=retry)
    session = _Session()
    session.deadline = DEFAULT_DEADLINE if deadline is None else deadline
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.max_redirects = MAX_REDIRECTS
    session.headers.update(
        {"User-Agent": user_agent, "Accept": HTML_ACCEPT, "Accept-Language": "en-US,en;q=0.9"}
    )
    session.cookies.set_policy(_cookie_policy())
    if cookies is not None:
        session.cookies.update(cookies)  # copies each cookie with its domain, path and flags
    return session


# --- cookies ----------------------------------------------------------------------------------

_NETSCAPE_HEADER = "# Netscape HTTP Cookie File\n"
_HTTPONLY_PREFIX = "#HttpOnly_"


def load_cookies(path: str) -> http.cookiejar.MozillaCookieJar:
    """The cookies of a Netscape ``cookies.txt`` file (what browser cookie-export extensions,
    curl and yt-dlp write), read by the standard library's `MozillaCookieJar`.

    Lenient where exporters differ: the header line may be missing, lines may end in CRLF, a
    domain's "include subdomains" flag may disagree with its leading dot, and an expiry of 0
    means a session cookie (sent, not expired). Raises `CookieFileError` with a one-line message
    that names the file and a line number, never a cookie's name or value.
    """
    where = f"--cookies {path}"
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            text = fh.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise CookieFileError(f"{where}: a folder, not a cookies.txt file") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CookieFileError(f"{where}: cannot read the file ({reason})") from None
    if len(text) > MAX_BYTES:
        raise CookieFileError(f"{where}: over {_size(MAX_BYTES)}; not a cookies.txt file")
    lines = [_NETSCAPE_HEADER]
    for number, line in enumerate(text.splitlines(), start=1):
        fixed = _cookie_line(line, number, where)
        if fixed:
            lines.append(fixed + "\n")
    if len(lines) == 1:
        raise CookieFileError(
            f"{where}: holds no cookies; export them in the Netscape cookies.txt format"
        )
    jar = http.cookiejar.MozillaCookieJar()
    try:
        # The documented load() takes only a file name; this is what it runs on the open file.
        # Its warning on an unexpected error would print a traceback: the error says it all.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jar._really_load(  # type: ignore[attr-defined]
                io.StringIO("".join(lines)), path, True, True
            )
    except (http.cookiejar.LoadError, ValueError) as exc:  # never show the line: a secret
        raise CookieFileError(f"{where}: not a valid Netscape cookies.txt file") from exc
    for cookie in jar:
        if cookie.expires == 0:  # exporters write 0 for a browser-session cookie
            cookie.expires = None
            cookie.discard = True
    return jar


def _cookie_line(line: str, number: int, where: str) -> str:
    """One line of a cookies file made regular for `MozillaCookieJar`, or "" to skip it."""
    stripped = line.strip()
    if not stripped or (stripped.startswith("#") and not stripped.startswith(_HTTPONLY_PREFIX)):
        return ""
    prefix = ""
    body = line.rstrip("\r\n")
    if body.startswith(_HTTPONLY_PREFIX):
        prefix, body = _HTTPONLY_PREFIX, body[len(_HTTPONLY_PREFIX) :]
    fields = body.split("\t")
    if len(fields) != 7:
        hint = (
            "a JSON cookie export? export in the Netscape cookies.txt format"
            if stripped[:1] in "[{"
            else "a cookie line has 7 tab-separated fields"
        )
        raise CookieFileError(f"{where}: line {number} is not a cookie line ({hint})")
    domain, _flag, path, secure, expires, name, value = fields
    if not domain.strip() or not path.startswith("/"):
        raise CookieFileError(f"{where}: line {number} has no domain or no path")
    expires = expires.strip()
    whole = expires.split(".", 1)[0].lstrip("-")
    if expires and not (whole.isdigit() and len(whole) <= 15):
        raise CookieFileError(f"{where}: line {number} has an expiry that is not a number")
    flag = "TRUE" if domain.startswith(".") else "FALSE"
    secure = "TRUE" if secure.strip().upper() == "TRUE" else "FALSE"
    return prefix + "\t".join((domain.strip(), flag, path, secure, expires, name, value))


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
        _translated_errors(url, timeout, _deadline_for(session, deadline)),
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
        _translated_errors(url, timeout, _deadline_for(session, deadline)),
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
    with _translated_errors(url, timeout, _deadline_for(session, None)):
        response = session.post(url, data=body, headers=headers, timeout=timeout, stream=True)
        try:
            headers_in = _lowered(response)
            content_type = headers_in.get("content-type", "")
            status = response.status_code
            if _is_challenge_header(response.headers.get("cf-mitigated")):
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
        attempts = _attempts(response)
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        raise FetchError(
            f"{url}: HTTP {status} {_reason(response)}{tried}; {_status_hint(status)}",
            url=url,
            status=status,
        )
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
        _translated_errors(url, timeout, _deadline_for(session, None)),
        _get(session, url, TEXT_ACCEPT, timeout, None, None) as response,
    ):
        _check_status(url, response, max_bytes)
        data = _read_body(url, response, max_bytes)
        content_type = response.headers.get("content-type", "")
    if data[:3] == codecs.BOM_UTF8:
        data = data[3:]
    return data.decode(_usable_encoding(_header_charset(content_type)) or "utf-8", errors="replace")


def decode_body(data: bytes, content_type: str = "") -> str:
    """Decode an HTML/XML body: BOM, else header charset, else ``<meta>``/``<?xml>``, else UTF-8.

    A BOM is checked first because it is unambiguous (the WHATWG order); Latin-1 labels decode as
    windows-1252 as browsers do; undecodable bytes become U+FFFD instead of failing. The BOM and
    the declared encoding are found by Beautiful Soup's `EncodingDetector`, imported only for a
    body that may start with a BOM or comes without a charset header (so a batch of pages
    served with one, the usual case, never loads Beautiful Soup).
    """
    if data[:1] in _BOM_LEADS:
        data, bom_encoding = _encoding_detector().strip_byte_order_mark(data)
        if bom_encoding:
            return data.decode(bom_encoding, errors="replace")
    encoding = _usable_encoding(_header_charset(content_type))
    if not encoding:
        declared = _encoding_detector().find_declared_encoding(data, is_html=True)
        encoding = _usable_encoding(declared) or "utf-8"
    return data.decode(encoding, errors="replace")


#: First bytes of the byte-order marks Beautiful Soup knows (UTF-8, UTF-16 and UTF-32).
_BOM_LEADS = (b"\xef", b"\xfe", b"\xff", b"\x00")


def _encoding_detector() -> type[EncodingDetector]:
    from bs4.dammit import EncodingDetector  # noqa: PLC0415 - a costly import, rarely needed

    return EncodingDetector


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
    if _is_challenge_header(response.headers.get("cf-mitigated")):
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
    attempts = _attempts(response)
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    raise FetchError(
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
    deadline = _current_deadline()
    for chunk in response.iter_content(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(url, f"is more than {_size(total)} (stopped reading)", max_bytes)
        chunks.append(chunk)
        if deadline is not None and deadline.expired:
            break
    if deadline is not None and deadline.expired:  # the body may look complete: it is cut
        raise _DeadlinePassed(f"the {deadline.seconds:g} s deadline passed")
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


def _is_challenge_header(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "challenge"


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


def _header_charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return None


def _usable_encoding(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when it is missing or unknown."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# --- errors -----------------------------------------------------------------------------------


def _deadline_for(session: Any, seconds: float | None) -> float:
    if seconds is None:
        seconds = getattr(session, "deadline", DEFAULT_DEADLINE)
    return float(seconds) if seconds and seconds > 0 else math.inf


@contextmanager
def _translated_errors(
    url: str, timeout: float | tuple[float, float], deadline: float = math.inf
) -> Iterator[None]:
    """Run one download within ``deadline`` seconds in all; turn requests/urllib3 exceptions
    into a ``FetchError`` with a one-line message."""
    watch = _Deadline(deadline)
    outer = _current_deadline()
    _current.deadline = watch
    started = time.monotonic()
    try:
        yield
    except (requests.RequestException, u3.HTTPError) as exc:
        if watch.expired or any(isinstance(e, _DeadlinePassed) for e in _causes(exc)):
            raise FetchError(_deadline_message(url, deadline), url=url) from exc
        elapsed = time.monotonic() - started
        raise FetchError(describe_error(url, exc, timeout, elapsed), url=url) from exc
    finally:
        watch.finish()
        _current.deadline = outer


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
    where = _hostname(url) or url
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
