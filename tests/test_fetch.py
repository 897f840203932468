"""fetch.py against a real HTTP server on 127.0.0.1 (pytest-httpserver, threaded).

Sessions use a tiny backoff and short timeouts so the whole file runs in a few seconds.
"""

from __future__ import annotations

import copy
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import LocalHTTPServer
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from medium_archive.decode import decode_body
from medium_archive.errors import Blocked, FetchError, PostGone
from medium_archive.fetch import (
    DEFAULT_USER_AGENT,
    HostLimiter,
    PoliteRetry,
    fetch_bytes,
    fetch_page,
    make_session,
    page_text,
)

if TYPE_CHECKING:
    import requests

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fetch"
CORPUS_CHALLENGE = "formats/rss/linukaarambawela__CLOUDFLARE-CHALLENGE-2024-09.html"
FAST = (1.0, 1.0)


@pytest.fixture(scope="module")
def _server() -> Iterator[HTTPServer]:
    server = LocalHTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def server(_server: HTTPServer) -> Iterator[HTTPServer]:
    _server.clear()
    yield _server
    _server.check_handler_errors()


def session(retries: int = 2, limiter: HostLimiter | None = None) -> requests.Session:
    return make_session(retries=retries, backoff=0.01, limiter=limiter)


def sequence(*responses: Response) -> tuple[Callable[[Request], Response], list[float]]:
    """A handler serving ``responses`` in order (the last one forever) and the arrival times."""
    arrivals: list[float] = []

    def handler(request: Request) -> Response:
        arrivals.append(time.monotonic())
        return responses[min(len(arrivals), len(responses)) - 1]

    return handler, arrivals


def html(body: bytes | str, status: int = 200, **headers: str) -> Response:
    """An HTML response; ``headers`` are keyword names with ``_`` for ``-`` (``Retry_After``)."""
    wire = {name.replace("_", "-"): value for name, value in headers.items()}
    wire.setdefault("Content-Type", "text/html; charset=utf-8")
    return Response(body, status=status, headers=wire)


# --- success, decoding, redirects -------------------------------------------------------------


def test_page_decodes_with_header_charset(server: HTTPServer) -> None:
    body = "<html><body><p>Café — naïve ✓</p></body></html>"
    server.expect_request("/post").respond_with_response(
        html(body.encode("utf-8"), ETag='"abc"', Last_Modified="Wed, 01 May 2024 10:00:00 GMT")
    )
    url = server.url_for("/post")
    page = fetch_page(make_session(), url, timeout=FAST)
    assert page.text == body
    assert (page.url, page.final_url, page.status, page.not_modified) == (url, url, 200, False)
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.etag == '"abc"'
    assert page.last_modified == "Wed, 01 May 2024 10:00:00 GMT"


@pytest.mark.parametrize(
    ("text", "encoding", "content_type"),
    [
        pytest.param(
            '<html><head><meta charset="windows-1251"><title>Привет</title></head></html>',
            "cp1251",
            "text/html",
            id="meta-charset-windows-1251",
        ),
        pytest.param(
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            "<title>Ünïcødé “quotes”</title></head></html>",
            "utf-8",
            "text/html",
            id="http-equiv-utf-8",
        ),
        pytest.param(
            "<html><head><title>No charset anywhere: “résumé”</title></head></html>",
            "utf-8",
            "text/html",
            id="no-charset-is-utf-8-not-latin-1",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="windows-1252"?><rss><title>café</title></rss>',
            "cp1252",
            "text/xml",
            id="xml-declaration",
        ),
    ],
)
def test_page_decodes_without_header_charset(
    server: HTTPServer, text: str, encoding: str, content_type: str
) -> None:
    server.expect_request("/post").respond_with_response(
        html(text.encode(encoding), Content_Type=content_type)
    )
    page = fetch_page(make_session(), server.url_for("/post"), timeout=FAST, accept_xml=True)
    assert page.headers["content-type"] == content_type  # really no charset on the wire
    assert page.text == text


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        ("é".encode(), "text/html; charset=UTF-8", "é"),
        # the header wins over <meta>: UTF-8 bytes of "é" read as KOI8-R are "ц╘"
        (
            '<meta charset="utf-8">é'.encode(),
            "text/html; charset=koi8-r",
            '<meta charset="utf-8">ц╘',
        ),
        ("“x”".encode("cp1252"), "text/html; charset=ISO-8859-1", "“x”"),  # browsers: cp1252
        ("é".encode(), "text/html; charset=no-such-codec", "é"),
        (b"\xef\xbb\xbf<p>\xc3\xa9</p>", "text/html; charset=iso-8859-1", "<p>é</p>"),  # BOM
        ("<p>é</p>".encode("utf-16"), "text/html", "<p>é</p>"),  # UTF-16 BOM
        (b"caf\xff", "text/html", "caf\ufffd"),  # broken bytes never raise
    ],
)
def test_decode_body(data: bytes, content_type: str, expected: str) -> None:
    assert decode_body(data, content_type) == expected


