"""``--images``: content images saved under assets/<post-id>/, served by a real HTTP server.

The page is fixtures/sample/sample-post.html with its miro.medium.com URLs pointed at a server on
127.0.0.1 and a few more figures added (a PNG, a GIF without extension in its URL, a broken one,
one that is not an image, a slow one). Image bytes are tiny valid PNG/GIF files made here.
"""

from __future__ import annotations

import dataclasses
import re
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
import yaml
from click.testing import CliRunner
from conftest import FIXTURES, LocalHTTPServer, html_of
from pytest_httpserver import HTTPServer
from test_jekyll import jekyll_build, new_site, require_jekyll
from werkzeug import Request, Response

from medium_archive import images
from medium_archive.archive import Loaded, Options, Status, archive_one, localize
from medium_archive.body import extract_body
from medium_archive.cli import cli
from medium_archive.document import Code, Document, Image, Paragraph, Run
from medium_archive.extract import extract_post
from medium_archive.fetch import make_session
from medium_archive.images import file_stem, localize_images, rewrite_figure_images
from medium_archive.markdown import render_markdown
from medium_archive.store import Site

POST_ID = "5a3c2e1f9b7d"
SAMPLE = FIXTURES / "sample" / "sample-post.html"
LEAD = "1*Q2vXkR8sTnPf4LmA1bC3dE.jpeg"  # the sample's figure and og:image, served as a PNG


