"""Hostile inputs and broken surroundings cost one line, never data (issue 13).

Each test rebuilds one attack: bad dates and unreadable files in ``_posts``, bad dates in an
export or a feed, ``--failed`` naming the list being imported, a ``_posts`` link out of the site,
entities that decode into live Liquid, a full disk and a read-only site, and the small ones
(``--rate nan``, ``/dev/zero``, a feed with an undeclared prefix or an oversized item, a missing
``--site``, local paths in ``isBasedOnUrl``). Every test checks that no traceback reaches the
user, that nothing outside the site changes and that nothing is lost.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import re
import select
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import FIXTURES, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from test_jekyll import jekyll_build, new_site, require_jekyll

from medium_archive import accounts, dates, fetch, frontmatter, store
from medium_archive.cli import cli
from medium_archive.errors import SiteNotWritable
from medium_archive.pipeline import Settings
from medium_archive.repair import repair_text
from medium_archive.store import Site
from medium_archive.sync import sync_site

SAMPLE = FIXTURES / "sample" / "sample-post.html"
SAMPLE_ID = "5a3c2e1f9b7d"
BAD_ID = "aaaaaaaaaaaa"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def assert_clean(result: Result, codes: tuple[int, ...] = (0, 1)) -> None:
    """No traceback reached the user, and the exit code is a documented one."""
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in codes, (result.exit_code, result.output)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name != ".medium-archive.lock"
    }


def post_text(post_id: str, extra: str = "", url: str = "http://127.0.0.1:9/p/x") -> str:
    return (
        f"---\ntitle: A post\nidentifier: '{post_id}'\nisBasedOnUrl: {url}\n"
        f"datePublished: '2020-01-02T03:04:05.000Z'\n{extra}---\n\nBody &amp; text.\n"
    )


@pytest.fixture
def gone_server(httpserver: HTTPServer) -> Iterator[str]:
    """A local server answering 404 to everything: sync's fetches end at once, and offline."""
    httpserver.expect_request(re.compile(".*")).respond_with_data("gone", status=404)
    yield httpserver.url_for("/p/")


# ---------------------------------------------------------------- 1: dates never raise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-04-03T01:29:03.912Z", "2018-04-03T01:29:03.912Z"),
        ("2016-01-03T18:00:00+01:00", "2016-01-03T17:00:00.000Z"),
        ("2016-01-03T17:19:44.342000+00:00", "2016-01-03T17:19:44.342Z"),
        ("2016-01-03T17:19:44.3Z", "2016-01-03T17:19:44.300Z"),  # 3.10's fromisoformat refuses
        ("2016-01-03", "2016-01-03T00:00:00.000Z"),
        ("Tue, 14 Feb 2023 09:31:02 GMT", "2023-02-14T09:31:02.000Z"),
        ("2020-13-45", ""),
        ("2021-02-30", ""),
        ("9999-12-31T23:59:59-23:59", ""),  # past year 9999 once in UTC
        ("0000-01-01", ""),
        ("2020-01-01T25:00:00Z", ""),
        ("Mon, 45 Foo 2020 99:99:99 GMT", ""),
        ("9" * 5000, ""),
        ("yesterday", ""),
        ("", ""),
    ],
)
def test_one_date_reader_never_raises(text: str, expected: str) -> None:
    assert dates.iso_from_text(text) == expected


@given(st.one_of(st.text(max_size=80), st.datetimes(), st.dates(), st.integers(), st.floats()))
@settings(max_examples=300, deadline=None)
def test_dates_never_raise_on_anything(value: object) -> None:
    found = dates.iso_from_text(value)
    assert found == "" or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", found)
    dates.utc_day(value)
    dates.iso_from_epoch_ms(value)
    dates.date_string(value)


def test_yaml_values_python_cannot_build_are_kept_as_text() -> None:
    meta = frontmatter.load_meta(
        "a: 2020-13-45\nb: 2021-02-30\nc: 9999-12-31T23:59:59-23:59\nd: " + "9" * 5000 + "\n"
    )
    assert meta["a"] == "2020-13-45" and meta["b"] == "2021-02-30"
    assert meta["d"] == "9" * 5000
    assert frontmatter.date_string(meta["c"]) == "9999-12-31T23:59:59-23:59"  # kept, not lost