def test_redirect_chain_keeps_final_url(server: HTTPServer) -> None:
    server.expect_request("/p/0123456789ab").respond_with_response(
        Response(status=301, headers={"Location": "/@someone/mid-0123456789ab"})
    )
    server.expect_request("/@someone/mid-0123456789ab").respond_with_response(
        Response(status=302, headers={"Location": server.url_for("/@someone/post-0123456789ab")})
    )
    server.expect_request("/@someone/post-0123456789ab").respond_with_response(html("<p>ok</p>"))
    url = server.url_for("/p/0123456789ab")
    page = fetch_page(make_session(), url, timeout=FAST)
    assert page.url == url
    assert page.final_url == server.url_for("/@someone/post-0123456789ab")
    assert page.text == "<p>ok</p>"


def test_redirect_loop_is_a_fetch_error(server: HTTPServer) -> None:
    server.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": "/loop"})
    )
    with pytest.raises(FetchError, match=r"/loop: more than 10 redirects"):
        fetch_page(make_session(), server.url_for("/loop"), timeout=FAST)


def test_session_sends_browser_headers(server: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return html("<p>ok</p>")

    server.expect_request("/post").respond_with_handler(handler)
    fetch_page(make_session(), server.url_for("/post"), timeout=FAST)
    headers = seen[0].headers
    assert headers["User-Agent"] == DEFAULT_USER_AGENT
    assert headers["User-Agent"].startswith("Mozilla/5.0 ")
    assert "medium-archive" in headers["User-Agent"]
    assert headers["Accept"].startswith("text/html")
    assert "If-None-Match" not in headers


# --- HTTP errors and retries ------------------------------------------------------------------


@pytest.mark.parametrize(("status", "phrase"), [(404, "Not Found"), (410, "Gone")])
def test_gone_is_post_gone(server: HTTPServer, status: int, phrase: str) -> None:
    server.expect_request("/post").respond_with_response(html("gone", status=status))
    url = server.url_for("/post")
    with pytest.raises(PostGone) as caught:
        fetch_page(make_session(), url, timeout=FAST)
    message = f"{url}: HTTP {status} {phrase}: the post was deleted or the URL is wrong"
    assert str(caught.value) == message
    assert (caught.value.url, caught.value.status) == (url, status)
    assert len(server.log) == 1  # not retried


def test_server_errors_are_retried_until_success(server: HTTPServer) -> None:
    handler, arrivals = sequence(
        html("busy", status=503), html("busy", status=503), html("<p>finally</p>")
    )
    server.expect_request("/post").respond_with_handler(handler)
    page = fetch_page(session(retries=3), server.url_for("/post"), timeout=FAST)
    assert page.text == "<p>finally</p>"
    assert len(arrivals) == 3


def test_persistent_500_is_fetch_error_after_all_attempts(server: HTTPServer) -> None:
    handler, arrivals = sequence(html("oops", status=500))
    server.expect_request("/post").respond_with_handler(handler)
    url = server.url_for("/post")
    with pytest.raises(FetchError) as caught:
        fetch_page(session(retries=2), url, timeout=FAST)
    assert len(arrivals) == 3  # 1 try + 2 retries
    assert caught.value.status == 500
    assert str(caught.value).startswith(f"{url}: HTTP 500 Internal Server Error after 3 attempts;")
    assert not isinstance(caught.value, (PostGone, Blocked))


def test_429_retry_after_waits_and_holds_back_other_workers(server: HTTPServer) -> None:
    limiter = HostLimiter(rate=100)
    shared = make_session(retries=2, backoff=0.01, pool_size=4, limiter=limiter)
    got_429 = threading.Event()
    handler, slow_arrivals = sequence(
        html("slow down", status=429, Retry_After="1"), html("<p>slow</p>")
    )

    def slow_handler(request: Request) -> Response:
        response = handler(request)
        if response.status_code == 429:
            got_429.set()
        return response

    other_arrivals: list[float] = []

    def other_handler(request: Request) -> Response:
        other_arrivals.append(time.monotonic())
        return html("<p>other</p>")

    server.expect_request("/slow").respond_with_handler(slow_handler)
    server.expect_request("/other").respond_with_handler(other_handler)
    results: dict[str, str] = {}

    def other_worker() -> None:
        assert got_429.wait(5)
        time.sleep(0.2)  # let the first worker's Retry see the 429
        results["other"] = fetch_page(shared, server.url_for("/other"), timeout=FAST).text

    worker = threading.Thread(target=other_worker)
    worker.start()
    start = time.monotonic()
    results["slow"] = fetch_page(shared, server.url_for("/slow"), timeout=(2, 2)).text
    elapsed = time.monotonic() - start
    worker.join(5)
    assert results == {"slow": "<p>slow</p>", "other": "<p>other</p>"}
    assert len(slow_arrivals) == 2
    assert elapsed >= 0.9  # Retry-After: 1 honoured
    assert slow_arrivals[1] - slow_arrivals[0] >= 0.9
    # the other worker, which never saw the 429, was held until the penalty ended too
    assert other_arrivals[0] - slow_arrivals[0] >= 0.8


def test_invalid_retry_after_falls_back_to_backoff(server: HTTPServer) -> None:
    handler, arrivals = sequence(html("x", status=429, Retry_After="soon-ish"), html("<p>ok</p>"))
    server.expect_request("/post").respond_with_handler(handler)
    assert fetch_page(session(), server.url_for("/post"), timeout=FAST).text == "<p>ok</p>"
    assert len(arrivals) == 2


def test_timeout_is_fetch_error(server: HTTPServer) -> None:
    answer = threading.Event()

    def sleepy(request: Request) -> Response:
        answer.wait(30)  # answers only once the client has given up (or after 30 s)
        return html("<p>late</p>")

    server.expect_request("/slow").respond_with_handler(sleepy)
    url = server.url_for("/slow")
    try:
        with pytest.raises(FetchError, match=r"timed out: no answer within 0\.3 s") as caught:
            fetch_page(session(retries=0), url, timeout=(1, 0.3))
    finally:
        answer.set()
    assert str(caught.value).startswith(f"{url}: ")
    assert "\n" not in str(caught.value)
    assert caught.value.status is None


def test_connection_refused_is_fetch_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/post"  # nothing listens there any more
    with pytest.raises(FetchError, match=r"connection refused by 127\.0\.0\.1") as caught:
        fetch_page(session(retries=1), url, timeout=FAST)
    assert str(caught.value).startswith(f"{url}: ")


@pytest.mark.parametrize("url", ["http://", "notaurl", "ftp://example.org/x", "http://[::1/"])
def test_invalid_url_is_fetch_error(url: str) -> None:
    with pytest.raises(FetchError, match="not a valid http"):
        fetch_page(make_session(), url, timeout=FAST)


# --- size and type checks ---------------------------------------------------------------------


def test_oversized_response_with_content_length(server: HTTPServer) -> None:
    server.expect_request("/big").respond_with_response(html(b"x" * 5000))
    with pytest.raises(FetchError, match=r"is 5,000 bytes, over the 1,000 bytes limit"):
        fetch_page(make_session(), server.url_for("/big"), timeout=FAST, max_bytes=1000)


def test_oversized_streamed_response_stops_reading(server: HTTPServer) -> None:
    def endless(request: Request) -> Response:
        chunks = (b"x" * 1024 for _ in range(4096))  # 4 MB, no Content-Length
        return Response(chunks, headers={"Content-Type": "text/html"})

    server.expect_request("/big").respond_with_handler(endless)
    with pytest.raises(FetchError, match=r"more than .* \(stopped reading\), over the 1\.0 MB"):
        fetch_page(make_session(), server.url_for("/big"), timeout=FAST, max_bytes=1024 * 1024)


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "application/json"])
def test_non_html_is_refused(server: HTTPServer, content_type: str) -> None:
    server.expect_request("/post").respond_with_response(
        Response(b"\x89PNG....", headers={"Content-Type": content_type})
    )
    with pytest.raises(
        FetchError, match=f"expected an HTML page but the server sent '{content_type}'"
    ):
        fetch_page(make_session(), server.url_for("/post"), timeout=FAST)


