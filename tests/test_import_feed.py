"""`medium-archive import` of RSS feeds served by a real HTTP server on 127.0.0.1.

The feeds are the real ones in shared/corpus/formats/rss, served as they are or (for the
member-only test) with their item links pointed at the test server; expected values come from
the hand-verified truth files. ``@user`` would reach medium.com, so its mapping to a feed URL is
tested on its own and imports use the local feed URL.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import FIXTURES, load_truth
from pytest_httpserver import HTTPServer

from medium_archive.accounts import source_kind
from medium_archive.cli import cli
from medium_archive.sources.feed import feed_url_for

RSS = "application/rss+xml; charset=utf-8"
FULL = "linukaarambawela__user-feed-2026-02"  # every item with content:encoded
SNIPPETS = "sruthikorlakunta__user-feed-BROWSER-SAVED-2026-03"  # member-only: snippets only
WITH_RESPONSES = "enkiv2-2017-export__medium"  # posts, responses and drafts
CHALLENGE = "linukaarambawela__CLOUDFLARE-CHALLENGE-2024-09.html"
SAMPLE_ID = "5a3c2e1f9b7d"  # the post id of fixtures/sample/sample-post.html


def feed_bytes(corpus: Path, name: str) -> bytes:
    suffix = ".rss" if name == WITH_RESPONSES else ".xml"
    return (corpus / "formats" / "rss" / f"{name}{suffix}").read_bytes()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["import", *args], catch_exceptions=False)


def posts_by_id(root: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(root.glob("_*/*.md")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        assert meta["identifier"] not in found, f"{meta['identifier']} written twice"
        found[meta["identifier"]] = meta
    return found


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def serve_feed(server: HTTPServer, data: bytes, path: str = "/feed/@someone") -> str:
    server.expect_request(path).respond_with_data(data, content_type=RSS)
    return server.url_for(path)


def test_user_handles_and_feed_urls_are_feed_sources(tmp_path: Path) -> None:
    assert feed_url_for("@enkiv2") == "https://medium.com/feed/@enkiv2"
    assert feed_url_for("https://medium.com/feed/@enkiv2") == "https://medium.com/feed/@enkiv2"
    assert source_kind("@enkiv2") == "account"  # listed by GraphQL; its feed is the fallback
    assert source_kind("https://medium.com/feed/the-archivist") == "feed"
    assert source_kind("http://127.0.0.1:8080/feed/@someone") == "feed"
    saved = tmp_path / "saved.xml"
    saved.write_bytes((FIXTURES / "feed" / "user-feed.xml").read_bytes())
    assert source_kind(str(saved)) == "feed"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-bom"])
def test_full_content_items_are_archived(
    corpus: Path, tmp_path: Path, httpserver: HTTPServer, encoding: str
) -> None:
    data = feed_bytes(corpus, FULL)
    if encoding == "utf-16-bom":
        data = codecs.BOM_UTF16_LE + data.decode("utf-8").encode("utf-16-le")
    url = serve_feed(httpserver, data)
    truth = load_truth(f"formats__{FULL}.json")
    site = tmp_path / "blog"
    result = run(url, "--site", str(site))
    assert result.exit_code == 0, result.output
    written = posts_by_id(site)
    assert set(written) == {item["post_id"] for item in truth["items"]}
    for item in truth["items"]:
        meta = written[item["post_id"]]
        if item["title"].endswith("…"):  # the feed cuts long titles: the body's heading is whole
            stem = words(item["title"])[:-1]
            assert words(meta["title"])[: len(stem)] == stem and not meta["title"].endswith("…")
        else:
            assert meta["title"] == item["title"]
        assert meta["url"] == item["canonical_url"]  # ?source= stripped
        assert "?source=" not in meta["url"]
        assert meta["datePublished"] == item["date_published"]
        assert meta["author"][0]["name"] == item["author"]["name"]
    assert f"{len(truth['items'])} archived" in result.stderr


def test_a_second_feed_import_changes_nothing(
    corpus: Path, tmp_path: Path, httpserver: HTTPServer
) -> None:
    url = serve_feed(httpserver, feed_bytes(corpus, FULL))
    site = tmp_path / "blog"
    assert run(url, "--site", str(site)).exit_code == 0
    before = {
        p: (p.stat().st_mtime_ns, p.read_bytes())
        for p in site.rglob("*")
        if p.is_file() and p.name != ".medium-archive.lock"  # the site lock's mtime is not content
    }
    result = run(url, "--site", str(site), "--json")
    assert result.exit_code == 0, result.output
    after = {
        p: (p.stat().st_mtime_ns, p.read_bytes())
        for p in site.rglob("*")
        if p.is_file() and p.name != ".medium-archive.lock"  # the site lock's mtime is not content
    }
    assert after == before
    summary = json.loads(result.stdout)["summary"]
    posts = [p for p in before if p.parent.name == "_posts"]  # the rest is the starter site
    assert summary["archived"] == 0 and summary["already archived"] == len(posts)


def test_member_only_items_are_fetched_as_pages_or_reported(
    corpus: Path, tmp_path: Path, httpserver: HTTPServer
) -> None:
    truth = load_truth(f"formats__{SNIPPETS}.json")
    base = httpserver.url_for("").rstrip("/")
    text = feed_bytes(corpus, SNIPPETS).decode("utf-8")
    local = re.sub(r"<link>https?://[^/<]+/", f"<link>{base}/", text).encode("utf-8")
    url = serve_feed(httpserver, local)
    page_id = truth["items"][0]["post_id"]
    page = (FIXTURES / "sample" / "sample-post.html").read_text(encoding="utf-8")
    httpserver.expect_request(re.compile(f"^/.*-{page_id}$")).respond_with_data(
        page.replace(SAMPLE_ID, page_id), content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request(re.compile("^/(?!feed/)")).respond_with_data("gone", status=404)

    site = tmp_path / "blog"
    result = run(url, "--site", str(site), "--json")
    assert result.exit_code == 1, result.output  # the other member-only posts failed
    report = json.loads(result.stdout)
    statuses = {r["post_id"] or r["input"]: r["status"] for r in report["inputs"]}
    assert statuses.pop(page_id) == "archived"
    assert set(statuses.values()) == {"gone"}
    assert len(statuses) == len(truth["items"]) - 1
    assert set(posts_by_id(site)) == {page_id}
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == len(truth["items"]) - 1
    assert all("only a snippet" in line for line in errors)


def test_responses_and_drafts_are_skipped_unless_asked_for(
    corpus: Path, tmp_path: Path, httpserver: HTTPServer
) -> None:
    truth = load_truth(f"formats__{WITH_RESPONSES}.json")
    response_id = truth["items"][0]["post_id"]  # the first item is a response (truth notes)
    draft_ids = {i["post_id"] for i in truth["items"] if i.get("date_modified") is None}
    url = serve_feed(httpserver, feed_bytes(corpus, WITH_RESPONSES))
    site = tmp_path / "blog"
    result = run(url, "--site", str(site), "--json", "--jobs", "2")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["skipped response"] > 0
    assert summary["skipped draft"] == len(draft_ids) == 3
    written = posts_by_id(site)
    assert response_id not in written and not draft_ids & set(written)
    assert "skipped response" in result.stderr

    result = run(url, "--site", str(site), "--responses", "--json", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert response_id in posts_by_id(site)
    assert json.loads(result.stdout)["summary"]["archived"] == summary["skipped response"]


def test_a_cloudflare_challenge_instead_of_the_feed_is_one_clear_error(
    corpus: Path, tmp_path: Path, httpserver: HTTPServer
) -> None:
    page = (corpus / "formats" / "rss" / CHALLENGE).read_bytes()
    httpserver.expect_request("/feed/@someone").respond_with_data(
        page, status=403, content_type="text/html; charset=UTF-8"
    )
    result = run(httpserver.url_for("/feed/@someone"), "--site", str(tmp_path / "blog"))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Cloudflare" in lines[0] and "feed" in lines[0]
    assert not (tmp_path / "blog" / "_posts").exists()


def test_a_challenge_served_with_200_is_reported_too(
    corpus: Path, tmp_path: Path, httpserver: HTTPServer
) -> None:
    page = (corpus / "formats" / "rss" / CHALLENGE).read_bytes()
    url = serve_feed(httpserver, page)  # wrong content type on purpose: as seen in the wild
    result = run(url, "--site", str(tmp_path / "blog"))
    assert result.exit_code == 1
    assert "Cloudflare" in result.stderr
