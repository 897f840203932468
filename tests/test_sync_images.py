"""`sync` keeps a post's images local when it was archived with --images."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from test_images import LEAD, PNG_CHART, PNG_LEAD, page_html
from werkzeug import Request, Response

from medium_archive.cli import cli

POST_ID = "5a3c2e1f9b7d"
PAGE = f"/the-archivist/archiving-your-writing-{POST_ID}"


def image_requests(server: HTTPServer) -> int:
    return sum(1 for request, _ in server.log if request.path.startswith("/max/"))


def test_sync_keeps_saved_images_and_fetches_them_once(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    base = httpserver.url_for("").rstrip("/")
    html = page_html(base, broken=False)
    httpserver.expect_request(f"/max/1400/{LEAD}").respond_with_data(
        PNG_LEAD, content_type="image/png"
    )
    httpserver.expect_request("/max/2000/1*chart-Ab_9.png").respond_with_data(
        PNG_CHART, content_type="image/png"
    )
    httpserver.expect_request("/max/2000/0*noExtension").respond_with_data(
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", content_type="image/gif"
    )
    pages = {"html": html}

    def serve_page(request: Request) -> Response:
        return Response(pages["html"], content_type="text/html")

    httpserver.expect_request(PAGE).respond_with_handler(serve_page)
    runner = CliRunner()
    site = ["--site", str(tmp_path)]
    first = runner.invoke(cli, ["archive", httpserver.url_for(PAGE), "--images", *site])
    assert first.exit_code == 0, first.output
    post = tmp_path / first.stdout.strip()
    assert f"/assets/{POST_ID}/" in post.read_text(encoding="utf-8")
    fetched = image_requests(httpserver)

    # Nothing changed on Medium: sync (without --images) leaves the file byte for byte.
    before = post.read_bytes(), post.stat().st_mtime_ns
    result = runner.invoke(cli, ["sync", *site])
    assert result.exit_code == 0, result.output
    assert (post.read_bytes(), post.stat().st_mtime_ns) == before
    dry = runner.invoke(cli, ["sync", "--dry-run", *site])
    assert dry.exit_code == 0 and "unchanged" in dry.output

    # The text changes: the post is rewritten, its images stay local, none is fetched again.
    pages["html"] = html.replace("That is all it takes", "That is really all it takes")
    result = runner.invoke(cli, ["sync", *site])
    assert result.exit_code == 0, result.output
    text = post.read_text(encoding="utf-8")
    assert "That is really all it takes" in text
    assert f"/assets/{POST_ID}/" in text and base not in text.split("---", 2)[2]
    assert image_requests(httpserver) == fetched