def test_feed_types_need_accept_xml(server: HTTPServer) -> None:
    feed = "<?xml version='1.0' encoding='UTF-8'?><rss><channel><title>t</title></channel></rss>"
    server.expect_request("/feed").respond_with_response(
        html(feed, Content_Type="application/rss+xml; charset=UTF-8")
    )
    with pytest.raises(FetchError, match="'application/rss\\+xml'"):
        fetch_page(make_session(), server.url_for("/feed"), timeout=FAST)
    page = fetch_page(make_session(), server.url_for("/feed"), timeout=FAST, accept_xml=True)
    assert page.text == feed


# --- Cloudflare -------------------------------------------------------------------------------


def synthetic_challenge() -> bytes:
    return (FIXTURES / "cloudflare-challenge.html").read_bytes()


@pytest.mark.parametrize("status", [403, 503])
def test_cf_mitigated_challenge_is_blocked_and_not_retried(server: HTTPServer, status: int) -> None:
    server.expect_request("/post").respond_with_response(
        html(synthetic_challenge(), status=status, cf_mitigated="challenge")
    )
    url = server.url_for("/post")
    with pytest.raises(Blocked) as caught:
        fetch_page(session(retries=3), url, timeout=FAST)
    assert str(caught.value) == (
        f"{url}: blocked by Cloudflare's bot check (HTTP {status}); open the post in a browser, "
        "save the page (Ctrl+S) and archive the saved .html file, or pass the browser's cookies "
        "and user agent (--cookies cookies.txt --user-agent UA)"
    )
    assert caught.value.status == status
    assert len(server.log) == 1