# ---------------------------------------------------------------- 1: existing post files

#: Files whose front matter reads, with a value Python cannot make a date or an int of.
BAD_VALUES = {
    "month-13": "datePublished: 2020-13-45\n",
    "february-30": "date: 2021-02-30\n",
    "past-9999": "dateModified: 9999-12-31T23:59:59-23:59\n",
    "5000-digits": "wordCount: " + "9" * 5000 + "\n",
}

_BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
)
#: Files that are no post this tool can read: left byte for byte by every command.
UNREADABLE = {
    "alias-bomb": post_text(BAD_ID, _BOMB).encode(),
    "alias-cycle": post_text(BAD_ID, "loop: &l [*l]\n").encode(),
    "bad-yaml": post_text(BAD_ID, "title: [unclosed\n").encode(),
    "deep-yaml": post_text(BAD_ID, "deep: " + "[" * 20000 + "]" * 20000 + "\n").encode(),
    "binary": b"---\ntitle: x\n---\n\x00\x01\x02\xff" * 50,
    "latin-1": post_text(BAD_ID, "author: Jos\xe9\n").encode("latin-1"),
    "unclosed": f"---\ntitle: x\nidentifier: '{BAD_ID}'\n\nno closing line\n".encode(),
    "huge": post_text(BAD_ID).encode() + b"x" * 5000,  # over the (lowered) size cap
}


def _site_with(tmp_path: Path, data: bytes) -> tuple[Path, Path]:
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    bad = root / "_posts" / "2020-01-02-bad.md"
    bad.write_bytes(data)
    return root, bad


def _every_command(root: Path, tmp_path: Path) -> Iterator[tuple[str, Result]]:
    """Each command that reads the site's posts, run one after the other (lazily: the caller
    checks the site between them); ``repair`` (which writes) last."""
    listing = tmp_path / "list.txt"
    listing.write_text(f"{SAMPLE}\n", encoding="utf-8")
    yield "repair --check", run("repair", "--check", "--site", str(root))
    yield "sync", run("sync", "--site", str(root), "--jobs", "1")
    yield "archive", run("archive", str(SAMPLE), "--site", str(root))
    yield "import", run("import", str(listing), "--site", str(root), "--processes", "0")
    yield "repair", run("repair", "--site", str(root))


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_post_files_cost_one_line_and_are_left_byte_for_byte(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gone_server: str
) -> None:
    monkeypatch.setattr(store, "MAX_POST_BYTES", 4096)
    data = UNREADABLE[name].replace(b"http://127.0.0.1:9/p/x", gone_server.encode())
    root, bad = _site_with(tmp_path, data)
    for command, result in _every_command(root, tmp_path):
        assert_clean(result)
        assert bad.read_bytes() == data, command
        if command in ("repair --check", "repair"):
            lines = [line for line in result.output.splitlines() if bad.name in line]
            assert len(lines) == 1 and lines[0].startswith("error:"), (command, result.output)
            assert result.exit_code == 1
    # the sample post was archived beside it all the same
    assert (root / "_posts" / "2022-11-02-archiving-your-writing-a-field-guide.md").is_file()


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_bad_dates_and_numbers_in_post_files_never_crash_a_command(
    name: str, tmp_path: Path, gone_server: str
) -> None:
    value = BAD_VALUES[name]
    text = post_text(BAD_ID, value, url=gone_server + BAD_ID)
    root, bad = _site_with(tmp_path, text.encode())
    for command, result in _every_command(root, tmp_path):
        assert_clean(result)
        if command != "repair":
            assert bad.read_text(encoding="utf-8") == text, command
    # repair rewrote the file, but the odd value is still there, not lost
    repaired = bad.read_text(encoding="utf-8")
    assert value.split(": ", 1)[1].strip() in repaired
    assert "Body & text." in repaired
    assert (root / "_posts" / "2022-11-02-archiving-your-writing-a-field-guide.md").is_file()


# ---------------------------------------------------------------- 2: export and feed dates


