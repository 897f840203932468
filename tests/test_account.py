"""`medium-archive import` of a whole account by its name, against a real server on 127.0.0.1.

The server plays Medium for one account, ``@farm``: its profile page (``/@farm``, and ``/`` as a
custom domain's root would), the GraphQL endpoint ``POST /_/graphql`` answering the listing in
pages of 10 (25 posts: 3 pages, ``next: null`` at the end), the 25 post pages (tests/farm.py:
the sample fixture with a distinct post id and slug each) and the account's RSS feed. ``@farm``
is resolved on the server through ``MEDIUM_ARCHIVE_ORIGIN``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import ROOT
from farm import Farm, templates
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from medium_archive.accounts import import_hint, source_kind
from medium_archive.cli import cli
from medium_archive.sources.account import (
    Account,
    ListingError,
    account_for,
    parse_listing,
    profile_username,
)

N_POSTS = 25
PAGE = 10
CHALLENGE = (ROOT / "fixtures" / "fetch" / "cloudflare-challenge.html").read_bytes()
PROFILE = """<!DOCTYPE html><html><head><title>Farm – Medium</title>
<meta property="al:ios:url" content="medium://@farm">
<meta property="al:android:url" content="medium://@farm">
</head><body><h1>Farm</h1></body></html>"""


@dataclass
class Medium:
    """The fake Medium: what it serves, and every request it saw."""

    server: HTTPServer
    farm: Farm
    listing: str = "ok"  # "ok" | "challenge" | "errors" | "html" | "fail-page-2" | "429-once"
    hold_last_page: threading.Event | None = None  # the last page waits for it
    post_delay: float = 0.0
    posts: list[int] = field(default_factory=list)  # post numbers fetched
    pages: list[dict[str, Any]] = field(default_factory=list)  # GraphQL variables asked
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "") -> str:
        return self.server.url_for(path).rstrip("/")

    def post(self, request: Request) -> Response:
        n = self.farm.number(request.path)
        if n is None or n >= N_POSTS:
            return Response("no such post", status=404)
        with self.lock:
            self.posts.append(n)
        time.sleep(self.post_delay)
        return Response(self.farm.page(n), content_type="text/html; charset=utf-8")

    def graphql(self, request: Request) -> Response:
        operations = json.loads(request.get_data())
        variables = operations[0]["variables"]
        with self.lock:
            self.pages.append(variables)
        if self.hold_last_page is not None and variables["from"] == str(N_POSTS // PAGE * PAGE):
            self.hold_last_page.wait(timeout=60)
        if self.listing == "challenge":
            return Response(
                CHALLENGE,
                status=403,
                content_type="text/html; charset=utf-8",
                headers={"cf-mitigated": "challenge"},
            )
        if self.listing == "errors":
            body = [{"errors": [{"message": 'Cannot query field "homepagePostsConnection"'}]}]
            return Response(json.dumps(body), content_type="application/json")
        if self.listing == "html":
            return Response(
                "<!DOCTYPE html><html><body>Hello</body></html>", content_type="text/html"
            )
        if self.listing == "429-once" and len(self.pages) == 2:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        assert variables["username"] == "farm"
        start = int(variables["from"] or 0)
        if self.listing == "fail-page-2" and start:
            return Response("oops", status=500)
        numbers = range(start, min(start + PAGE, N_POSTS))
        posts = [
            {
                "id": self.farm.post_id(n),
                "mediumUrl": self.url(self.farm.path(n)) + "?source=x",
                "title": f"Post {n}",
                "firstPublishedAt": 1_600_000_000_000 - n,
            }
            for n in numbers
        ]
        after = start + PAGE
        following = {"from": str(after), "limit": PAGE} if after < N_POSTS else None
        user = {
            "__typename": "User",
            "id": "u1",
            "username": "farm",
            "name": "Farm",
            "homepagePostsConnection": {"posts": posts, "pagingInfo": {"next": following}},
        }
        return Response(
            json.dumps([{"data": {"userResult": user}}]), content_type="application/json"
        )

    def feed(self, count: int = 3) -> bytes:
        items = "".join(
            f"""<item><title><![CDATA[Feed post {n}]]></title>