@pytest.mark.parametrize("status", [200, 403])
def test_challenge_body_is_blocked(server: HTTPServer, status: int) -> None:
    server.expect_request("/post").respond_with_response(html(synthetic_challenge(), status=status))
    with pytest.raises(Blocked, match=rf"bot check \(HTTP {status}\)"):
        fetch_page(session(), server.url_for("/post"), timeout=FAST)


def test_undecoded_page_is_decoded_and_checked_by_page_text(server: HTTPServer) -> None:
    body = '<html><head><meta charset="windows-1252"></head><body><p>Café</p></body></html>'
    server.expect_request("/post").respond_with_response(
        html(body.encode("cp1252"), Content_Type="text/html")
    )
    server.expect_request("/cf").respond_with_response(html(synthetic_challenge()))
    page = fetch_page(session(), server.url_for("/post"), timeout=FAST, decode=False)
    assert (page.text, page.raw) == ("", body.encode("cp1252"))
    assert page_text(page) == body
    # The bot check happens when the text is made, with the same error fetch_page raises.
    challenge = fetch_page(session(), server.url_for("/cf"), timeout=FAST, decode=False)
    with pytest.raises(Blocked, match=r"bot check \(HTTP 200\)"):
        page_text(pickle.loads(pickle.dumps(challenge)))  # as a worker process receives it