@pytest.mark.parametrize("bad_date", ["2020-13-45T00:00:00Z", "9999-12-31T23:59:59-23:59"])
def test_a_bad_date_in_one_export_member_fails_that_member_alone(
    bad_date: str, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "export", export)
    member = export / "posts" / "2020-01-02_Hello--World-1234567890ab.html"
    html = member.read_text(encoding="utf-8")
    member.write_text(html.replace("2020-01-02T03:04:05.678Z", bad_date), encoding="utf-8")
    root = tmp_path / "site"
    result = run("import", str(export), "--site", str(root), "--responses")
    assert_clean(result, (1,))
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Hello--World" in errors[0], result.output
    assert "is not a real date" in errors[0]
    names = [p.name for p in (root / "_posts").iterdir()]
    assert names == ["2021-05-06-totally-agree-but-what-about-the-cats.md"], names
    alone = run("archive", str(member), "--site", str(root))  # the member archived by itself
    assert_clean(alone, (1,))
    assert alone.output.startswith("error: ") and "is not a real date" in alone.output
    assert len(alone.output.strip().splitlines()) == 1


def test_a_bad_date_in_one_feed_item_fails_that_item_alone(tmp_path: Path) -> None:
    feed = (FIXTURES / "feed" / "user-feed.xml").read_text(encoding="utf-8")
    pub_dates = re.findall(r"<pubDate>[^<]*</pubDate>", feed)
    assert len(pub_dates) >= 2
    feed = feed.replace(pub_dates[0], "<pubDate>Mon, 45 Foo 2020 99:99:99 GMT</pubDate>", 1)
    feed = re.sub(
        r"<atom:updated>[^<]*</atom:updated>",
        "<atom:updated>9999-12-31T23:59:59-23:59</atom:updated>",
        feed,
    )
    path = tmp_path / "feed.xml"
    path.write_text(feed, encoding="utf-8")
    result = run("import", str(path), "--site", str(tmp_path / "site"), "--responses")
    assert_clean(result, (1,))
    assert "no publication date" in result.output
    assert "archived" in result.output.splitlines()[-1]
    assert any((tmp_path / "site" / "_posts").iterdir())  # the other items were written


# ---------------------------------------------------------------- 4: --failed in place


