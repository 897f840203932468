"""The HTTP session and its politeness: the part of the network layer that decides how and
when a request goes out, never what is done with the answer (fetch.py).

Owns `make_session` (browser-like headers, urllib3 retries with backoff, connection pool,
cookies sent as browsers do), per-host pacing shared by all worker threads (`HostLimiter`,
`PoliteRetry`), and the per-download deadline (`download_deadline`): a timer that shuts down
the sockets of a download that took too long in all.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from requests.sessions import _Settings
    from typing_extensions import Self

TOOL_NAME = "medium-archive"
#: A current desktop Chrome string plus our name, so sites see a browser and admins see who we are.
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    f"Chrome/126.0.0.0 Safari/537.36 {TOOL_NAME}"
)
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: The longest one download (a page, a feed, an image) may take in all, from its first byte
#: sent: retries, redirects and the body included. ``fetch.DEFAULT_TIMEOUT`` bounds each
#: silence; this bounds a server that drips a byte at a time. Set per session
#: (``make_session(deadline=…)``) or per call.
DEFAULT_DEADLINE = 60.0
MAX_REDIRECTS = 10
#: Statuses urllib3 retries (with backoff, honouring Retry-After).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The longest Retry-After we honour; longer ones are cut to this so a batch never hangs for hours.
MAX_RETRY_AFTER = 120.0


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


def hostname(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _host_key(host: str) -> str:
    key = host.strip("[]").lower()
    return key[4:] if key.startswith("www.") else key


# --- the download's deadline ------------------------------------------------------------------


class DeadlinePassed(u3.TimeoutError):
    """The download's total deadline passed (raised inside urllib3, so it ends the retries)."""


class Deadline:
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
                raise DeadlinePassed(f"the {self.seconds:g} s deadline passed")
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


def current_deadline() -> Deadline | None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    return deadline


@contextmanager
def download_deadline(seconds: float) -> Iterator[Deadline]:
    """Run one download (this thread's requests until the block ends) within ``seconds`` in
    all; ``math.inf``: no deadline. Yields the `Deadline`, to ask whether it passed."""
    watch = Deadline(seconds)
    outer = current_deadline()
    _current.deadline = watch
    try:
        yield watch
    finally:
        watch.finish()
        _current.deadline = outer


def deadline_for(session: Any, seconds: float | None) -> float:
    """The deadline of one download: ``seconds``, else the session's; none (``math.inf``) when
    not more than 0."""
    if seconds is None:
        seconds = getattr(session, "deadline", DEFAULT_DEADLINE)
    return float(seconds) if seconds and seconds > 0 else math.inf


class _DeadlineMixin:
    """Connection pools that show each connection they use to the thread's `Deadline`."""

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = current_deadline()
        if deadline is not None:
            deadline.attach(conn)
        return super()._make_request(conn, *args, **kwargs)  # type: ignore[misc]


class _HTTPPool(_DeadlineMixin, HTTPConnectionPool):
    pass


class _HTTPSPool(_DeadlineMixin, HTTPSConnectionPool):
    pass


# --- retries, the adapter and the session -------------------------------------------------------


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
        deadline = current_deadline()
        if deadline is not None and deadline.expired:  # no retry past the deadline
            passed = DeadlinePassed(f"the {deadline.seconds:g} s deadline passed")
            raise u3.MaxRetryError(_pool, url or "", passed)  # type: ignore[arg-type]
        if response is not None:
            if is_challenge_header(response.headers.get("cf-mitigated")):
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
        deadline = current_deadline()
        if deadline is not None:
            wait = self.get_backoff_time()
            if response is not None and self.respect_retry_after_header:
                wait = max(wait, self.get_retry_after(response) or 0.0)
            if wait >= deadline.remaining():  # the retry could not finish in time
                deadline.expire()
                reason = DeadlinePassed(f"the {deadline.seconds:g} s deadline would pass")
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


def is_challenge_header(value: str | None) -> bool:
    """True for Cloudflare's ``cf-mitigated: challenge`` (a bot check, not the page)."""
    return value is not None and value.strip().lower() == "challenge"


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
            retry.limiter.wait(hostname(request.url or ""))
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