@pytest.mark.corpus
@pytest.mark.parametrize("status", [200, 403])
def test_real_challenge_page_is_blocked(server: HTTPServer, corpus: Path, status: int) -> None:
    body = (corpus / CORPUS_CHALLENGE).read_bytes()
    server.expect_request("/feed/@someone").respond_with_response(html(body, status=status))
    with pytest.raises(Blocked, match=rf"bot check \(HTTP {status}\)"):
        fetch_page(session(), server.url_for("/feed/@someone"), timeout=FAST, accept_xml=True)


def test_plain_403_is_not_blocked(server: HTTPServer) -> None:
    server.expect_request("/post").respond_with_response(html("<h1>Forbidden</h1>", status=403))
    with pytest.raises(FetchError, match="HTTP 403 Forbidden; access was refused") as caught:
        fetch_page(make_session(), server.url_for("/post"), timeout=FAST)
    assert not isinstance(caught.value, Blocked)


# --- conditional requests ---------------------------------------------------------------------


def test_etag_gives_not_modified(server: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return html("<p>v1</p>", ETag='"v1"')

    server.expect_request("/post").respond_with_handler(handler)
    url = server.url_for("/post")
    first = fetch_page(make_session(), url, timeout=FAST)
    assert (first.text, first.etag, first.not_modified) == ("<p>v1</p>", '"v1"', False)
    again = fetch_page(make_session(), url, timeout=FAST, etag=first.etag)
    assert (again.status, again.text, again.etag, again.not_modified) == (304, "", '"v1"', True)


def test_last_modified_gives_not_modified(server: HTTPServer) -> None:
    stamp = "Wed, 01 May 2024 10:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return html("<p>v1</p>", Last_Modified=stamp)

    server.expect_request("/post").respond_with_handler(handler)
    url = server.url_for("/post")
    first = fetch_page(make_session(), url, timeout=FAST)
    assert (first.last_modified, first.not_modified) == (stamp, False)
    again = fetch_page(make_session(), url, timeout=FAST, last_modified=stamp)
    assert (again.text, again.not_modified) == ("", True)


# --- images -----------------------------------------------------------------------------------


def test_fetch_bytes(server: HTTPServer) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    server.expect_request("/img.png").respond_with_response(
        Response(png, headers={"Content-Type": "image/png", "ETag": '"i1"'})
    )
    server.expect_request("/gone.png").respond_with_response(Response(b"", status=404))
    blob = fetch_bytes(make_session(), server.url_for("/img.png"), timeout=FAST)
    assert (blob.data, blob.content_type, blob.etag, blob.status) == (png, "image/png", '"i1"', 200)
    with pytest.raises(PostGone):
        fetch_bytes(make_session(), server.url_for("/gone.png"), timeout=FAST)
    with pytest.raises(FetchError, match="over the 100 bytes limit"):
        fetch_bytes(make_session(), server.url_for("/img.png"), timeout=FAST, max_bytes=100)


def test_fetch_bytes_challenge_is_blocked(server: HTTPServer) -> None:
    server.expect_request("/img.png").respond_with_response(html(synthetic_challenge()))
    with pytest.raises(Blocked):
        fetch_bytes(make_session(), server.url_for("/img.png"), timeout=FAST)


# --- HostLimiter ------------------------------------------------------------------------------


def run_threads(count: int, target: Callable[[], None]) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)