<link>{self.url(self.farm.path(n))}?source=rss</link>
<guid isPermaLink="false">https://medium.com/p/{self.farm.post_id(n)}</guid>
<category><![CDATA[testing]]></category><dc:creator><![CDATA[Farm]]></dc:creator>
<pubDate>Sat, 02 Mar 2024 09:08:{n:02d} GMT</pubDate>
<content:encoded><![CDATA[<p>The text of feed post {n}, long enough to be a post.</p>]]>
</content:encoded></item>"""
            for n in range(count)
        )
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0"><channel>
<title><![CDATA[Stories by Farm on Medium]]></title><description>x</description>
<link>https://medium.com/@farm?source=rss-0123456789ab------2</link>{items}</channel></rss>
""".encode()


@pytest.fixture
def medium() -> Iterator[Medium]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    state = Medium(server, Farm(templates(None)))
    server.expect_request(re.compile(r"^/@farm/")).respond_with_handler(state.post)
    server.expect_request("/_/graphql", method="POST").respond_with_handler(state.graphql)
    for path in ("/@farm", "/"):
        server.expect_request(path).respond_with_data(PROFILE, content_type="text/html")
    server.expect_request("/feed/@farm").respond_with_handler(
        lambda request: Response(state.feed(), content_type="application/rss+xml")
    )
    yield state
    server.clear()
    if server.is_running():
        server.stop()


def run(args: list[str], medium: Medium | None = None) -> Result:
    env = {"MEDIUM_ARCHIVE_ORIGIN": medium.url()} if medium else {}
    return CliRunner().invoke(cli, ["import", *args], env=env, catch_exceptions=False)


def archived(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((root / "_posts").glob("*.md")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        assert meta["identifier"] not in found, f"{meta['identifier']} archived twice"
        found[meta["identifier"]] = path
    return found


# --- what an argument names -------------------------------------------------------------------


def test_accounts_publications_and_posts_are_told_apart() -> None:
    assert account_for("@someone") == Account("someone", "https://medium.com")
    assert account_for("@someone", "http://127.0.0.1:9") == Account("someone", "http://127.0.0.1:9")
    assert account_for("https://medium.com/@someone?source=x") == Account(
        "someone", "https://medium.com"
    )
    assert account_for("https://someone.medium.com/") == Account(
        "someone", "https://someone.medium.com", subdomain=True
    )
    assert account_for("https://medium.com/@someone/a-post-1234567890ab") is None
    assert account_for("https://medium.com/the-pub") is None
    assert Account("someone", "https://medium.com").feed_url == "https://medium.com/feed/@someone"
    assert Account("x", "https://x.medium.com", True).feed_url == "https://x.medium.com/feed"
    assert source_kind("@someone") == "account"
    assert source_kind("https://medium.com/@someone") == "account"
    assert source_kind("https://someone.medium.com") == "account"
    assert source_kind("https://medium.com/the-pub") == "publication"
    assert source_kind("https://blog.example.com/") == "site"
    assert source_kind("https://blog.example.com/tagged/python") == "publication"
    assert source_kind("https://medium.com/the-pub/a-post-1234567890ab") == "post"
    assert source_kind("https://medium.com/feed/the-pub") == "feed"


def test_a_profile_page_names_its_account() -> None:
    assert profile_username(PROFILE) == "farm"
    profile = (ROOT / "fixtures" / "unseen" / "e3_profile_2018.html").read_text(encoding="utf-8")
    assert profile_username(profile) == "samhawker"
    sample = (ROOT / "fixtures" / "sample" / "sample-post.html").read_text(encoding="utf-8")
    assert profile_username(sample) is None
    homepage = '<meta property="al:android:url" content="medium://netflix-techblog">'
    assert profile_username(homepage) is None


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"<!DOCTYPE html><p>hi</p>", "an HTML page"),
        (b"]}while(1);", "not JSON"),
        (b'[{"errors": [{"message": "Bad\\nthing"}]}]', "GraphQL errors: Bad thing"),
        (b'[{"data": {"userResult": {"__typename": "NotFound"}}}]', "no Medium account named"),
        (b'[{"data": {"userResult": {"__typename": "User"}}}]', "homepagePostsConnection"),
        (
            b'[{"data": {"userResult": {"homepagePostsConnection": {"posts": [{"id": 3}]}}}}]',
            "post id",
        ),
        (b'[{"data": {"userResult": {"homepagePostsConnection": {"posts": []}}}}]', "pagingInfo"),
    ],
)
def test_anything_but_the_listing_is_a_listing_error(answer: bytes, reason: str) -> None:
    with pytest.raises(ListingError, match=re.escape(reason)):
        parse_listing(answer, Account("farm", "https://medium.com"))


