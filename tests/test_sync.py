"""`medium-archive sync` end to end, against a real HTTP server on 127.0.0.1 whose posts change.

Each post is the sample fixture with its post id replaced, then edited per scenario (text,
modified date, a new tag, a new title and so slug, deleted). The server sends an ETag and a
Last-Modified and answers a matching conditional request with 304.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import SEED, LocalHTTPServer, require_seed
from farm import SAMPLE
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from medium_archive import frontmatter
from medium_archive.cli import cli

SAMPLE_PATH, SAMPLE_ID = SAMPLE
LAST_MODIFIED = "Tue, 14 Feb 2023 09:31:02 GMT"
TITLE, SLUG = "Archiving Your Writing: A Field Guide", "archiving-your-writing-a-field-guide"

EDITS = {
    "text": [("The posts you wrote in 2015", "The posts you wrote in 2014")],
    "modified": [("2023-02-14T09:31:02.106Z", "2024-05-01T10:00:00.000Z")],
    "tag": [('"Tag:Jekyll"', '"Tag:Jekyll","Tag:Syncing"')],
    "retitle": [(TITLE, "Keeping Your Words"), (SLUG, "keeping-your-words")],
}


@dataclass
class Medium:
    """The fake Medium: post id → page HTML (None once deleted), and the requests it saw."""

    server: HTTPServer
    pages: dict[str, str | None] = field(default_factory=dict)
    hits: list[tuple[str, int]] = field(default_factory=list)

    def add(self, post_id: str) -> str:
        self.pages[post_id] = SAMPLE_PATH.read_text(encoding="utf-8").replace(SAMPLE_ID, post_id)
        return self.url(post_id)

    def url(self, post_id: str) -> str:
        return self.server.url_for(f"/@ada/{SLUG}-{post_id}")

    def edit(self, post_id: str, kind: str) -> None:
        page = self.pages[post_id]
        assert page is not None
        for old, new in EDITS[kind]:
            assert old in page
            page = page.replace(old, new)
        self.pages[post_id] = page

    def handle(self, request: Request) -> Response:
        post_id = request.path.rsplit("-", 1)[-1]
        page = self.pages.get(post_id)
        if page is None:
            self.hits.append((post_id, 404))
            return Response("gone", status=404)
        etag = '"' + hashlib.sha256(page.encode()).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("If-None-Match") == etag:
            self.hits.append((post_id, 304))
            return Response(status=304, headers=headers)
        self.hits.append((post_id, 200))
        return Response(page, content_type="text/html; charset=utf-8", headers=headers)

    def statuses(self) -> dict[str, int]:
        return dict(self.hits)


@pytest.fixture
def medium() -> Iterator[Medium]:
    server = LocalHTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    state = Medium(server)
    server.expect_request(re.compile(r"^/@")).respond_with_handler(state.handle)
    yield state
    server.clear()
    if server.is_running():
        server.stop()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".medium-archive.lock"  # the site lock's mtime is not content
    }


def meta_of(path: Path) -> dict[str, object]:
    return frontmatter.loads(path.read_text(encoding="utf-8"))[0]


IDS = {
    name: f"a0000000000{n}"
    for n, name in enumerate(["same", "text", "modified", "tag", "retitle", "deleted", "local"])
}


@pytest.fixture
def blog(medium: Medium, tmp_path: Path) -> Path:
    """A site with every scenario's post archived, before Medium changes anything."""
    root = tmp_path / "blog"
    urls = [medium.add(post_id) for post_id in IDS.values()]
    result = run("archive", *urls, "--site", str(root))
    assert result.exit_code == 0, result.output
    assert len(list((root / "_posts").iterdir())) == len(IDS)
    return root


def path_of(root: Path, post_id: str) -> Path:
    found = [p for p in (root / "_posts").iterdir() if meta_of(p).get("identifier") == post_id]
    assert len(found) == 1, found
    return found[0]


