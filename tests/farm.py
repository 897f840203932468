"""Many distinct Medium posts from a few pages, for import tests and the import benchmark.

A template is a real page (our synthetic fixture, or a corpus page) and its post id; post number
``n`` is the template's HTML with that id replaced everywhere by a new id of the same length (and
the URL slug made unique), so each page is a distinct post (own id, canonical URL, file) of real
size. Pages are made on request, so a farm of any size costs no memory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = (ROOT / "fixtures" / "sample" / "sample-post.html", "5a3c2e1f9b7d")

#: Corpus pages that are single posts, with their post ids (from corpus/MANIFEST.tsv).
CORPUS_POSTS = (
    ("pages/gunar/balancing-heuristics-and-data.html", "9c1ea0163696"),
    ("pages/unfurl/bench-hackernoon-1.html", "d3a717dd577f"),
    ("pages/htmldate/medium.com.dokku.html", "1cb97e3ab041"),
    ("pages/thiagosf/uxdesign.cc.html", "b7282cd3289c"),
    ("pages/readability/lazy-image-1.source.html", "d6e62af173e2"),
    ("pages/gunar/you-might-not-need-redux.html", "be46360cf367"),
    ("pages/metascraper/integration-medium.input.html", "15fd2dd8f07b"),
    ("pages/unfurl/bench-medium-1.html", "559d4e805cda"),
    ("pages/rubchume/example_article_1.freecodecamp.html", "92fad4f5a39"),
    ("pages/omnivore/medium.walmartglobaltech.source.html", "af688aa1b1b8"),
    ("pages/gunar/lavrton.html", "ad01f5b161ae"),
    ("pages/unfurl/medium.com.source.html", "bc67fbef4fc8"),
    ("pages/postlight/medium.com--mtg.html", "c9700a7cf36d"),
    ("pages/extractus/fetchedData.rocketchat.html", "2b00f3366c6"),
)


@dataclass(frozen=True)
class Template:
    path: Path
    post_id: str

    @property
    def html(self) -> str:
        return _read(self.path)


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=64)
def _read_bytes(path: Path) -> bytes:
    return _read(path).encode("utf-8")


def templates(corpus: Path | None, limit: int | None = None) -> list[Template]:
    """The sample fixture, then corpus posts when the corpus is there (at most ``limit``)."""
    found = [Template(*SAMPLE)]
    if corpus is not None:
        found += [
            Template(corpus / rel, pid) for rel, pid in CORPUS_POSTS if (corpus / rel).is_file()
        ]
    return found[:limit] if limit else found


class Farm:
    """Post ``n`` (0, 1, 2…): its id, its URL path, its page."""

    def __init__(self, templates: list[Template]) -> None:
        self.templates = templates

    def template(self, n: int) -> Template:
        return self.templates[n % len(self.templates)]

    def post_id(self, n: int) -> str:
        width = len(self.template(n).post_id)
        return "f" + format(n, f"0{width - 1}x")

    def path(self, n: int) -> str:
        return f"/@farm/post-number-{n}-{self.post_id(n)}"

    def number(self, path: str) -> int | None:
        """The post number of a URL path made by `path`, or None."""
        prefix = "/@farm/post-number-"
        if not path.startswith(prefix):
            return None
        number, _, post_id = path[len(prefix) :].partition("-")
        if not number.isdigit() or self.post_id(int(number)) != post_id:
            return None
        return int(number)

    def page(self, n: int) -> str:
        """The template with the new post id, and ``-n<n>`` added to the slug of URLs ending in it.

        So posts made from one template have different slugs (hence files), as distinct posts do,
        instead of all but the first taking the ``-<post-id>`` variant of one file name.
        """
        template = self.template(n)
        new_id = self.post_id(n)
        html = template.html.replace(f"-{template.post_id}", f"-n{n}-{new_id}")
        return html.replace(template.post_id, new_id)

    def page_bytes(self, n: int) -> bytes:
        """`page` as UTF-8, made from the encoded template (cheaper for a server to send)."""
        template = self.template(n)
        old, new = template.post_id.encode(), self.post_id(n).encode()
        html = _read_bytes(template.path).replace(b"-" + old, b"-n%d-%s" % (n, new))
        return html.replace(old, new)


class QuietHandler(BaseHTTPRequestHandler):
    """An HTTP/1.1 (keep-alive) handler that logs nothing."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_in_background(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded server on a free 127.0.0.1 port, serving from a daemon thread (a thread per
    connection, a deep listen queue for many workers); stop it with ``shutdown()``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    # Polled often, so that shutdown() returns at once rather than after up to half a second.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server