def test_archive_points_whole_sources_to_import(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("# mine\nhttps://medium.com/p/1234567890ab\n", encoding="utf-8")
    for source in (
        "@someone",
        "https://medium.com/@someone",
        "https://medium.com/the-pub",
        str(listing),
    ):
        hint = import_hint(source)
        assert hint is not None and f"use `medium-archive import {source}`" in hint
    assert import_hint("https://medium.com/@someone/a-post-1234567890ab") is None
    assert import_hint(str(ROOT / "fixtures" / "sample" / "sample-post.html")) is None
    result = CliRunner().invoke(cli, ["archive", "@someone", "--site", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: @someone: a Medium account, not a post; use `medium-archive import @someone` "
        "for its posts"
    ]


# --- the listing, end to end ------------------------------------------------------------------


@pytest.mark.parametrize("form", ["@farm", "profile", "custom-domain"])
def test_every_post_of_an_account_is_archived_once(
    medium: Medium, tmp_path: Path, form: str
) -> None:
    source = {"@farm": "@farm", "profile": medium.url("/@farm"), "custom-domain": medium.url()}[
        form
    ]
    root = tmp_path / "blog"
    result = run(
        [source, "--site", str(root), "--jobs", "4", "--rate", "1000", "--processes", "0"], medium
    )
    assert result.exit_code == 0, result.stderr
    assert set(archived(root)) == {medium.farm.post_id(n) for n in range(N_POSTS)}
    assert sorted(medium.posts) == list(range(N_POSTS))  # each post fetched once
    assert [p["from"] for p in medium.pages] == [None, "10", "20"]
    assert all(p["limit"] == PAGE and p["responses"] is False for p in medium.pages)
    assert len(result.stdout.split()) == N_POSTS
    assert "25 archived" in result.stderr and "warning" not in result.stderr


def test_a_second_run_fetches_no_post(medium: Medium, tmp_path: Path) -> None:
    root = tmp_path / "blog"
    args = ["@farm", "--site", str(root), "--processes", "0", "--json"]
    assert run(args, medium).exit_code == 0
    medium.posts.clear()
    medium.pages.clear()
    again = run(args, medium)
    assert again.exit_code == 0, again.stderr
    assert medium.posts == []
    assert len(medium.pages) == 3  # the listing is read again, to find new posts
    report = json.loads(again.stdout)
    assert report["summary"]["already archived"] == N_POSTS
    assert report["summary"]["archived"] == 0


@pytest.mark.parametrize(
    ("listing", "reason"),
    [
        ("challenge", "answered with Cloudflare's bot check (HTTP 403)"),
        ("errors", "GraphQL errors: Cannot query field"),
        ("html", "the answer is an HTML page"),
    ],
)
def test_a_failed_listing_falls_back_to_the_feed_with_a_warning(
    medium: Medium, tmp_path: Path, listing: str, reason: str
) -> None:
    medium.listing = listing
    root = tmp_path / "blog"
    result = run(["@farm", "--site", str(root), "--processes", "0"], medium)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, result.stderr
    assert warnings[0].startswith("warning: @farm: the account's post listing failed: ")
    assert reason in warnings[0]
    assert f"reading its RSS feed instead ({medium.url('/feed/@farm')})" in warnings[1]
    assert "a feed holds only the 10 latest posts" in warnings[1]
    assert set(archived(root)) == {medium.farm.post_id(n) for n in range(3)}
    assert len(medium.pages) == 1  # a challenge is not retried


def test_a_listing_that_fails_midway_reports_it_and_keeps_what_it_listed(
    medium: Medium, tmp_path: Path
) -> None:
    medium.listing = "fail-page-2"
    root = tmp_path / "blog"
    failed = tmp_path / "failed.txt"
    result = run(
        ["@farm", "--site", str(root), "--processes", "0", "--failed", str(failed)], medium
    )
    assert result.exit_code == 1
    assert len(archived(root)) == PAGE
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: the listing of @farm stopped at page 2: ")
    assert "HTTP 500" in errors[0] and errors[0].endswith("run again to finish")
    assert failed.read_text(encoding="utf-8").startswith("# the listing of @farm stopped at page")


def test_the_listing_is_paced_and_retried_like_post_pages(medium: Medium, tmp_path: Path) -> None:
    """A 429 with Retry-After on the second listing page is waited out and asked again."""
    medium.listing = "429-once"
    root = tmp_path / "blog"
    result = run(["@farm", "--site", str(root), "--processes", "0", "--responses"], medium)
    assert result.exit_code == 0, result.stderr
    assert [p["from"] for p in medium.pages] == [None, "10", "10", "20"]
    assert all(p["responses"] is True for p in medium.pages)  # --responses asks for them
    assert len(archived(root)) == N_POSTS


def test_drafts_are_not_in_a_listing_and_say_so(medium: Medium, tmp_path: Path) -> None:
    result = run(
        ["@farm", "--site", str(tmp_path / "blog"), "--processes", "0", "--drafts"], medium
    )
    assert result.exit_code == 0, result.stderr
    assert "note: drafts are private: an account's listing has none" in result.stderr


def test_a_post_url_is_a_source_of_one_post(medium: Medium, tmp_path: Path) -> None:
    url = medium.url(medium.farm.path(4))
    result = run([url, "--site", str(tmp_path / "blog"), "--processes", "0"])
    assert result.exit_code == 0, result.stderr
    assert set(archived(tmp_path / "blog")) == {medium.farm.post_id(4)}


def test_a_publication_is_read_through_its_feed_with_a_warning(
    medium: Medium, tmp_path: Path
) -> None:
    medium.server.clear()
    homepage = PROFILE.replace("medium://@farm", "medium://farm-pub")
    medium.server.expect_request("/").respond_with_data(homepage, content_type="text/html")
    medium.server.expect_request("/feed").respond_with_handler(
        lambda request: Response(medium.feed(), content_type="application/rss+xml")
    )
    root = tmp_path / "blog"
    result = run([medium.url(), "--site", str(root), "--processes", "0"])
    assert result.exit_code == 0, result.stderr
    assert (
        f"warning: {medium.url()}: read through its RSS feed ({medium.url('/feed')}): "
        "a feed holds only the 10 latest posts" in result.stderr
    )
    assert len(archived(root)) == 3


def test_a_full_feed_given_as_such_says_it_may_lack_older_posts(
    medium: Medium, tmp_path: Path
) -> None:
    medium.server.expect_request("/feed/@full").respond_with_data(
        medium.feed(10), content_type="application/rss+xml"
    )
    url = medium.url("/feed/@full")
    result = run([url, "--site", str(tmp_path / "blog"), "--processes", "0"])
    assert result.exit_code == 0, result.stderr
    assert (
        f"warning: {url}: a feed holds only the 10 latest posts; older posts are not in it"
        in result.stderr.splitlines()
    )
    assert len(archived(tmp_path / "blog")) == 10
    small = run([medium.url("/feed/@farm"), "--site", str(tmp_path / "b2"), "--processes", "0"])
    assert small.exit_code == 0 and "warning" not in small.stderr


def test_sigint_mid_listing_stops_cleanly_and_a_re_run_completes(
    medium: Medium, tmp_path: Path
) -> None:
    """The interrupt comes while the listing's last page is still on its way (the server holds
    it back until the first run has ended): the run stops, and a re-run does the rest."""
    medium.hold_last_page = threading.Event()
    medium.post_delay = 0.2
    root = tmp_path / "blog"
    command = [
        sys.executable,
        "-m",
        "medium_archive",
        "import",
        "@farm",
        "--site",
        str(root),
        "--jobs",
        "2",
        "--rate",
        "1000",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDIUM_ARCHIVE_ORIGIN": medium.url()}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    assert process.stdout is not None
    first_paths = [process.stdout.readline().strip() for _ in range(3)]
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=30)
    finally:
        medium.hold_last_page.set()
    assert process.returncode == 130, err
    assert "interrupted" in err
    done = archived(root)
    assert 3 <= len(done) <= 2 * PAGE  # none of the last page's posts: it was never answered
    assert all(p and (root / p).is_file() for p in first_paths + out.split())
    posts_before = len(medium.posts)
    rerun = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(done)} already archived" in rerun.stderr
    assert set(archived(root)) == {medium.farm.post_id(n) for n in range(N_POSTS)}
    refetched = set(medium.posts[posts_before:])
    assert refetched.isdisjoint({n for n in range(N_POSTS) if medium.farm.post_id(n) in done})
