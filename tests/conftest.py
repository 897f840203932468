"""Shared test fixtures.

The real-data corpus lives in ``../shared/corpus`` beside the checkout (or where
``MEDIUM_ARCHIVE_CORPUS`` points). Tests that need it use the ``corpus`` fixture: without the
corpus they skip and say why; ``.ci/run`` sets ``MEDIUM_ARCHIVE_REQUIRE_CORPUS=1`` so that in CI
its absence is an error instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CORPUS = Path(os.environ.get("MEDIUM_ARCHIVE_CORPUS", ROOT.parent / "shared" / "corpus"))


def corpus_available() -> bool:
    return (CORPUS / "truth").is_dir() and (CORPUS / "pages").is_dir()


def require_corpus() -> Path:
    """Return the corpus folder, or skip (error in CI) when it is absent."""
    if corpus_available():
        return CORPUS
    message = (
        f"real-data corpus not found at {CORPUS}: put the shared/ folder beside the checkout "
        "or set MEDIUM_ARCHIVE_CORPUS"
    )
    if os.environ.get("MEDIUM_ARCHIVE_REQUIRE_CORPUS"):
        pytest.fail(message)
    pytest.skip(message)


#: The post archived by the earlier tool (FORMAT.md's reference case), beside the corpus.
SEED = CORPUS.parent / "seed" / "000_b95c5c4f8b2b4cbf.txt"


def require_seed() -> Path:
    """Return the seed file, or skip (error in CI) when the shared folder is absent."""
    require_corpus()
    if not SEED.is_file():
        pytest.fail(f"seed file not found at {SEED}, though the corpus is there")
    return SEED


@pytest.fixture(scope="session")
def corpus() -> Path:
    return require_corpus()


def load_truth(name: str) -> dict[str, Any]:
    with open(CORPUS / "truth" / name, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def truth_files(kind: str = "pages") -> list[str]:
    """Names of truth files: ``pages`` (served pages) or ``formats``."""
    truth = CORPUS / "truth"
    if not truth.is_dir():
        return []
    names = sorted(p.name for p in truth.glob("*.json"))
    if kind == "pages":
        return [n for n in names if not n.startswith("formats__")]
    return [n for n in names if n.startswith("formats__")]


#: How often a test server's loop looks for a stop request (the library's default, 0.5 s,
#: made every test with its own server wait half a second in teardown).
SERVER_POLL = 0.05


class LocalHTTPServer(HTTPServer):
    """pytest-httpserver's server, stopped in a twentieth of a second instead of half of one."""

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=SERVER_POLL)


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the internet: only loopback addresses may be connected to."""
    import socket

    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise OSError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


def html_of(doc: Any) -> str:
    """A body `Document` as the ``--body html`` output without its ``<article>`` wrapper
    (block tags, ``a strong em code br`` inline), for tests that check what a body holds."""
    from medium_archive.markdown import render_html

    html = render_html(doc)
    return html.removeprefix("<article>\n").removesuffix("\n</article>\n")
