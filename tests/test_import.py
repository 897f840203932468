"""`medium-archive import` end to end, against a real HTTP server on 127.0.0.1 with faults.

The server serves many distinct posts (tests/farm.py: the sample fixture and corpus pages, each
with its own post id) and injects bursts of 429 with Retry-After, flapping 503s, slow responses,
dropped connections and a few 404s. The interrupt test runs ``python -m medium_archive import``
as a subprocess and sends it SIGINT.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import CORPUS, ROOT, LocalHTTPServer, corpus_available
from farm import Farm, templates
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from medium_archive.cli import cli
from medium_archive.sitelock import LOCK_NAME


@dataclass
class Faults:
    """What the server does wrong, by post number; first requests only unless said otherwise."""

    gone: set[int] = field(default_factory=set)  # always 404
    too_many: set[int] = field(default_factory=set)  # 429 with Retry-After: 1
    flapping: set[int] = field(default_factory=set)  # 503, then 503, then fine
    slow: set[int] = field(default_factory=set)  # 0.3 s before answering
    dropped: set[int] = field(default_factory=set)  # connection closed without an answer
    challenge: set[int] = field(default_factory=set)  # 200 with a Cloudflare challenge page
    delay: float = 0.0  # added to every response


@dataclass
class Site:
    server: HTTPServer
    farm: Farm
    faults: Faults
    hits: list[tuple[float, int, int]] = field(default_factory=list)  # (time, post, status)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, n: int) -> str:
        return self.server.url_for(self.farm.path(n))

    def requests_for(self, n: int) -> int:
        return sum(1 for _, post, _ in self.hits if post == n)

    def handle(self, request: Request) -> Response:
        n = self.farm.number(request.path)
        if n is None:
            return self.log(-1, Response("no such page", status=404))
        seen = self.requests_for(n)
        faults = self.faults
        if faults.delay:
            time.sleep(faults.delay)
        if n in faults.slow:
            time.sleep(0.3)
        if n in faults.gone:
            return self.log(n, Response("gone", status=404))
        if n in faults.dropped and seen == 0:
            self.log(n, Response(status=599))
            sock = request.environ["werkzeug.socket"]
            sock.shutdown(socket.SHUT_RDWR)
            return Response("")
        if n in faults.too_many and seen == 0:
            return self.log(n, Response("slow down", status=429, headers={"Retry-After": "1"}))
        if n in faults.flapping and seen < 2:
            return self.log(n, Response("unavailable", status=503))
        if n in faults.challenge:
            challenge = (ROOT / "fixtures" / "fetch" / "cloudflare-challenge.html").read_bytes()
            return self.log(n, Response(challenge, content_type="text/html; charset=utf-8"))
        page = self.farm.page(n)
        return self.log(n, Response(page, content_type="text/html; charset=utf-8"))

    def log(self, n: int, response: Response) -> Response:
        with self.lock:
            self.hits.append((time.monotonic(), n, response.status_code))
        return response


@pytest.fixture
def site() -> Iterator[Site]:
    server = LocalHTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    farm = Farm(templates(CORPUS if corpus_available() else None, limit=8))
    state = Site(server, farm, Faults())
    server.expect_request(re.compile(r"^/@farm/")).respond_with_handler(state.handle)
    # The corpus posts' embeds: Medium's media pages are gone here (one warning per embed).
    server.expect_request(re.compile(r"^/media/")).respond_with_data("gone", status=404)
    yield state
    server.clear()
    if server.is_running():
        server.stop()


def run(args: list[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["import", *args], input=stdin, catch_exceptions=False)


def write_list(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def archived(root: Path) -> dict[str, Path]:
    """Post id → file, for every post file in the site; fails on a post archived twice."""
    found: dict[str, Path] = {}
    for path in sorted((root / "_posts").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        meta = yaml.safe_load(text.split("---\n")[1])
        post_id = meta["identifier"]
        assert post_id not in found, f"{post_id} archived twice: {found.get(post_id)} and {path}"
        found[post_id] = path
    return found


def leftovers(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*")
        if (p.name.startswith(".") and p.name != LOCK_NAME) or p.suffix == ".tmp"
    ]


def test_every_post_is_archived_once_despite_faults(site: Site, tmp_path: Path) -> None:
    n_posts = 40
    site.faults = Faults(
        gone={5, 17, 33},
        too_many={1, 2, 3, 20, 21},
        flapping={7, 8, 30},
        slow={9, 10, 11, 12},
        dropped={13, 25},
    )
    urls = [site.url(n) for n in range(n_posts)]
    failed_list = tmp_path / "failed.txt"
    root = tmp_path / "blog"
    result = run(
        [
            str(write_list(tmp_path, urls)),
            "--site",
            str(root),
            "--jobs",
            "8",
            "--rate",
            "1000",
            "--failed",
            str(failed_list),
            "--processes",
            "0",
        ]
    )
    assert result.exit_code == 1, result.stderr
    posts = archived(root)
    expected = {site.farm.post_id(n) for n in range(n_posts) if n not in site.faults.gone}
    assert set(posts) == expected
    written = result.stdout.split()
    assert len(written) == len(expected) and len(set(written)) == len(expected)
    assert all((root / p).is_file() for p in written)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and all("404" in e or "not found" in e.lower() for e in errors)
    assert "37 archived" in result.stderr and "3 gone" in result.stderr
    retry_list = [line for line in failed_list.read_text().splitlines() if not line.startswith("#")]
    assert retry_list == sorted(retry_list, key=urls.index)
    assert set(retry_list) == {urls[5], urls[17], urls[33]}
    assert leftovers(root) == []


@pytest.mark.parametrize("processes", ["0", "2"])
def test_a_challenge_page_fails_its_post_only(site: Site, tmp_path: Path, processes: str) -> None:
    """Decoded and checked in the fetching thread, or in a worker process (--processes 2)."""
    site.faults = Faults(challenge={2})
    root = tmp_path / "blog"
    urls = [site.url(n) for n in range(4)]
    result = run(
        [
            str(write_list(tmp_path, urls)),
            "--site",
            str(root),
            "--jobs",
            "2",
            "--processes",
            processes,
        ]
    )
    assert result.exit_code == 1, result.stderr
    assert set(archived(root)) == {site.farm.post_id(n) for n in (0, 1, 3)}
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {urls[2]}: blocked by Cloudflare's bot check (HTTP 200); open the "
        "post in a browser, save the page (Ctrl+S) and archive the saved .html file, "
        "or pass the browser's cookies and user agent (--cookies cookies.txt "
        "--user-agent UA)"
    ]


def test_a_re_run_skips_archived_posts_without_fetching_them(site: Site, tmp_path: Path) -> None:
    root = tmp_path / "blog"
    urls = [site.url(n) for n in range(10)]
    first = run([str(write_list(tmp_path, urls[:6])), "--site", str(root), "--processes", "0"])
    assert first.exit_code == 0, first.stderr
    hits_before = len(site.hits)
    second = run([str(write_list(tmp_path, urls)), "--site", str(root), "--processes", "0"])
    assert second.exit_code == 0, second.stderr
    assert "4 archived" in second.stderr and "6 already archived" in second.stderr
    fetched = {post for _, post, _ in site.hits[hits_before:]}
    assert fetched == {6, 7, 8, 9}
    assert len(archived(root)) == 10


def test_refresh_fetches_again_and_leaves_unchanged_posts_alone(site: Site, tmp_path: Path) -> None:
    root = tmp_path / "blog"
    listing = write_list(tmp_path, [site.url(n) for n in range(3)])
    assert run([str(listing), "--site", str(root), "--processes", "0"]).exit_code == 0
    mtimes = {p: p.stat().st_mtime_ns for p in archived(root).values()}
    again = run([str(listing), "--site", str(root), "--refresh", "--processes", "0"])
    assert again.exit_code == 0, again.stderr
    assert "3 unchanged" in again.stderr
    assert {p: p.stat().st_mtime_ns for p in archived(root).values()} == mtimes
    assert all(site.requests_for(n) == 2 for n in range(3))


def test_the_list_is_forgiving_and_reports_bad_lines(site: Site, tmp_path: Path) -> None:
    root = tmp_path / "blog"
    url0, url1 = site.url(0), site.url(1)
    lines = [
        "# my reading list",
        "",
        f"  <{url0}>  ",
        f"{url1}.",
        f"{url0}?source=rss----1234---4",  # the same post again
        "this is not a url",
        str(ROOT / "fixtures" / "sample" / "sample-post.html"),
    ]
    result = run(["-", "--site", str(root), "--json", "--processes", "0"], stdin="\n".join(lines))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    by_line = {r["line"]: r for r in report["inputs"]}
    assert sorted(by_line) == [3, 4, 5, 6, 7]
    assert by_line[3]["status"] == "archived" and by_line[3]["post_id"] == site.farm.post_id(0)
    assert by_line[4]["status"] == "archived"
    assert by_line[5]["status"] == "duplicate"
    assert by_line[6]["status"] == "invalid"
    assert by_line[6]["error"] == (
        "line 6: not an http(s) URL or an existing file: this is not a url"
    )
    assert by_line[7]["status"] == "archived" and by_line[7]["post_id"] == "5a3c2e1f9b7d"
    assert all(set(r) >= {"input", "post_id", "status", "path", "error"} for r in by_line.values())
    assert report["summary"]["archived"] == 3 and report["summary"]["invalid"] == 1
    assert "line 6: not an http(s) URL" in result.stderr
    assert len(archived(root)) == 3


def test_a_429_slows_every_worker_for_that_host(site: Site, tmp_path: Path) -> None:
    site.faults = Faults(too_many={0}, delay=0.05)
    urls = [site.url(n) for n in range(12)]
    result = run(
        [
            str(write_list(tmp_path, urls)),
            "--site",
            str(tmp_path / "blog"),
            "--jobs",
            "6",
            "--rate",
            "1000",
            "--processes",
            "0",
        ]
    )
    assert result.exit_code == 0, result.stderr
    told = next(t for t, n, status in site.hits if status == 429)
    # Requests that reached the server after the 429 was answered waited out its Retry-After
    # (the 0.05 s server delay is before the log, so allow that much).
    early = [n for t, n, _ in site.hits if told + 0.05 < t < told + 0.9]
    assert early == []
    assert len(archived(tmp_path / "blog")) == 12


def test_rate_limits_requests_per_host(site: Site, tmp_path: Path) -> None:
    urls = [site.url(n) for n in range(8)]
    started = time.monotonic()
    result = run(
        [
            str(write_list(tmp_path, urls)),
            "--site",
            str(tmp_path / "blog"),
            "--jobs",
            "8",
            "--rate",
            "10",
            "--processes",
            "0",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert time.monotonic() - started >= 0.65  # 8 starts 0.1 s apart take at least 0.7 s
    times = sorted(t for t, _, _ in site.hits)
    assert all(b - a > 0.07 for a, b in zip(times, times[1:], strict=False))


def test_fail_fast_stops_at_the_first_failure(site: Site, tmp_path: Path) -> None:
    site.faults = Faults(gone={0})
    urls = [site.url(n) for n in range(30)]
    result = run(
        [
            str(write_list(tmp_path, urls)),
            "--site",
            str(tmp_path / "blog"),
            "--jobs",
            "1",
            "--fail-fast",
            "--processes",
            "0",
        ]
    )
    assert result.exit_code == 1
    assert "--fail-fast" in result.stderr
    assert len(site.hits) < 5


def test_rendering_in_worker_processes_gives_the_same_files(site: Site, tmp_path: Path) -> None:
    listing = write_list(tmp_path, [site.url(n) for n in range(6)])
    threads = run([str(listing), "--site", str(tmp_path / "a"), "--jobs", "3", "--processes", "0"])
    pool = run([str(listing), "--site", str(tmp_path / "b"), "--jobs", "3", "--processes", "2"])
    assert threads.exit_code == pool.exit_code == 0, pool.stderr
    a, b = archived(tmp_path / "a"), archived(tmp_path / "b")
    assert set(a) == set(b) and len(a) == 6
    for post_id in a:
        assert a[post_id].read_bytes() == b[post_id].read_bytes()


def test_sigint_stops_cleanly_and_a_re_run_completes(site: Site, tmp_path: Path) -> None:
    site.faults = Faults(delay=0.2)
    n_posts = 24
    urls = [site.url(n) for n in range(n_posts)]
    listing = write_list(tmp_path, urls)
    root = tmp_path / "blog"
    command = [
        sys.executable,
        "-m",
        "medium_archive",
        "import",
        str(listing),
        "--site",
        str(root),
        "--jobs",
        "3",
        "--rate",
        "1000",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    assert process.stdout is not None
    first_paths = [process.stdout.readline().strip() for _ in range(3)]  # three posts finished
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err
    done = archived(root)  # every file written parses: none is half written
    assert 3 <= len(done) < n_posts
    assert all(p and (root / p).is_file() for p in first_paths + out.split())
    assert leftovers(root) == []
    hits_before = len(site.hits)
    rerun = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(done)} already archived" in rerun.stderr
    assert len(archived(root)) == n_posts
    refetched = {post for _, post, _ in site.hits[hits_before:]}
    assert refetched.isdisjoint({n for n in range(n_posts) if site.farm.post_id(n) in done})
    assert leftovers(root) == []


def test_a_missing_list_is_a_usage_error(tmp_path: Path) -> None:
    result = run([str(tmp_path / "nope.txt"), "--site", str(tmp_path / "blog")])
    assert result.exit_code == 2
    assert "nope.txt: No such file or directory" in result.stderr


def test_jobs_caps_the_requests_in_flight_with_parse_processes(site: Site, tmp_path: Path) -> None:
    """With worker processes, more threads than --jobs run (so that fetching goes on while pages
    are parsed), yet never more than --jobs requests are in flight at once."""
    in_flight = 0
    most = 0
    count_lock = threading.Lock()
    plain = site.handle

    def counting(request: Request) -> Response:
        nonlocal in_flight, most
        with count_lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            time.sleep(0.05)
            return plain(request)
        finally:
            with count_lock:
                in_flight -= 1

    site.server.clear()
    site.server.expect_request(re.compile(r"^/@farm/")).respond_with_handler(counting)
    root = tmp_path / "blog"
    urls = [site.url(n) for n in range(24)]
    result = run(
        [
            str(write_list(tmp_path, urls)),
            "--site",
            str(root),
            "--jobs",
            "3",
            "--rate",
            "1000",
            "--processes",
            "2",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert len(archived(root)) == 24
    assert most == 3
