"""``--cookies`` (a Netscape cookies.txt) and ``--user-agent``, against a server on 127.0.0.1.

The server plays Cloudflare in front of a post: it answers with its bot challenge unless the
request carries the clearance cookie and the user agent it was given to. The cookie's value is
a secret: it must appear nowhere in the site, the output or the JSON report.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT
from farm import Farm, templates
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from medium_archive.cli import cli
from medium_archive.errors import CookieFileError
from medium_archive.fetch import load_cookies

SECRET = "s3cr3t-clearance-7f1d2c"
OTHER_SECRET = "other-site-session-91ab"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHALLENGE = (ROOT / "fixtures" / "fetch" / "cloudflare-challenge.html").read_bytes()


def cookie_file(tmp_path: Path, lines: list[str], name: str = "cookies.txt") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def good_cookies(tmp_path: Path) -> Path:
    return cookie_file(
        tmp_path,
        [
            "# Netscape HTTP Cookie File",
            "# https://curl.se/docs/http-cookies.html",
            "",
            f"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tcf_clearance\t{SECRET}",
            f".example.org\tTRUE\t/\tFALSE\t4102444800\tsid\t{OTHER_SECRET}",
        ],
    )


# --- reading the file -----------------------------------------------------------------------


def test_a_browser_export_is_read_leniently(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_bytes(
        b"\xef\xbb\xbf"  # a BOM, CRLF line ends, no header line
        b"#HttpOnly_.medium.com\tTRUE\t/\tTRUE\t4102444800\tuid\tabc\r\n"
        b"medium.com\tTRUE\t/\tFALSE\t0\tsession\txyz\r\n"  # flag disagrees with the dot
        b"# a comment\r\n"
        b".medium.com\tTRUE\t/\tFALSE\t1000\told\texpired\r\n"
    )
    jar = load_cookies(str(path))
    cookies = {c.name: c for c in jar}
    assert set(cookies) == {"uid", "session", "old"}
    assert cookies["uid"].value == "abc" and cookies["uid"].secure
    assert cookies["uid"].has_nonstandard_attr("HTTPOnly")  # the stdlib reads #HttpOnly_
    assert cookies["uid"].domain == ".medium.com"
    assert cookies["session"].value == "xyz"  # no \r left on the value
    assert cookies["session"].expires is None and cookies["session"].discard  # 0: a session
    assert not cookies["session"].has_nonstandard_attr("HTTPOnly")  # the stdlib reads #HttpOnly_
    assert cookies["old"].is_expired()  # loaded, but a jar never sends an expired cookie
    assert isinstance(jar, http.cookiejar.MozillaCookieJar)


def test_each_cookie_goes_only_to_its_own_sites(tmp_path: Path) -> None:
    import requests

    from medium_archive.fetch import make_session

    path = cookie_file(
        tmp_path,
        [
            "medium.com\tFALSE\t/\tFALSE\t0\thost_only\ta",  # medium.com itself
            ".example.org\tTRUE\t/\tFALSE\t0\tdomain_wide\tb",  # example.org and subdomains
            "medium.com\tFALSE\t/\tTRUE\t0\tsecure_only\tc",  # https only
            "medium.com\tFALSE\t/me\tFALSE\t0\tpath_only\td",  # under /me only
        ],
    )
    session = make_session(cookies=load_cookies(str(path)))

    def sent(url: str) -> str:
        prepared = session.prepare_request(requests.Request("GET", url))
        return prepared.headers.get("Cookie", "")

    assert sent("http://medium.com/p/1") == "host_only=a"
    assert sent("https://medium.com/me/stats") in (
        "path_only=d; host_only=a; secure_only=c",
        "path_only=d; secure_only=c; host_only=a",
    )
    assert sent("https://sub.medium.com/x") == ""  # host-only: not to subdomains
    assert sent("https://blog.example.org/x") == "domain_wide=b"
    assert sent("https://example.org/") == "domain_wide=b"
    assert sent("https://notexample.org/") == ""
    session.close()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ["# Netscape HTTP Cookie File", f"medium.com\tFALSE\t/\t{SECRET}"],
            "line 2 is not a cookie line (a cookie line has 7 tab-separated fields)",
        ),
        (
            [f'[{{"name": "cf_clearance", "value": "{SECRET}"}}]'],
            "line 1 is not a cookie line (a JSON cookie export? export in the Netscape "
            "cookies.txt format)",
        ),
        (
            [f"medium.com\tFALSE\t/\tFALSE\tsoon\tcf\t{SECRET}"],
            "line 1 has an expiry that is not a number",
        ),
        (
            [
                "# Netscape HTTP Cookie File",
                f"medium.com\tFALSE\t/\tFALSE\t{'9' * 400}\tcf\t{SECRET}",
            ],
            "line 2 has an expiry that is not a number",
        ),
        (
            ["# Netscape HTTP Cookie File", ""],
            "holds no cookies; export them in the Netscape cookies.txt format",
        ),
    ],
)
def test_a_malformed_file_is_one_line_without_its_values(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    path = cookie_file(tmp_path, lines)
    with pytest.raises(CookieFileError) as caught:
        load_cookies(str(path))
    assert str(caught.value) == f"--cookies {path}: {message}"
    result = CliRunner().invoke(
        cli,
        [
            "archive",
            "https://medium.com/p/1234567890ab",
            "--site",
            str(tmp_path / "blog"),
            "--cookies",
            str(path),
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"Error: --cookies {path}: {message}"]
    assert SECRET not in result.output and SECRET not in result.stderr


def test_a_missing_cookie_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    for args, env in (
        (["--cookies", str(missing)], {}),
        ([], {"MEDIUM_ARCHIVE_COOKIES": str(missing)}),
    ):
        result = CliRunner().invoke(
            cli, ["import", "@someone", "--site", str(tmp_path / "b"), *args], env=env
        )
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"Error: --cookies {missing}: cannot read the file (No such file or directory)"
        ]


# --- a post behind the bot check --------------------------------------------------------------


@dataclass
class Cloudflare:
    server: HTTPServer
    farm: Farm
    seen: list[tuple[str, str]] = field(default_factory=list)  # (Cookie header, User-Agent)

    def handle(self, request: Request) -> Response:
        cookie = request.headers.get("Cookie", "")
        agent = request.headers.get("User-Agent", "")
        self.seen.append((cookie, agent))
        n = self.farm.number(request.path)
        if n is None:
            return Response("no such page", status=404)
        if f"cf_clearance={SECRET}" in cookie and agent == BROWSER:
            return Response(
                self.farm.page(n),
                content_type="text/html; charset=utf-8",
                headers={"Set-Cookie": f"__cf_bm={SECRET}-renewed; Path=/"},
            )
        return Response(
            CHALLENGE,
            status=403,
            content_type="text/html; charset=utf-8",
            headers={"cf-mitigated": "challenge"},
        )


@pytest.fixture
def cloudflare() -> Iterator[Cloudflare]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    state = Cloudflare(server, Farm(templates(None)))
    server.expect_request(re.compile(r"^/@farm/")).respond_with_handler(state.handle)
    yield state
    server.clear()
    if server.is_running():
        server.stop()


def everything_written(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file())


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, args, env=env or {}, catch_exceptions=False)


def test_without_cookies_a_blocked_post_is_a_clean_refusal(
    cloudflare: Cloudflare, tmp_path: Path
) -> None:
    url = cloudflare.server.url_for(cloudflare.farm.path(0))
    result = invoke(["archive", url, "--site", str(tmp_path / "blog")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {url}: blocked by Cloudflare's bot check (HTTP 403); open the post in a "
        "browser, save the page (Ctrl+S) and archive the saved .html file, or pass the "
        "browser's cookies and user agent (--cookies cookies.txt --user-agent UA)"
    ]
    assert not (tmp_path / "blog" / "_posts").exists()


@pytest.mark.parametrize("how", ["options", "environment"])
def test_with_the_browser_cookies_and_agent_the_post_is_archived(
    cloudflare: Cloudflare, tmp_path: Path, how: str
) -> None:
    cookies = good_cookies(tmp_path)
    urls = [cloudflare.server.url_for(cloudflare.farm.path(n)) for n in range(3)]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
    root = tmp_path / "blog"
    if how == "options":
        given, env = ["--cookies", str(cookies), "--user-agent", BROWSER], {}
    else:
        given = []
        env = {"MEDIUM_ARCHIVE_COOKIES": str(cookies), "MEDIUM_ARCHIVE_USER_AGENT": BROWSER}
    archived = invoke(["archive", urls[0], "--site", str(root), *given], env)
    assert archived.exit_code == 0, archived.stderr
    imported = invoke(
        ["import", str(listing), "--site", str(root), "--json", "--processes", "0", *given], env
    )
    assert imported.exit_code == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["summary"]["archived"] == 2 and report["summary"]["already archived"] == 1
    synced = invoke(["sync", "--site", str(root), "--json", *given], env)
    assert synced.exit_code == 0, synced.stderr
    assert len(list((root / "_posts").glob("*.md"))) == 3
    # Each cookie went only to its own host: the other site's cookie never reached this one.
    assert cloudflare.seen and all(
        SECRET in cookie and OTHER_SECRET not in cookie and agent == BROWSER
        for cookie, agent in cloudflare.seen
    )
    for result in (archived, imported, synced):
        assert SECRET not in result.stdout and SECRET not in result.stderr
        assert OTHER_SECRET not in result.stdout and OTHER_SECRET not in result.stderr
    written = everything_written(root)
    assert SECRET not in written and OTHER_SECRET not in written
    assert "isBasedOnUrl" in written  # the files were read


def test_the_agent_alone_is_not_enough(cloudflare: Cloudflare, tmp_path: Path) -> None:
    url = cloudflare.server.url_for(cloudflare.farm.path(1))
    result = invoke(["archive", url, "--site", str(tmp_path / "blog"), "--user-agent", BROWSER])
    assert result.exit_code == 1
    assert "blocked by Cloudflare's bot check" in result.stderr
    assert cloudflare.seen == [("", BROWSER)]
