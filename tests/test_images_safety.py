"""What ``--images`` may save, and where member-only feed items may be fetched from (issue 13,
item 9): bytes that are really images, no SVG that can run script, no download from a local or
private address a page merely names, feed items only from Medium or the feed's own host.

A server on 127.0.0.1 plays the hostile image host; the conftest guard makes any attempt to
reach another address fail loudly, so "not fetched" is checked by the server's log.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, LocalHTTPServer
from pytest_httpserver import HTTPServer
from test_images import GIF, png_bytes

from medium_archive import images
from medium_archive.accounts import feed_link_refusal
from medium_archive.cli import cli
from medium_archive.extract import extract_post
from medium_archive.fetch import make_session
from medium_archive.hosts import is_local_host, refusal
from medium_archive.images import checked_image, localize_images, svg_refusal
from medium_archive.sources.feed import parse_feed
from medium_archive.store import Site

SAMPLE = FIXTURES / "sample" / "sample-post.html"
POST_ID = "5a3c2e1f9b7d"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 16
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SAFE_SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
    b'xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><defs><linearGradient '
    b'id="g"/></defs><rect width="10" height="10" fill="url(#g)"/><use xlink:href="#g"/>'
    b"<text>javascript: is only text here</text></svg>"
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
EVIL_SVGS = {
    "script": SVG.format("<script>alert(1)</script>"),
    "handler": SVG.format('<rect onload="alert(1)" width="1" height="1"/>'),
    "handler on root": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "javascript link": SVG.format('<a href="javascript:alert(1)"><text>x</text></a>'),
    "obfuscated link": SVG.format('<a xlink:href="java&#x09;script:alert(1)"><text>x</text></a>'),
    "animated link": SVG.format('<a><set attributeName="href" to="javascript:alert(1)"/></a>'),
    "foreign object": SVG.format("<foreignObject><iframe src='https://x.test'/></foreignObject>"),
    "outside image": SVG.format('<image href="https://tracker.test/p.png"/>'),
    "html data link": SVG.format('<a href="data:text/html,&lt;script&gt;x"><text>x</text></a>'),
    "style": SVG.format("<style>@import url(https://x.test/a.css);</style>"),
    "entities": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    + SVG.format("<text>&b;</text>"),
    "stylesheet": '<?xml-stylesheet href="https://x.test/s.xsl"?>' + SVG.format(""),
    "not xml": "<svg><script>alert(1)",
}


# --- what the bytes are --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "data", "saved_as"),
    [
        ("image/png", png_bytes(), "image/png"),
        ("image/gif", GIF, "image/gif"),
        ("image/png", JPEG, "image/jpeg"),  # the bytes decide the type (and the extension)
        ("application/octet-stream", WEBP, "image/webp"),
        ("image/avif", AVIF, "image/avif"),
        ("image/bmp", b"BM" + b"\x00" * 40, "image/bmp"),
        ("image/x-icon", b"\x00\x00\x01\x00\x01\x00" + b"\x00" * 20, "image/x-icon"),
        ("image/svg+xml", SAFE_SVG, "image/svg+xml"),
    ],
)
def test_images_are_known_by_their_bytes(content_type: str, data: bytes, saved_as: str) -> None:
    assert checked_image(content_type, data) == (saved_as, "")


@pytest.mark.parametrize(
    ("content_type", "data", "reason"),
    [
        ("image/png", HTML, "the bytes are HTML"),
        ("image/jpeg", b"just some text", "not a known image format"),
        ("text/html", png_bytes(), "not an image (the server sent 'text/html')"),
        ("application/octet-stream", HTML, "the bytes are HTML"),
    ],
)
def test_what_is_not_an_image_is_refused(content_type: str, data: bytes, reason: str) -> None:
    media, why = checked_image(content_type, data)
    assert media is None and reason in why


@pytest.mark.parametrize("name", sorted(EVIL_SVGS))
def test_an_svg_that_could_run_script_is_refused(name: str) -> None:
    data = EVIL_SVGS[name].encode("utf-8")
    assert svg_refusal(data) != ""
    media, why = checked_image("image/svg+xml", data)
    assert media is None and "unsafe to serve from the site" in why


def test_a_plain_svg_with_an_inlined_raster_image_is_kept() -> None:
    inlined = base64.b64encode(png_bytes()).decode()
    svg = SVG.format(f'<image href="data:image/png;base64,{inlined}" width="1" height="1"/>')
    assert svg_refusal(svg.encode()) == ""


# --- where images come from ----------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.9",
        "169.254.169.254",
        "[::1]",
        "[fe80::1]",
        "0.0.0.0",
        "[::ffff:127.0.0.1]",
        "100.64.0.1",
    ],
)
def test_local_and_private_addresses_are_refused_when_only_named(host: str) -> None:
    url = f"http://{host}/max/800/1*x.png"
    assert is_local_host(host.strip("[]"))
    assert "local or private address" in refusal(url, named={host.strip("[]")})
    assert refusal(url, fetched_from={host.strip("[]")}) == ""  # the user sent us there


def test_medium_and_the_posts_own_public_host_are_allowed() -> None:
    assert refusal("https://miro.medium.com/v2/1*x.png") == ""
    assert refusal("https://cdn-images-1.medium.com/max/800/1*x.png") == ""
    assert refusal("https://blog.example.org/i.png", named={"blog.example.org"}) == ""
    assert "neither Medium's nor the post's own host" in refusal("https://elsewhere.test/i.png")
    assert refusal("file:///etc/passwd") == "not an http(s) URL"


def page_with_images(base: str, srcs: list[str]) -> str:
    """The sample page (which names medium.com as its home) with its images on ``base`` and
    more figures at ``srcs``."""
    html = SAMPLE.read_text(encoding="utf-8").replace("https://miro.medium.com/", f"{base}/")
    extra = "".join(
        f'<figure><img src="{src}" alt="img{i}"><figcaption>c{i}</figcaption></figure>'
        for i, src in enumerate(srcs)
    )
    return html.replace("</figure>", "</figure>" + extra, 1)


@pytest.fixture
def local_server() -> Iterator[HTTPServer]:
    server = LocalHTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def hostile(local_server: HTTPServer) -> HTTPServer:
    httpserver = local_server
    httpserver.expect_request(re.compile("^/max/")).respond_with_data(
        png_bytes(), content_type="image/png"
    )
    httpserver.expect_request("/evil.svg").respond_with_data(
        EVIL_SVGS["script"], content_type="image/svg+xml"
    )
    httpserver.expect_request("/page.png").respond_with_data(HTML, content_type="image/png")
    httpserver.expect_request("/good.png").respond_with_data(png_bytes(), content_type="image/png")
    httpserver.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": "http://localhost:1/internal.png"}
    )
    return httpserver


def test_images_named_on_a_local_address_are_not_fetched(
    hostile: HTTPServer, tmp_path: Path
) -> None:
    base = hostile.url_for("").rstrip("/")
    html = page_with_images(base, [f"{base}/good.png", f"{base}/evil.svg"])
    post = extract_post(html, "https://medium.com/@someone/p-" + POST_ID)
    site = Site(tmp_path)
    new, warnings = localize_images(post, site=site, session=make_session(retries=0))
    assert len(hostile.log) == 0  # nothing was asked of the local server
    assert len(warnings) >= 3  # the two figures and the lead image
    assert all("127.0.0.1 is a local or private address" in w for w in warnings)
    assert new == post
    assert not (tmp_path / "assets").exists()
    # The host the post was fetched from, or one the caller allows, is another matter.
    for kwargs in ({"fetched_from": f"{base}/post"}, {"allowed_hosts": {"127.0.0.1"}}):
        folder = tmp_path / "assets" / POST_ID
        for path in folder.glob("*"):
            path.unlink()
        new, warnings = localize_images(post, site=site, session=make_session(retries=0), **kwargs)
        saved = sorted(p.name for p in folder.iterdir())
        assert len(saved) == 2 and saved[1].startswith("good-"), saved  # lead image and good.png
        assert len(warnings) == 1 and "unsafe to serve from the site" in warnings[0]


def test_archive_images_saves_only_real_images(
    hostile: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "ALLOWED_HOSTS", frozenset({"127.0.0.1"}))
    base = hostile.url_for("").rstrip("/")
    page = tmp_path / "page.html"
    srcs = [f"{base}/good.png", f"{base}/evil.svg", f"{base}/page.png", f"{base}/go"]
    page.write_text(page_with_images(base, srcs), encoding="utf-8")
    site = tmp_path / "blog"
    result = CliRunner().invoke(cli, ["archive", str(page), "--site", str(site), "--images"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    saved = sorted(p.name for p in (site / "assets" / POST_ID).iterdir())
    assert len(saved) == 2 and saved[1].startswith("good-") and saved[1].endswith(".png")
    warnings = [line for line in result.stderr.splitlines() if "not saved" in line]
    assert len(warnings) == 3, result.stderr  # evil.svg, page.png and the redirect
    assert any("evil.svg not saved: an SVG image that holds a <script>" in w for w in warnings)
    assert any("page.png not saved: not an image" in w and "HTML" in w for w in warnings)
    assert any(
        "/go not saved: redirected to http://localhost:1/internal.png" in w for w in warnings
    )
    post = next((site / "_posts").glob("*.md")).read_text(encoding="utf-8")
    assert f"{base}/evil.svg" in post and f"{base}/page.png" in post  # remote links kept
    assert "<script>" not in post


# --- member-only feed items ---------------------------------------------------------------

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Stories by Some One on Medium</title><link>{channel}</link><description>x</description>
<item><title>Members only</title><link>{link}</link>
<guid isPermaLink="false">https://medium.com/p/aaaaaaaaaaaa</guid><dc:creator>Some One</dc:creator>
<pubDate>Sat, 02 Mar 2024 09:08:07 GMT</pubDate>
<description>A snippet…</description></item></channel></rss>"""


