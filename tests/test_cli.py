"""The `archive` command through click's CliRunner: outputs, exact error lines and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import FIXTURES
from pytest_httpserver import HTTPServer

from medium_archive import __version__
from medium_archive.cli import cli

SAMPLE = FIXTURES / "sample" / "sample-post.html"
SAMPLE_PATH = "_posts/2022-11-02-archiving-your-writing-a-field-guide.md"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def front_matter(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    assert isinstance(data, dict)
    return data


def test_archive_a_saved_page_prints_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("archive", str(SAMPLE), "--site", str(tmp_path))
    assert (code, out) == (0, SAMPLE_PATH + "\n")
    # an empty folder got the starter site, once, and the user is told
    assert err.startswith("new site: wrote a starter Jekyll site in . (_config.yml, ")
    assert len(err.splitlines()) == 1
    code, out, err = run("archive", str(SAMPLE), "--site", str(tmp_path))
    assert (code, out, err) == (0, SAMPLE_PATH + "\n", "")
    meta = front_matter(tmp_path / SAMPLE_PATH)
    assert meta["identifier"] == "5a3c2e1f9b7d"
    assert meta["title"] == "Archiving Your Writing: A Field Guide"
    assert meta["sourcePath"] == SAMPLE_PATH


def test_archiving_again_leaves_the_file_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run("archive", str(SAMPLE), "--site", str(tmp_path))
    target = tmp_path / SAMPLE_PATH
    before = target.read_bytes(), target.stat().st_mtime_ns
    code, out, _ = run("archive", str(SAMPLE), "--site", str(tmp_path))
    assert code == 0 and out == SAMPLE_PATH + "\n"
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before
    assert sorted(p.name for p in (tmp_path / "_posts").iterdir()) == [target.name]


def test_body_html_is_sanitised_html_in_an_article(tmp_path: Path) -> None:
    code, _, _ = run("archive", str(SAMPLE), "--site", str(tmp_path), "--body", "html")
    assert code == 0
    body = (tmp_path / SAMPLE_PATH).read_text(encoding="utf-8").split("---\n", 2)[2]
    assert body.strip().startswith("<article>") and body.strip().endswith("</article>")
    assert "<script" not in body and "onclick" not in body
    assert "<pre" in body and "<figure>" in body


def test_bad_inputs_fail_one_line_each_and_the_good_one_is_still_archived(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "_config.yml").write_text("title: mine\n", encoding="utf-8")  # not a new site
    monkeypatch.chdir(tmp_path)
    code, out, err = run(
        "archive", "ftp://example.com/post", str(SAMPLE), "missing.html", "--site", str(tmp_path)
    )
    assert code == 1
    assert out == SAMPLE_PATH + "\n"
    assert err.splitlines() == [
        "error: ftp://example.com/post: only http(s) URLs and saved .html files can be "
        "archived, not ftp: URLs",
        "error: missing.html: not an http(s) URL or an existing file",
    ]


def test_a_page_that_is_not_a_post_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "profile.html"
    page.write_text(
        '<html><head><meta property="al:ios:url" content="medium://@someone">'
        '<meta property="al:android:url" content="medium://@someone">'
        '<link rel="canonical" href="https://medium.com/@someone"></head>'
        "<body><h1>Someone</h1></body></html>",
        encoding="utf-8",
    )
    code, out, err = run("archive", str(page), "--site", str(tmp_path / "site"))
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    assert "not a post" in err or "profile" in err
    assert not (tmp_path / "site" / "_posts").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = run("archive", "--site", str(tmp_path))
    assert code == 2 and "Missing argument" in err
    code, _, err = run("archive", str(SAMPLE), "--body", "pdf")
    assert code == 2 and "--body" in err


def test_fetching_a_url_from_a_local_server(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    httpserver.expect_request("/the-archivist/a-post-5a3c2e1f9b7d").respond_with_data(
        SAMPLE.read_bytes(), content_type="text/html; charset=utf-8"
    )
    url = httpserver.url_for("/the-archivist/a-post-5a3c2e1f9b7d") + "?source=rss----abc"
    code, out, err = run("archive", url, "--site", str(tmp_path))
    assert (code, out) == (0, SAMPLE_PATH + "\n"), err
    meta = front_matter(tmp_path / SAMPLE_PATH)
    assert meta["isBasedOnUrl"] == url


def test_http_errors_are_one_clear_line(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone-abcdef123456").respond_with_data("gone", status=410)
    httpserver.expect_request("/pic").respond_with_data(b"\x89PNG", content_type="image/png")
    code, out, err = run(
        "archive",
        httpserver.url_for("/gone-abcdef123456"),
        httpserver.url_for("/pic"),
        "--site",
        str(tmp_path),
    )
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert "410" in lines[0] and lines[0].startswith("error: ")
    assert "image/png" in lines[1]
    assert "Traceback" not in err


def test_cloudflare_challenge_says_what_to_do(tmp_path: Path, httpserver: HTTPServer) -> None:
    challenge = (FIXTURES / "fetch" / "cloudflare-challenge.html").read_bytes()
    httpserver.expect_request("/p/abcdef123456").respond_with_data(
        challenge, status=403, headers={"cf-mitigated": "challenge"}, content_type="text/html"
    )
    code, _, err = run("archive", httpserver.url_for("/p/abcdef123456"), "--site", str(tmp_path))
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "Cloudflare" in err and "save the page" in err


def test_version_and_python_dash_m() -> None:
    code, out, _ = run("--version")
    assert code == 0 and __version__ in out
    result = subprocess.run(
        [sys.executable, "-m", "medium_archive", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "archive" in result.stdout and "Exit codes" in result.stdout


@pytest.mark.parametrize("command", ["archive", "import", "repair"])
def test_every_command_documents_exit_codes(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0 and "Exit codes" in out


def test_a_post_page_without_any_date_is_one_clear_error(tmp_path: Path) -> None:
    page = tmp_path / "nodate.html"
    page.write_text(
        '<html><head><meta property="al:ios:url" content="medium://p/abcdef123456">'
        '<meta property="al:ios:app_name" content="Medium">'
        '<meta property="og:site_name" content="Medium">'
        '<link rel="canonical" href="https://medium.com/@x/a-post-abcdef123456">'
        '<meta property="og:title" content="A post"></head><body><article><section><div>'
        '<h1>A post</h1><p id="a1b2">Some text that is long enough to be a paragraph.</p>'
        "</div></section></article></body></html>",
        encoding="utf-8",
    )
    code, out, err = run("archive", str(page), "--site", str(tmp_path / "site"))
    assert (code, out) == (1, "")
    assert err == (
        f"error: {page}: no publication date in the page (JSON-LD, embedded data, byline or "
        "meta); save the complete page from a browser, or archive the post's URL\n"
    )