def change_medium(medium: Medium, root: Path) -> Path:
    """Edit, date, tag, retitle and delete posts on Medium; edit one file by hand."""
    for kind in ("text", "modified", "tag", "retitle"):
        medium.edit(IDS[kind], kind)
    medium.pages[IDS["deleted"]] = None
    medium.edit(IDS["local"], "text")
    local = path_of(root, IDS["local"])
    local.write_text(local.read_text(encoding="utf-8") + "\nMy own note.\n", encoding="utf-8")
    return local


def test_sync_rewrites_exactly_the_changed_posts(medium: Medium, blog: Path) -> None:
    local = change_medium(medium, blog)
    local_bytes = local.read_bytes()
    deleted = path_of(blog, IDS["deleted"])
    deleted_bytes = deleted.read_bytes()
    before = snapshot(blog)
    old_retitled = path_of(blog, IDS["retitle"]).relative_to(blog).as_posix()
    medium.hits.clear()

    result = run("sync", "--site", str(blog), "--json")

    assert result.exit_code == 1, result.output  # a gone post and a conflict
    report = json.loads(result.stdout)
    status = {r["post_id"]: r["status"] for r in report["inputs"]}
    assert status == {
        IDS["same"]: "not modified",
        IDS["text"]: "updated",
        IDS["modified"]: "updated",
        IDS["tag"]: "updated",
        IDS["retitle"]: "updated",
        IDS["deleted"]: "gone",
        IDS["local"]: "conflict",
    }
    assert IDS["local"] not in medium.statuses()  # a conflict costs no request
    after = snapshot(blog)
    changed = {p for p in before if p in after and before[p] != after[p]}
    changed_ids = {meta_of(blog / p)["identifier"] for p in changed}
    assert changed_ids == {IDS["text"], IDS["modified"], IDS["tag"]}
    # the retitled post moved: new name, old name removed
    new_retitled = path_of(blog, IDS["retitle"])
    assert new_retitled.name.endswith("-keeping-your-words.md")
    assert old_retitled not in after
    assert meta_of(new_retitled)["title"] == "Keeping Your Words"
    assert meta_of(new_retitled)["sourcePath"] == new_retitled.relative_to(blog).as_posix()
    assert local.read_bytes() == local_bytes and deleted.read_bytes() == deleted_bytes
    assert "Syncing" in meta_of(path_of(blog, IDS["tag"]))["keywords"]  # type: ignore[operator]
    assert meta_of(path_of(blog, IDS["modified"]))["dateModified"] == "2024-05-01T10:00:00.000Z"
    assert "posts you wrote in 2014" in path_of(blog, IDS["text"]).read_text(encoding="utf-8")

    # a second sync right after changes nothing, and costs only 304s
    medium.hits.clear()
    settled = snapshot(blog)
    again = run("sync", "--site", str(blog))
    assert again.exit_code == 1  # still gone, still a conflict
    assert snapshot(blog) == settled
    assert again.stdout == ""
    assert {s for pid, s in medium.hits if pid != IDS["deleted"]} == {304}


def test_force_overwrites_a_hand_edited_file(medium: Medium, blog: Path) -> None:
    local = change_medium(medium, blog)
    result = run("sync", str(local), "--site", str(blog), "--force")
    assert result.exit_code == 0, result.output
    text = local.read_text(encoding="utf-8")
    assert "My own note." not in text and "posts you wrote in 2014" in text
    assert frontmatter.content_hash(text) == meta_of(local)["_archive"]["contentHash"]  # type: ignore[index]