def png_bytes(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A valid truecolour PNG, written by hand (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


#: A 1x1 GIF89a (header, logical screen, 2-colour table, image descriptor, LZW data, trailer).
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
PNG_LEAD = png_bytes(2, 2, (10, 20, 30))
PNG_CHART = png_bytes(3, 1, (0, 128, 0))


def figure(src: str, alt: str, caption: str = "") -> str:
    """A figure in the modern page markup, as the sample's."""
    cap = f'<figcaption class="lz ma" data-selectable-paragraph="">{caption}</figcaption>'
    return (
        '<figure class="lj lk paragraph-image"><div role="button" tabindex="0" class="lq lr">'
        f'<div class="lp"><picture><img alt="{alt}" class="bg lx" width="700" height="467" '
        f'loading="lazy" role="presentation" src="{src}"/></picture></div></div>'
        f"{cap if caption else ''}</figure>"
    )


def page_html(base: str, *, slow: bool = False, broken: bool = True) -> str:
    """The sample page with images on ``base`` and extra figures after its first one."""
    html = SAMPLE.read_text(encoding="utf-8").replace("https://miro.medium.com/", f"{base}/")
    extra = figure(f"{base}/max/2000/1*chart-Ab_9.png", "A bar chart", "Posts per <em>year</em>")
    extra += figure(f"{base}/max/2000/0*noExtension", "", "An animation")
    if broken:
        extra += figure(f"{base}/max/2000/1*missing.png", "Gone", "This one is broken")
        extra += figure(f"{base}/max/2000/1*notimage.png", "Not an image")
    if slow:
        extra += figure(f"{base}/max/2000/1*slow.png", "Slow")
    anchor = "</figure>"
    assert anchor in html
    return html.replace(anchor, anchor + extra, 1)


@pytest.fixture(autouse=True)
def _local_images_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The images here are served from 127.0.0.1 for posts that name medium.com as their home:
    allow that host, which the default policy refuses (tests/test_images_safety.py)."""
    monkeypatch.setattr(images, "ALLOWED_HOSTS", frozenset({"127.0.0.1"}))


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    server = LocalHTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    server.expect_request(f"/max/1400/{LEAD}").respond_with_data(PNG_LEAD, content_type="image/png")
    server.expect_request("/max/2000/1*chart-Ab_9.png").respond_with_data(
        PNG_CHART, content_type="image/png"
    )
    server.expect_request("/max/2000/0*noExtension").respond_with_data(
        GIF, content_type="image/gif"
    )
    server.expect_request("/max/2000/1*missing.png").respond_with_data("no", status=404)
    server.expect_request("/max/2000/1*notimage.png").respond_with_data(
        "<html><body><p>Sorry, nothing here</p></body></html>", content_type="text/html"
    )

    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(png_bytes(), content_type="image/png")

    server.expect_request("/max/2000/1*slow.png").respond_with_handler(slow)
    yield server
    server.clear()
    server.stop()


def base_of(server: HTTPServer) -> str:
    return server.url_for("").rstrip("/")


def image_requests(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log if request.path.startswith("/max/")]


def front_matter(text: str) -> dict[str, object]:
    meta = yaml.safe_load(text.split("---\n")[1])
    assert isinstance(meta, dict)
    return meta


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# --- file names ---------------------------------------------------------------------------------


def test_file_names_come_from_the_url() -> None:
    assert file_stem("https://miro.medium.com/max/1400/1*Q2vXkR8sTnPf4LmA1bC3dE.jpeg") == (
        "1-Q2vXkR8sTnPf4LmA1bC3dE",
        ".jpeg",
    )
    assert file_stem("https://miro.medium.com/v2/resize:fit:700/0*a-B_c") == ("0-a-B_c", "")
    # Other images: the name plus a hash of the whole URL, so same names never collide.
    one = file_stem("https://example.com/a/photo.PNG?w=1")
    two = file_stem("https://example.org/b/photo.PNG")
    assert one[1] == two[1] == ".png"
    assert one[0].startswith("photo-") and two[0].startswith("photo-") and one[0] != two[0]
    assert re.fullmatch(r"image-[0-9a-f]{8}", file_stem("https://example.com/")[0])
    assert re.fullmatch(r"x-y-[0-9a-f]{8}", file_stem("https://example.com/x%20y")[0])


def test_only_figure_images_are_rewritten_and_code_is_left_alone() -> None:
    image = Image(
        "https://x.test/1*a.png", "A & B", (Run("Cap "), Run("link", href="https://x.test/"))
    )
    body = Document(
        (
            Paragraph((Run("See "), Run('<img src="a.png">', code=True))),
            Code('<img src="https://x.test/1*a.png">\n  indented', "html"),
            image,
        )
    )
    out = rewrite_figure_images(body, lambda url: "/assets/abc/1-a.png")
    assert out.blocks[:2] == body.blocks[:2]
    assert out.blocks[2] == dataclasses.replace(image, src="/assets/abc/1-a.png")
    assert rewrite_figure_images(body, lambda url: url) is body


@pytest.mark.parametrize("name", ["e3-post.html", "e4-post.html", "e5-post.html"])
def test_rewriting_changes_only_the_image_links(name: str) -> None:
    html = (FIXTURES / "body" / name).read_text(encoding="utf-8")
    body = extract_body(lxml.html.fromstring(html), "https://medium.com/p/abcdef123456")
    srcs = re.findall(r'<img src="([^"]+)"', html_of(body))
    assert srcs, "the fixture has a figure"
    local = {src: f"/assets/abcdef123456/{n}.png" for n, src in enumerate(srcs)}
    rewritten = rewrite_figure_images(body, lambda url: local[url])
    expected = render_markdown(body)
    for src, path in local.items():
        expected = expected.replace(f"]({src})", f"]({path})")
    assert render_markdown(rewritten) == expected != render_markdown(body)


# --- the library ---------------------------------------------------------------------------------


def test_localize_saves_images_and_keeps_failures_remote(
    server: HTTPServer, tmp_path: Path
) -> None:
    base = base_of(server)
    post = extract_post(page_html(base, slow=True), "https://medium.com/p/5a3c2e1f9b7d")
    site = Site(tmp_path / "site")
    session = make_session(retries=0)
    started = time.monotonic()
    new, warnings = localize_images(post, site=site, session=session, timeout=(2, 0.5))
    assert time.monotonic() - started < 10

    assets = tmp_path / "site" / "assets" / POST_ID
    files = {p.name: p.read_bytes() for p in assets.iterdir()}
    # The .jpeg URL was served as a PNG: the file is named by what it is.
    assert files == {
        "1-Q2vXkR8sTnPf4LmA1bC3dE.png": PNG_LEAD,
        "1-chart-Ab_9.png": PNG_CHART,
        "0-noExtension.gif": GIF,
    }
    assert f'src="/assets/{POST_ID}/1-chart-Ab_9.png" alt="A bar chart"' in html_of(new.body)
    assert f'src="/assets/{POST_ID}/0-noExtension.gif" alt=""' in html_of(new.body)
    assert "<figcaption>Posts per <em>year</em></figcaption>" in html_of(new.body)
    # The lead image is the same Medium image as the first figure: one file, one request.
    assert new.image == f"/assets/{POST_ID}/1-Q2vXkR8sTnPf4LmA1bC3dE.png"
    assert image_requests(server).count(f"/max/1400/{LEAD}") == 1
    # Failures keep their remote URL, each with one warning naming it and why.
    for name in ("missing", "notimage", "slow"):
        assert f'src="{base}/max/2000/1*{name}.png"' in html_of(new.body)
    assert len(warnings) == 3
    by_url = {w.split(" ")[1]: w for w in warnings}
    missing = by_url[f"{base}/max/2000/1*missing.png"]
    assert missing.endswith("not saved: HTTP 404; kept the remote link")
    assert "not an image (the server sent 'text/html')" in by_url[f"{base}/max/2000/1*notimage.png"]
    assert "timed out" in by_url[f"{base}/max/2000/1*slow.png"]
    assert not any(p.name.startswith(".") for p in assets.iterdir())  # no temp files left


def test_an_empty_or_oversized_image_leaves_no_file(server: HTTPServer, tmp_path: Path) -> None:
    base = base_of(server)
    server.expect_request("/empty/1*empty.png").respond_with_data(b"", content_type="image/png")
    server.expect_request("/big/1*big.png").respond_with_data(
        png_bytes(64, 64), content_type="image/png"
    )
    body = Document((Image(f"{base}/empty/1*empty.png"), Image(f"{base}/big/1*big.png")))
    post = extract_post(page_html(base, broken=False), "https://medium.com/p/5a3c2e1f9b7d")
    post = dataclasses.replace(post, body=body, image="")
    site = Site(tmp_path)
    new, warnings = localize_images(post, site=site, session=make_session(retries=0), max_bytes=100)
    assert new.body == body
    big = png_bytes(64, 64)
    assert warnings == (
        f"image {base}/empty/1*empty.png not saved: the server sent an empty body; "
        "kept the remote link",
        f"image {base}/big/1*big.png not saved: the response is {len(big)} bytes, over the "
        "100 bytes limit; kept the remote link",
    )
    assert not (tmp_path / "assets").exists()


def test_localize_through_the_pipeline_adds_warnings(server: HTTPServer, tmp_path: Path) -> None:
    post = extract_post(page_html(base_of(server)), "https://medium.com/p/5a3c2e1f9b7d")
    loaded = localize(Loaded(post), site=Site(tmp_path), session=make_session(retries=0))
    assert len(loaded.post.warnings) == len(post.warnings) + 2
    assert loaded.post.image.startswith(f"/assets/{POST_ID}/")


# --- the command line ----------------------------------------------------------------------------


def archive_page(server: HTTPServer, tmp_path: Path) -> tuple[Path, Path]:
    page = tmp_path / "page.html"
    page.write_text(page_html(base_of(server)), encoding="utf-8")
    return page, tmp_path / "site"


def test_archive_images_cli(server: HTTPServer, tmp_path: Path) -> None:
    page, site_root = archive_page(server, tmp_path)
    base = base_of(server)
    code, out, err = run_cli("archive", str(page), "--site", str(site_root), "--images")
    assert code == 0, err
    post_file = site_root / out.strip()
    text = post_file.read_text(encoding="utf-8")
    assets = site_root / "assets" / POST_ID
    assert sorted(p.name for p in assets.iterdir()) == [
        "0-noExtension.gif",
        "1-Q2vXkR8sTnPf4LmA1bC3dE.png",
        "1-chart-Ab_9.png",
    ]
    assert all(p.stat().st_size > 0 for p in assets.iterdir())
    # Markdown links point at the site paths; alt text and captions kept.
    assert (
        f"![A shelf of labelled archive boxes](/assets/{POST_ID}/1-Q2vXkR8sTnPf4LmA1bC3dE.png)\n"
        "*Labelled boxes: the analogue front matter.*"
    ) in text
    assert f"![A bar chart](/assets/{POST_ID}/1-chart-Ab_9.png)\n*Posts per* year" in text
    assert f"![](/assets/{POST_ID}/0-noExtension.gif)\n*An animation*" in text
    assert front_matter(text)["image"] == f"/assets/{POST_ID}/1-Q2vXkR8sTnPf4LmA1bC3dE.png"
    # The broken image and the page that is not an image keep their remote links, with warnings.
    assert f"![Gone]({base}/max/2000/1*missing.png)\n*This one is broken*" in text
    assert f"![Not an image]({base}/max/2000/1*notimage.png)" in text
    assert f"warning: {page}: image {base}/max/2000/1*missing.png not saved: HTTP 404" in err
    assert f"image {base}/max/2000/1*notimage.png not saved: not an image" in err
    assert not list(assets.glob("1-missing*")) and not list(assets.glob("1-notimage*"))

    # Again: nothing saved is fetched again (only the failures are retried), same bytes.
    before = post_file.read_bytes()
    mtime = post_file.stat().st_mtime_ns
    server.clear_log()
    code, out2, err2 = run_cli("archive", str(page), "--site", str(site_root), "--images")
    assert code == 0, err2
    assert sorted(image_requests(server)) == ["/max/2000/1*missing.png", "/max/2000/1*notimage.png"]
    assert post_file.read_bytes() == before
    assert post_file.stat().st_mtime_ns == mtime


def test_import_images_cli_second_run_fetches_nothing(server: HTTPServer, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(page_html(base_of(server), broken=False), encoding="utf-8")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{page}\n", encoding="utf-8")
    site_root = tmp_path / "site"
    args = ("import", str(listing), "--site", str(site_root), "--images", "-j", "2")
    code, out, err = run_cli(*args, "--processes", "1")
    assert code == 0, err
    assert "warning" not in err
    post_file = site_root / out.strip()
    text = post_file.read_text(encoding="utf-8")
    assert f"![A bar chart](/assets/{POST_ID}/1-chart-Ab_9.png)" in text
    assert len(image_requests(server)) == 3
    before = post_file.read_bytes()
    server.clear_log()
    code, _, err = run_cli(*args, "--refresh", "--processes", "0")
    assert code == 0, err
    assert image_requests(server) == []
    assert post_file.read_bytes() == before


def test_without_images_nothing_is_fetched(server: HTTPServer, tmp_path: Path) -> None:
    page, site_root = archive_page(server, tmp_path)
    code, out, err = run_cli("archive", str(page), "--site", str(site_root))
    assert code == 0, err
    assert image_requests(server) == []
    assert [p.name for p in (site_root / "assets").iterdir()] == ["css"]  # the starter's only
    assert f"]({base_of(server)}/max/2000/1*chart-Ab_9.png)" in (site_root / out.strip()).read_text(
        encoding="utf-8"
    )


# --- Jekyll --------------------------------------------------------------------------------------


def test_jekyll_site_serves_the_local_images(server: HTTPServer, tmp_path: Path) -> None:
    jekyll = require_jekyll()
    page = tmp_path / "page.html"
    page.write_text(page_html(base_of(server), broken=False), encoding="utf-8")
    site_root = new_site(tmp_path / "site")
    outcome = archive_one(
        str(page), site=Site(site_root), session=make_session(), options=Options(images=True)
    )
    assert outcome.status is Status.ARCHIVED, outcome

    built = tmp_path / "_site"
    jekyll_build(jekyll, site_root, built)
    served = built / "assets" / POST_ID
    assert (served / "1-Q2vXkR8sTnPf4LmA1bC3dE.png").read_bytes() == PNG_LEAD
    assert (served / "1-chart-Ab_9.png").read_bytes() == PNG_CHART
    assert (served / "0-noExtension.gif").read_bytes() == GIF
    pages = [p.read_text(encoding="utf-8") for p in built.rglob("*.html")]
    post_html = next(p for p in pages if "A bar chart" in p)
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', post_html)
    assert f"/assets/{POST_ID}/1-chart-Ab_9.png" in srcs
    assert f"/assets/{POST_ID}/1-Q2vXkR8sTnPf4LmA1bC3dE.png" in srcs
    assert f"/assets/{POST_ID}/0-noExtension.gif" in srcs
    for src in srcs:
        assert (built / src.lstrip("/")).is_file(), src
