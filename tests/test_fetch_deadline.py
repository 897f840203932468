"""A total deadline per download (issue 13, item 8): a server on 127.0.0.1 that drips its answer
a byte every 0.2 s must not hold a page or an image past the deadline; retries stop at it too, and
a timeout message says what the timeouts really cost.

The server counts what it sent: the tests check that the client hung up after a few bytes (what
a 1 s deadline allows at this pace) rather than timing the client.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from medium_archive import session as http_session
from medium_archive.errors import FetchError
from medium_archive.fetch import fetch_bytes, fetch_page, make_session

DRIP = 0.2
#: Bytes the server may send before the client must have hung up: 60 s of dripping, far more
#: than a 1 s deadline allows, so a busy machine cannot fail the test.
GENEROUS = int(60 / DRIP)


@dataclass
class Dripper:
    """A raw socket server: reads a request, then sends ``head`` and ``body`` a byte at a time
    (or, with ``silent``, nothing at all), counting what each connection got."""

    head: bytes
    body: bytes = b"x" * 100_000
    silent: bool = False
    sent: list[int] = field(default_factory=list)  # bytes sent, per connection
    hung_up: list[bool] = field(default_factory=list)  # the client closed on us, per connection
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> str:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        threading.Thread(target=self._accept, daemon=True).start()
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/post-1234567890ab"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            index = len(self.sent)
            self.sent.append(0)
            self.hung_up.append(False)
            threading.Thread(target=self._serve, args=(conn, index), daemon=True).start()

    def _serve(self, conn: socket.socket, index: int) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)  # the request
                if self.silent:
                    self.stop.wait(60)
                    return
                for i in range(len(self.head + self.body)):
                    if self.stop.wait(DRIP):
                        return
                    conn.sendall((self.head + self.body)[i : i + 1])
                    self.sent[index] += 1
            except OSError:
                self.hung_up[index] = True

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


def head(content_type: str, length: bool = True) -> bytes:
    size = b"Content-Length: 100000\r\n" if length else b"Connection: close\r\n"
    return b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() + b"\r\n" + size + b"\r\n"


@pytest.fixture
def dripper() -> Iterator[list[Dripper]]:
    made: list[Dripper] = []
    yield made
    for server in made:
        server.close()


def serve(made: list[Dripper], server: Dripper) -> str:
    made.append(server)
    return server.start()


def wait_for_hang_up(server: Dripper) -> None:
    """The client hung up: the server's next byte failed (it stops dripping after 60 s anyway)."""
    for _ in range(int(GENEROUS * DRIP / 0.1)):
        if server.hung_up and server.hung_up[0]:
            return
        server.stop.wait(0.1)


@pytest.mark.parametrize(
    ("what", "content_type", "length"),
    [
        ("page", "text/html; charset=utf-8", True),
        ("page without a length", "text/html; charset=utf-8", False),
        ("image", "image/png", True),
    ],
)
def test_a_dripping_body_ends_at_the_deadline(
    dripper: list[Dripper], what: str, content_type: str, length: bool
) -> None:
    server = Dripper(head(content_type, length))
    url = serve(dripper, server)
    session = make_session(retries=3, backoff=0.01)
    get = fetch_bytes if what == "image" else fetch_page
    with pytest.raises(FetchError, match=r"did not finish within its 1 s deadline") as caught:
        get(session, url, timeout=(5, 5), deadline=1.0)
    assert "\n" not in str(caught.value)
    wait_for_hang_up(server)
    assert server.hung_up[0], "the client never hung up"
    assert len(server.sent) == 1, "the download was retried past its deadline"
    assert server.sent[0] < GENEROUS


def test_dripping_headers_end_at_the_deadline(dripper: list[Dripper]) -> None:
    server = Dripper(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 100_000, body=b"")
    url = serve(dripper, server)
    with pytest.raises(FetchError, match="deadline"):
        fetch_page(make_session(retries=0), url, timeout=(5, 5), deadline=1.0)
    wait_for_hang_up(server)
    assert server.hung_up[0] and server.sent[0] < GENEROUS


def test_the_session_deadline_is_the_default(dripper: list[Dripper]) -> None:
    url = serve(dripper, Dripper(head("text/html")))
    with pytest.raises(FetchError, match="within its 0.5 s deadline"):
        fetch_page(make_session(retries=0, deadline=0.5), url, timeout=(5, 5))


def test_retries_of_a_silent_server_stop_at_the_deadline(dripper: list[Dripper]) -> None:
    """Each attempt times out after 0.4 s; four attempts would take 1.6 s, the deadline is 1 s:
    the attempts that would end past it are not made, and the message names the deadline."""
    server = Dripper(b"", silent=True)
    url = serve(dripper, server)
    with pytest.raises(FetchError, match="deadline"):
        fetch_page(make_session(retries=3, backoff=0), url, timeout=(5, 0.4), deadline=1.0)
    assert 1 <= len(server.sent) < 4


def test_a_timeout_message_says_what_the_retries_cost(dripper: list[Dripper]) -> None:
    """Without a deadline in the way, a stalled server costs every attempt's timeout: the
    message says so instead of naming one timeout as if it were the whole wait."""
    server = Dripper(b"", silent=True)
    url = serve(dripper, server)
    with pytest.raises(FetchError) as caught:
        fetch_page(make_session(retries=2, backoff=0), url, timeout=(5, 0.3), deadline=60)
    message = str(caught.value)
    assert len(server.sent) == 3
    assert "no answer within 0.3 s, on every attempt" in message and "in all" in message


def test_the_cli_reports_a_dripping_server_in_one_line(
    dripper: list[Dripper], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = serve(dripper, Dripper(head("text/html; charset=utf-8")))
    monkeypatch.setattr(http_session, "DEFAULT_DEADLINE", 1.0)
    from medium_archive.cli import cli

    result = CliRunner().invoke(cli, ["archive", url, "--site", str(tmp_path / "blog")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.exception is not None
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "1 s deadline" in errors[0]
    assert not (tmp_path / "blog" / "_posts").exists()