def test_host_limiter_paces_one_host_across_threads() -> None:
    limiter = HostLimiter(rate=20)  # one start per 0.05 s
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.wait("Medium.com")
            with lock:
                starts.append(time.monotonic())

    run_threads(2, worker)
    starts.sort()
    gaps = [b - a for a, b in pairwise(starts)]
    assert len(starts) == 6
    assert min(gaps) >= 0.04
    assert starts[-1] - starts[0] < 1.0
    assert limiter.wait("other.example") == 0.0  # other hosts are not held
    time.sleep(0.06)
    assert limiter.wait("www.medium.com") == 0.0  # same host as medium.com, slot is free again


def test_host_limiter_penalty_holds_every_thread() -> None:
    limiter = HostLimiter(rate=1000)
    waited: list[float] = []
    lock = threading.Lock()
    limiter.penalize("medium.com", 0.3)

    def worker() -> None:
        seconds = limiter.wait("medium.com")
        with lock:
            waited.append(seconds)

    run_threads(3, worker)
    assert len(waited) == 3 and min(waited) >= 0.25
    assert limiter.wait("example.org") == 0.0


def test_host_limiter_rejects_bad_rate() -> None:
    with pytest.raises(ValueError, match="rate must be more than 0"):
        HostLimiter(rate=0)


def test_session_requests_go_through_the_limiter(server: HTTPServer) -> None:
    handler, arrivals = sequence(html("<p>ok</p>"))
    server.expect_request("/post").respond_with_handler(handler)
    shared = make_session(limiter=HostLimiter(rate=10), pool_size=2)

    def worker() -> None:
        for _ in range(2):
            fetch_page(shared, server.url_for("/post"), timeout=FAST)

    run_threads(2, worker)
    gaps = [b - a for a, b in pairwise(arrivals)]
    assert len(arrivals) == 4
    assert min(gaps) >= 0.08


def test_polite_retry_survives_copy_and_pickle() -> None:
    limiter = HostLimiter(rate=5)
    retry = PoliteRetry(total=3, backoff_factor=0.1, limiter=limiter, host="medium.com")
    assert retry.new(total=1).limiter is limiter
    assert retry.new().host == "medium.com"
    assert copy.copy(retry).limiter is limiter
    clone = pickle.loads(pickle.dumps(retry))
    assert isinstance(clone.limiter, HostLimiter) and clone.limiter.rate == 5
    assert clone.limiter.wait("medium.com") == 0.0  # the first request goes at once
    assert clone.limiter.wait("medium.com") >= 0.15  # the next waits its turn (5 per second)


def test_environment_settings_are_read_once_per_host_and_stay_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The session caches requests' per-request environment look-up (proxies, CA bundle) by
    host; what it returns must be what a plain requests.Session computes."""
    import requests

    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3129")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1,.internal.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    ours = make_session()
    plain = requests.Session()
    urls = [
        "https://medium.com/p/abcdef123456",
        "https://medium.com/@user/other-post-abcdef123457",
        "http://blog.example.com/post-abcdef123456",
        "http://127.0.0.1:8080/p/abcdef123456",
        "https://docs.internal.example/p/abcdef123456",
    ]
    for _ in range(2):  # the second round is served from the cache
        for url in urls:
            got = ours.merge_environment_settings(url, {}, None, None, None)
            want = plain.merge_environment_settings(url, {}, None, None, None)
            assert got == want, url
    got = ours.merge_environment_settings(urls[0], {}, None, None, None)
    got["proxies"]["https"] = "changed"  # a caller changing its copy changes nothing cached
    assert (
        ours.merge_environment_settings(urls[0], {}, None, None, None)["proxies"]
        == (plain.merge_environment_settings(urls[0], {}, None, None, None)["proxies"])
    )