def test_feed_items_are_fetched_only_from_medium_or_the_feeds_host() -> None:
    def feed(url: str, channel: str, link: str) -> object:
        return parse_feed(FEED.format(channel=channel, link=link).encode(), url)

    medium = "https://medium.com/@someone"
    item = "/@someone/members-only-aaaaaaaaaaaa"
    cases = [
        ("feed.xml", medium, f"http://127.0.0.1:9{item}", "local or private address"),
        ("feed.xml", "http://10.0.0.5/", f"http://10.0.0.5{item}", "local or private address"),
        ("feed.xml", medium, f"https://elsewhere.test{item}", "neither Medium's"),
        ("http://127.0.0.1:9/feed", medium, f"http://127.0.0.1:9{item}", ""),
        ("https://pub.example/feed", medium, f"https://pub.example{item}", ""),
        ("feed.xml", "https://pub.example/", f"https://pub.example{item}", ""),
        ("feed.xml", medium, f"https://medium.com{item}", ""),
    ]
    for url, channel, link, expected in cases:
        parsed = feed(url, channel, link)
        (only,) = parsed.items  # type: ignore[attr-defined]
        why = feed_link_refusal(only.link, parsed)  # type: ignore[arg-type]
        assert (expected in why) if expected else why == "", (url, link, why)


def test_import_of_a_feed_naming_a_local_page_does_not_fetch_it(
    local_server: HTTPServer, tmp_path: Path
) -> None:
    httpserver = local_server
    httpserver.expect_request(re.compile(".*")).respond_with_data("<html></html>")
    link = httpserver.url_for("/@someone/members-only-aaaaaaaaaaaa")
    feed_file = tmp_path / "feed.xml"
    feed_file.write_text(FEED.format(channel="https://medium.com/@someone", link=link))
    result = CliRunner().invoke(cli, ["import", str(feed_file), "--site", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "not fetched: 127.0.0.1 is a local or private address" in errors[0]
    assert len(httpserver.log) == 0