def test_dry_run_says_what_would_change_and_writes_nothing(
    medium: Medium, blog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(blog)  # paths are printed relative to the current directory
    change_medium(medium, blog)
    before = snapshot(blog)
    result = run("sync", "--site", str(blog), "--dry-run")
    assert snapshot(blog) == before
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    text_path = path_of(blog, IDS["text"]).relative_to(blog).as_posix()
    assert any(
        line.startswith(f"would update: {text_path}") and "body +1 -1 lines" in line
        for line in lines
    ), lines
    retitled = [line for line in lines if line.startswith("would update") and "title" in line]
    assert len(retitled) == 1 and "path -> _posts/" in retitled[0]
    assert any(line.startswith("not modified: ") for line in lines)
    assert "dry run: nothing written" in result.stderr


def test_named_files_only(medium: Medium, blog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(blog)
    change_medium(medium, blog)
    medium.hits.clear()
    target = path_of(blog, IDS["text"]).relative_to(blog)
    result = run("sync", str(target), "--site", str(blog))
    assert result.exit_code == 0, result.output
    assert [pid for pid, _ in medium.hits] == [IDS["text"]]
    assert result.stdout.startswith(f"updated: {target.as_posix()}")


def test_a_seed_format_file_is_synced_into_our_format(medium: Medium, tmp_path: Path) -> None:
    require_seed()
    post_id = "e93d20fdb097"
    url = medium.add(post_id).replace(SLUG, "machine-learning-for-artists")
    root = tmp_path / "blog"
    old = root / "_posts" / "2016-01-03-machine-learning-for-artists.md"
    old.parent.mkdir(parents=True)
    seed = SEED.read_text(encoding="utf-8")
    seed_url = "https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097#.b9dw5bmik"
    assert seed_url in seed
    old.write_text(seed.replace(seed_url, url), encoding="utf-8")

    result = run("sync", "--site", str(root))

    assert result.exit_code == 0, result.output
    assert not old.exists()
    (new,) = (root / "_posts").iterdir()
    meta = meta_of(new)
    assert meta["identifier"] == post_id and meta["isBasedOnUrl"] == url
    assert meta["title"] == TITLE
    archive = meta["_archive"]
    assert isinstance(archive, dict) and archive["etag"] and archive["contentHash"]
    settled = snapshot(root)
    medium.hits.clear()
    again = run("sync", "--site", str(root))
    assert again.exit_code == 0 and snapshot(root) == settled
    assert medium.hits == [(post_id, 304)]


def test_a_post_archived_from_a_saved_file_is_fetched_from_its_canonical_url(
    medium: Medium, tmp_path: Path
) -> None:
    root = tmp_path / "blog"
    post_id = "b00000000001"
    medium.add(post_id)
    saved = tmp_path / "saved.html"
    saved.write_text(medium.pages[post_id] or "", encoding="utf-8")
    assert run("archive", str(saved), "--site", str(root)).exit_code == 0
    (path,) = (root / "_posts").iterdir()
    meta = meta_of(path)
    # point the canonical URL at the local server (the real one is medium.com)
    text = path.read_text(encoding="utf-8").replace(str(meta["url"]), medium.url(post_id))
    path.write_text(text, encoding="utf-8")
    path.write_text(
        frontmatter.dumps_with_hash(*frontmatter.loads(text)), encoding="utf-8"
    )  # keep it "ours"
    medium.edit(post_id, "text")
    result = run("sync", "--site", str(root))
    assert result.exit_code == 0, result.output
    assert medium.hits and medium.hits[0][0] == post_id
    assert meta_of(path)["isBasedOnUrl"] == "saved.html"  # outside the current directory
    assert "posts you wrote in 2014" in path.read_text(encoding="utf-8")


def test_help_documents_the_exit_codes() -> None:
    result = run("sync", "--help")
    assert result.exit_code == 0
    assert "conflict" in result.output and "gone" in result.output


def test_unknown_file_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "blog"
    (root / "_posts").mkdir(parents=True)
    shutil.copy(SAMPLE_PATH, root / "_posts" / "not-a-post.html")
    result = run("sync", str(root / "_posts" / "missing.md"), "--site", str(root))
    assert result.exit_code == 1
    assert "missing.md" in result.stderr
