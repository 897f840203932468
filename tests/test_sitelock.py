"""One writing run per site across processes; parse workers die with their parent; stale temp
files removed (issue 13, items 3 and 11).

The runs are real ``python -m medium_archive import`` subprocesses against a threaded server on
127.0.0.1 serving distinct posts (tests/farm.py) with a small delay, so that they overlap.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from farm import ROOT, Farm, QuietHandler, serve_in_background, templates

from medium_archive.sitelock import (
    LOCK_NAME,
    STALE_TEMP_SECONDS,
    remove_stale_temp_files,
    site_lock,
)

FARM = Farm(templates(None))
#: Seconds each page takes to be served: long enough for two runs to overlap.
DELAY = 0.1


class _Handler(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        n = FARM.number(self.path)
        time.sleep(DELAY)
        body = FARM.page_bytes(n) if n is not None else b"no such page"
        self.send_response(200 if n is not None else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = serve_in_background(_Handler)
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url_list(server: ThreadingHTTPServer, tmp_path: Path, n_posts: int) -> Path:
    host, port = server.server_address[:2]
    listing = tmp_path / "urls.txt"
    lines = [f"http://{host}:{port}{FARM.path(n)}" for n in range(n_posts)]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


def import_command(listing: Path, root: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "medium_archive",
        "import",
        str(listing),
        "--site",
        str(root),
        "--rate",
        "1000",
        *extra,
    ]


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def post_ids(root: Path) -> list[str]:
    """The identifier of every post file in the site (a post archived twice appears twice)."""
    found = []
    for path in sorted((root / "_posts").glob("*.md")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        found.append(meta["identifier"])
    return found


def test_two_imports_at_once_write_each_post_once(
    server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    n_posts = 40
    listing = url_list(server, tmp_path, n_posts)
    root = tmp_path / "blog"
    command = import_command(listing, root, "--jobs", "2", "--processes", "0")
    runs = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=120) for run in runs]
    for run, (_, err) in zip(runs, results, strict=True):
        assert run.returncode == 0, err
        assert "Traceback" not in err
    ids = post_ids(root)
    assert len(ids) == n_posts and sorted(set(ids)) == sorted(ids)  # each post exactly once
    assert sorted(ids) == sorted(FARM.post_id(n) for n in range(n_posts))
    errs = [err for _, err in results]
    # Between them the runs archived each post once: the one that ran second (after waiting,
    # said once, unless the first was already done) found the first one's posts in the site.
    written = [re.search(r"import: (\d+) archived", err) for err in errs]
    assert sum(int(m.group(1)) if m else 0 for m in written) == n_posts, errs
    assert all(err.count("waiting for another medium-archive run") <= 1 for err in errs)
    names = {p.name for p in root.iterdir()}  # beside the starter site a new folder gets
    assert {LOCK_NAME, "_posts"} <= names and "_drafts" not in names


def test_a_second_run_waits_for_the_lock_and_reads_the_site_after(tmp_path: Path) -> None:
    """The lock is held by another process (here: a child holding it) and released later."""
    root = tmp_path / "blog"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from medium_archive.sitelock import "
            "site_lock\nwith site_lock(Path(sys.argv[1])):\n print('held', flush=True)\n"
            " sys.stdin.readline()",
            str(root),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "held"
    messages: list[str] = []

    def release_soon() -> None:
        time.sleep(0.3)
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()

    releaser = threading.Thread(target=release_soon)
    releaser.start()
    with site_lock(root, on_wait=messages.append):
        assert holder.wait(timeout=30) == 0  # the holder had to end before we got the lock
    releaser.join()
    assert len(messages) == 1 and "waiting for another medium-archive run" in messages[0]


def test_a_read_only_site_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    root = tmp_path / "blog"
    root.mkdir()
    root.chmod(0o555)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "medium_archive",
                "archive",
                str(tmp_path / "x.html"),
                "--site",
                str(root),
            ],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
        )
    finally:
        root.chmod(0o755)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "lock file" in result.stderr


# --- item 11: workers die with their parent; stale temp files ---------------------------------


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with open(task / "children") as fh:
            found |= {int(c) for c in fh.read().split()}
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaped yet counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_parse_workers_die_when_the_import_is_killed(
    server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    listing = url_list(server, tmp_path, 400)
    root = tmp_path / "blog"
    command = import_command(listing, root, "--jobs", "2", "--processes", "2")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip()  # a post is archived: the workers are at work
    workers = children(process.pid)
    assert len(workers) >= 2
    process.kill()
    process.wait(timeout=30)  # not communicate(): live orphans would hold its pipes open
    deadline = time.monotonic() + 30  # generous: only "they do end", not how fast
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers), "parse workers outlived their parent"
    process.stdout.close()
    assert process.stderr is not None
    process.stderr.close()


def test_stale_temp_files_are_removed_at_the_start_of_a_writing_run(
    server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    root = tmp_path / "blog"
    posts, assets = root / "_posts", root / "assets" / "1234567890ab"
    posts.mkdir(parents=True)
    assets.mkdir(parents=True)
    old = time.time() - STALE_TEMP_SECONDS - 60
    stale = [posts / ".2020-01-01-a.md.k3j_9x2q.tmp", assets / ".1*abc.png.zz00yy11.tmp"]
    fresh = posts / ".2020-01-02-b.md.abcdefgh.tmp"  # a run may be writing it right now
    not_ours = [posts / "notes.tmp", root / ".page.html.abcdefgh.tmp", posts / "draft.md"]
    for path in [*stale, fresh, *not_ours]:
        path.write_text("x")
    for path in [*stale, *not_ours]:
        os.utime(path, (old, old))
    listing = url_list(server, tmp_path, 2)
    result = subprocess.run(
        import_command(listing, root, "--processes", "0"),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "removed 2 temp file(s) left by an interrupted run" in result.stderr
    assert not any(p.exists() for p in stale)
    assert fresh.exists() and all(p.exists() for p in not_ours)


def test_stale_temp_removal_stays_inside_the_site(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    victim = outside / ".x.md.abcdefgh.tmp"
    victim.write_text("keep me")
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(victim, (old, old))
    root = tmp_path / "blog"
    root.mkdir()
    (root / "_posts").symlink_to(outside)
    (root / "assets").mkdir()
    (root / "assets" / "link").symlink_to(outside)
    assert remove_stale_temp_files(root) == []
    assert victim.read_text() == "keep me"


@pytest.mark.parametrize("command", ["archive", "sync", "repair"])
def test_every_writing_command_waits_for_the_lock(command: str, tmp_path: Path) -> None:
    root = tmp_path / "blog"
    (root / "_posts").mkdir(parents=True)
    args = {
        "archive": ["archive", str(ROOT / "fixtures" / "sample" / "sample-post.html")],
        "sync": ["sync"],
        "repair": ["repair"],
    }[command]
    with site_lock(root):  # another run holds the site
        process = subprocess.Popen(
            [sys.executable, "-m", "medium_archive", *args, "--site", str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        assert process.stderr is not None
        first = process.stderr.readline()  # blocks until the command says it waits
        assert "waiting for another medium-archive run on this site" in first
        assert process.poll() is None  # still waiting while the lock is held
        assert list((root / "_posts").iterdir()) == []
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "waiting" not in err  # said once, before
    if command == "archive":
        written = Path(out.strip())  # printed relative to the working directory, or absolute
        assert written.parent.name == "_posts" and written.is_file()