def test_import_failed_list_into_itself_keeps_every_failure(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(re.compile(".*")).respond_with_data("gone", status=404)
    gone = httpserver.url_for("/p/bbbbbbbbbbbb")
    failed = tmp_path / "failed.txt"
    failed.write_text(f"{SAMPLE}\n{gone}\n", encoding="utf-8")
    root = str(tmp_path / "site")
    retry = ("import", str(failed), "--failed", str(failed), "--site", root, "--processes", "0")
    first = run(*retry)
    assert_clean(first, (1,))
    assert "1 archived" in first.output and "1 gone" in first.output
    assert gone in failed.read_text(encoding="utf-8").splitlines()
    # the retry pattern: the list is read whole before it is replaced
    second = run(*retry)
    assert_clean(second, (1,))
    assert "1 gone" in second.output, second.output
    assert gone in failed.read_text(encoding="utf-8").splitlines()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_run_stopped_early_leaves_the_list_it_reads_as_it_was(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(re.compile(".*")).respond_with_data("gone", status=404)
    failed = tmp_path / "failed.txt"
    urls = [httpserver.url_for(f"/p/{n:012x}") for n in range(1, 6)]
    failed.write_text("".join(u + "\n" for u in urls), encoding="utf-8")
    before = failed.read_bytes()
    result = run(
        "import", str(failed), "--failed", str(failed), "--site", str(tmp_path / "site"),
        "--fail-fast", "--jobs", "1",
    )  # fmt: skip
    assert_clean(result, (1,))
    assert "left as it was" in result.output
    assert failed.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ---------------------------------------------------------------- 5: containment


@pytest.mark.parametrize("folder", ["_posts", "_drafts", "assets"])
def test_every_writing_command_refuses_a_folder_linked_out_of_the_site(
    folder: str, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "2020-01-02-victim.md"
    victim.write_text(post_text(BAD_ID, "title: caf&eacute;\n"), encoding="utf-8")
    root = tmp_path / "site"
    root.mkdir()
    (root / folder).symlink_to(outside, target_is_directory=True)
    listing = tmp_path / "list.txt"
    listing.write_text(f"{SAMPLE}\n", encoding="utf-8")
    before = snapshot(outside)
    for args in (
        ["repair", "--site", str(root)],
        ["archive", str(SAMPLE), "--site", str(root)],
        ["import", str(listing), "--site", str(root)],
        ["sync", "--site", str(root)],
    ):
        result = run(*args)
        assert_clean(result, (1,))
        assert "leads out of the site" in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert snapshot(outside) == before


def test_repair_does_not_follow_a_post_file_linked_out_of_the_site(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(post_text(BAD_ID, "description: caf&eacute;\n"), encoding="utf-8")
    before = outside.read_bytes()
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "_posts" / "2020-01-02-link.md").symlink_to(outside)
    result = run("repair", "--site", str(root))
    assert_clean(result, (1,))
    assert "outside the site root" in result.output
    assert outside.read_bytes() == before


# ---------------------------------------------------------------- 6: Liquid after repair


def test_repair_that_decodes_liquid_turns_liquid_off() -> None:
    text = post_text(BAD_ID).replace("Body &amp; text.", "&#123;% include x %&#125; and &#123;{y}}")
    repaired = repair_text(text)
    meta, body = frontmatter.loads(repaired)
    assert "{% include x %}" in body and "{{y}}" in body
    assert meta["render_with_liquid"] is False
    assert repair_text(repaired) == repaired  # idempotent


@pytest.mark.jekyll
def test_jekyll_builds_a_repaired_post_without_running_its_decoded_liquid(tmp_path: Path) -> None:
    jekyll = require_jekyll()
    root = new_site(tmp_path / "site")
    (root / "_includes").mkdir()
    (root / "_includes" / "secret.html").write_text("SECRET-INCLUDED", encoding="utf-8")
    post = root / "_posts" / "2020-01-02-liquid.md"
    post.parent.mkdir(exist_ok=True)
    post.write_text(
        post_text(BAD_ID).replace("Body &amp; text.", "Text &#123;% include secret.html %&#125;"),
        encoding="utf-8",
    )
    assert_clean(run("repair", "--site", str(root)), (0,))
    assert "{% include secret.html %}" in post.read_text(encoding="utf-8")
    jekyll_build(jekyll, root, tmp_path / "out")
    (page,) = [p for p in (tmp_path / "out").rglob("*.html") if "liquid" in str(p)]
    html = page.read_text(encoding="utf-8")
    assert "SECRET-INCLUDED" not in html and "include secret.html" in html


def test_repair_leaves_liquid_a_site_already_had_alone() -> None:
    text = post_text(BAD_ID).replace("Body &amp; text.", "{% include note.html %} caf&eacute;")
    meta, body = frontmatter.loads(repair_text(text))
    assert "render_with_liquid" not in meta and body.startswith("{% include note.html %} café")


# ---------------------------------------------------------------- 10: write errors


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def full(src: str, dst: str) -> None:
        attempts.append(dst)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store.os, "replace", full)
    return attempts


def test_archive_on_a_full_disk_stops_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = _disk_full(monkeypatch)
    root = tmp_path / "site"
    result = run("archive", str(SAMPLE), str(SAMPLE), "--site", str(root))
    assert_clean(result, (1,))
    assert result.output.strip().splitlines() == [
        line for line in result.output.strip().splitlines() if "No space left" in line
    ]
    assert len(result.output.strip().splitlines()) == 1 and len(attempts) == 1
    assert "free some space" in result.output
    leftovers = [p for p in root.rglob("*") if p.is_file() and p.name != ".medium-archive.lock"]
    assert leftovers == []  # no post, starter or temp file


def test_import_on_a_full_disk_stops_fetching_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    html = SAMPLE.read_text(encoding="utf-8")
    httpserver.expect_request(re.compile("/p/.*")).respond_with_data(
        html, content_type="text/html; charset=utf-8"
    )
    listing = tmp_path / "list.txt"
    listing.write_text(
        "".join(httpserver.url_for(f"/p/{n:012x}") + "\n" for n in range(1, 41)), encoding="utf-8"
    )
    attempts = _disk_full(monkeypatch)
    result = run(
        "import", str(listing), "--site", str(tmp_path / "site"), "--jobs", "2",
        "--processes", "0", "--rate", "1000",
    )  # fmt: skip
    assert_clean(result, (1,))
    space_lines = [line for line in result.output.splitlines() if "No space left" in line]
    assert len(space_lines) == 1 and "unexpected" not in result.output, result.output
    assert len(attempts) <= 2  # one per worker at most
    assert len(httpserver.log) < 10  # not one request per post of the list
    as_json = run(
        "import", str(listing), "--site", str(tmp_path / "site"), "--jobs", "1",
        "--processes", "0", "--json",
    )  # fmt: skip
    assert_clean(as_json, (1,))
    report = json.loads(as_json.stdout)  # stdout is still one JSON document
    assert "No space left" in report["summary"]["error"]
    assert "No space left" in as_json.stderr and len(as_json.stderr.strip().splitlines()) == 1


def test_repair_reports_a_full_disk_as_a_write_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    for n in range(3):
        (root / "_posts" / f"2020-01-0{n + 1}-p.md").write_text(
            post_text(f"{n + 1:012x}"), encoding="utf-8"
        )
    before = snapshot(root)
    attempts = _disk_full(monkeypatch)
    result = run("repair", "--site", str(root))
    assert_clean(result, (1,))
    assert "could not be parsed" not in result.output
    assert "No space left on device" in result.output and len(attempts) == 1
    assert snapshot(root) == before


def test_sync_on_a_full_disk_stops_with_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "site"
    listing = tmp_path / "list.txt"
    copies = []
    for n in range(1, 7):  # six posts, each to be updated by the sync
        copy = tmp_path / f"p{n}.html"
        copy.write_text(SAMPLE.read_text(encoding="utf-8").replace(SAMPLE_ID, f"{n:012x}"))
        copies.append(copy)
    listing.write_text("".join(f"{c}\n" for c in copies), encoding="utf-8")
    assert_clean(run("import", str(listing), "--site", str(root), "--processes", "0"), (0,))
    before = snapshot(root)
    assert len([name for name in before if name.startswith("_posts/")]) == 6
    fetched: list[str] = []

    def changed_page(session: object, url: str, **kw: object) -> fetch.Page:
        fetched.append(url)
        post_id = url.rsplit("/", 1)[-1][-12:]
        html = SAMPLE.read_text(encoding="utf-8").replace(SAMPLE_ID, post_id)
        html = html.replace("Why the files you own", "Why the files you keep")
        return fetch.Page(url, url, 200, html, {})

    attempts = _disk_full(monkeypatch)
    done = []
    with pytest.raises(SiteNotWritable, match="No space left"):
        for item in sync_site(
            Site(root),
            session=None,
            settings=Settings(jobs=1, keep_body_format=True, keep_images=True),
            fetch_page=changed_page,
        ):
            done.append(item)
    assert len(attempts) == 1 and len(fetched) <= 2 and done == []
    assert snapshot(root) == before


def _run_unprivileged(args: list[str], stdin: str = "") -> tuple[int, str]:
    """Run the CLI in a forked child that, when the tests run as root, first drops to nobody
    (root writes through any file mode). The parent has already imported what the command
    needs (the interpreter's own files may be out of nobody's reach)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            result = CliRunner().invoke(cli, args, input=stdin, catch_exceptions=True)
            output = result.output
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                output += f"\nTraceback: {result.exception!r}"
            os.write(write_end, f"{result.exit_code}\n{output}".encode())
        except BaseException as exc:
            os.write(write_end, f"99\nTraceback: {exc!r}".encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    # A watchdog, not a speed check: a child stuck on a lock some thread held at fork time
    # must fail the test rather than hang the suite.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 1.0)
        if ready:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    else:
        os.kill(pid, signal.SIGKILL)
    os.close(read_end)
    os.waitpid(pid, 0)
    code, _, output = b"".join(chunks).decode().partition("\n")
    return int(code), output


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_read_only_site_stops_every_writing_command_with_one_line(tmp_path: Path) -> None:
    # The same commands on a writable site first: every module they import is loaded.
    warm = tmp_path / "warm"
    (warm / "_posts").mkdir(parents=True)
    (warm / "_posts" / "2020-01-02-p.md").write_text(post_text(BAD_ID), encoding="utf-8")
    commands = [
        ["archive", str(SAMPLE), "--site", "{site}"],
        ["import", "-", "--site", "{site}", "--processes", "0"],
        ["repair", "--site", "{site}"],
    ]
    for command in commands:
        args = [a.replace("{site}", str(warm)) for a in command]
        assert_clean(CliRunner().invoke(cli, args, input=f"{SAMPLE}\n"))
    site = Path(tempfile.mkdtemp(prefix="ma-readonly-"))
    try:
        (site / "_posts").mkdir()
        existing = site / "_posts" / "2020-01-02-kept.md"
        existing.write_text(post_text(BAD_ID), encoding="utf-8")  # "&amp;": repair would write
        existing.chmod(0o444)
        (site / "_posts").chmod(0o555)
        site.chmod(0o555)
        before = snapshot(site)
        for command in commands:
            args = [a.replace("{site}", str(site)) for a in command]
            code, output = _run_unprivileged(args, stdin=f"{SAMPLE}\n")
            assert "Traceback" not in output, output
            assert code == 1, (args, output)
            lines = output.strip().splitlines()
            assert len(lines) == 1 and "make the site writable" in lines[0], (args, output)
        assert snapshot(site) == before
    finally:
        site.chmod(0o755)
        (site / "_posts").chmod(0o755)
        shutil.rmtree(site)


# ---------------------------------------------------------------- 12: the small ones


@pytest.mark.parametrize("rate", ["nan", "inf", "-inf", "-1", "0"])
def test_rate_must_be_a_finite_positive_number(rate: str, tmp_path: Path) -> None:
    result = run("import", "-", f"--rate={rate}", "--site", str(tmp_path))
    assert_clean(result, (2,))
    assert "--rate" in result.output


def test_failed_path_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{SAMPLE}\n", encoding="utf-8")
    result = run("import", str(listing), "--failed", "/proc/nope/x", "--site", str(tmp_path))
    assert_clean(result, (2,))
    assert "--failed" in result.output and "/proc/nope/x" in result.output
    assert not (tmp_path / "_posts").exists()  # stopped before archiving anything


def test_import_of_an_endless_stream_is_one_line(tmp_path: Path) -> None:
    result = run("import", "/dev/zero", "--site", str(tmp_path / "site"))
    assert_clean(result, (1,))
    assert "not a list of URLs" in result.output


def test_a_feed_with_an_undeclared_prefix_is_read(tmp_path: Path) -> None:
    feed = (FIXTURES / "feed" / "user-feed.xml").read_text(encoding="utf-8")
    path = tmp_path / "feed.xml"
    path.write_text(feed.replace("<item>", "<item><foo:bar>x</foo:bar>", 1), encoding="utf-8")
    result = run("import", str(path), "--site", str(tmp_path / "site"))
    assert_clean(result)
    assert "1 archived" in result.output


def test_a_saved_feed_file_is_read_within_a_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "MAX_FEED_FILE_BYTES", 1000)
    path = tmp_path / "feed.xml"
    shutil.copy(FIXTURES / "feed" / "user-feed.xml", path)
    result = run("import", str(path), "--site", str(tmp_path / "site"))
    assert_clean(result, (1,))
    assert "too large for a feed" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("attack", ["over-10-MB", "nested-5000-deep"])
def test_feed_items_over_a_parser_limit_fail_instead_of_being_written_empty(
    attack: str, tmp_path: Path
) -> None:
    feed = (FIXTURES / "feed" / "user-feed.xml").read_text(encoding="utf-8")
    paragraph = "<p>Body text&#x200a;—&#x200a;with a hair space.</p>"
    assert paragraph in feed
    if attack == "over-10-MB":
        extra = "<p>" + "word " * 2_200_000 + "</p>"
    else:
        extra = "<div>" * 5000 + "<p>deep text</p>" + "</div>" * 5000
    path = tmp_path / "feed.xml"
    path.write_text(feed.replace(paragraph, paragraph + extra), encoding="utf-8")
    root = tmp_path / "site"
    result = run("import", str(path), "--site", str(root))
    assert_clean(result, (1,))
    assert "a-very-long-title-1234567890ab: the feed item" in result.output, result.output
    assert "0 archived" in result.output or "archived" not in result.output.splitlines()[-1]
    assert not (root / "_posts").exists() or not any((root / "_posts").iterdir())


@pytest.mark.parametrize("command", ["sync", "repair"])
def test_a_missing_site_is_one_line_and_non_zero(command: str, tmp_path: Path) -> None:
    result = run(command, "--site", str(tmp_path / "missing"))
    assert_clean(result, (2,))
    assert "no such directory" in result.output
    assert not (tmp_path / "missing").exists()


def test_no_message_says_raise_a_limit_without_an_option() -> None:
    for path in (ROOT / "medium_archive").rglob("*.py"):
        assert "raise the" not in path.read_text(encoding="utf-8"), path


def test_is_based_on_url_never_publishes_an_absolute_local_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "pages" / "saved.html"
    saved.parent.mkdir()
    shutil.copy(SAMPLE, saved)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the file is outside the current directory: its name only
    assert_clean(run("archive", str(saved), "--site", str(tmp_path / "a")))
    monkeypatch.chdir(tmp_path)  # inside it: the path from here
    assert_clean(run("archive", str(saved), "--site", str(tmp_path / "b")))
    for site, expected in (("a", "saved.html"), ("b", "pages/saved.html")):
        (path,) = (tmp_path / site / "_posts").iterdir()
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        assert meta["isBasedOnUrl"] == expected
        assert str(tmp_path) not in path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- 13: Python 3.10


def _pattern_literals() -> Iterator[tuple[Path, str]]:
    for path in sorted((ROOT / "medium_archive").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                yield path, node.args[0].value


def test_no_regular_expression_needs_python_3_11() -> None:
    """Possessive quantifiers and atomic groups are 3.11+; the package supports 3.10."""
    parser = pytest.importorskip("re._parser") if sys.version_info >= (3, 11) else None
    if parser is None:
        pytest.skip("on 3.10 such a pattern fails at import time, which every test shows")
    new_ops = {parser.POSSESSIVE_REPEAT, parser.ATOMIC_GROUP}  # type: ignore[attr-defined]

    def ops(parsed: object) -> Iterator[object]:
        for op, arg in parsed:  # type: ignore[attr-defined]
            yield op
            for item in arg if isinstance(arg, tuple | list) else ():
                if isinstance(item, parser.SubPattern):  # type: ignore[attr-defined]
                    yield from ops(item)
                elif isinstance(item, list | tuple):
                    for sub in item:
                        if isinstance(sub, parser.SubPattern):  # type: ignore[attr-defined]
                            yield from ops(sub)

    literals = list(_pattern_literals())
    assert len(literals) > 50
    for path, pattern in literals:
        used = set(ops(parser.parse(pattern))) & new_ops  # type: ignore[attr-defined]
        assert not used, f"{path.name}: {pattern!r} uses {used}"


def test_no_3_11_only_library_calls() -> None:
    for path in (ROOT / "medium_archive").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("fromisoformat(", "import tomllib", "StrEnum", "ExceptionGroup", "except*"):
            assert needle not in text.replace("``datetime.fromisoformat``", ""), (path, needle)


def test_ci_tests_the_oldest_and_newest_declared_python() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "Programming Language :: Python" in script and "pytest" in script
    declared = re.findall(
        r'"Programming Language :: Python :: (3\.\d+)"',
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"),
    )
    assert declared[0] == "3.10" and declared[-1] == "3.13"
    requires = re.search(r'requires-python = ">=(3\.\d+)"', (ROOT / "pyproject.toml").read_text())
    assert requires is not None and requires.group(1) == declared[0]
