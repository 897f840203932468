"""`medium-archive import` of an account export: a zip (and a folder) built from corpus files.

The export is laid out as Medium lays it out (posts/, profile/, claps/, bookmarks/, README.html)
from the real files of one account in shared/corpus/formats/export; expected values come from the
hand-verified truth files ``formats__*.json``. ``--enrich`` is tested against a real HTTP server
on 127.0.0.1.
"""

from __future__ import annotations

import functools
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import FIXTURES, load_truth
from pytest_httpserver import HTTPServer
from test_jekyll import jekyll_build, new_site, require_jekyll, squeeze, visible_text

from medium_archive.accounts import import_export, source_kind
from medium_archive.archive import Status
from medium_archive.cli import cli
from medium_archive.fetch import make_session
from medium_archive.pipeline import Settings
from medium_archive.store import Site

ACCOUNT = "enkiv2"
#: Pages of the export that are not posts, and the folder Medium puts each in.
OTHER_PAGES = {
    "claps-0001.html": "claps",
    "bookmarks-0001.html": "bookmarks",
    "highlights-0001.html": "highlights",
    "pubs-following-0001.html": "pubs-following",
    "README.html": "",
    "profile-publications.html": "profile",
}
SAMPLE_ID = "5a3c2e1f9b7d"  # the post id of fixtures/sample/sample-post.html


def build_export(corpus: Path, root: Path) -> dict[str, dict[str, Any]]:
    """An unpacked export of the account under ``root``; returns truth by post id."""
    truths: dict[str, dict[str, Any]] = {}
    (root / "posts").mkdir(parents=True)
    for path in sorted((corpus / "formats" / "export").glob(f"{ACCOUNT}__*.html")):
        name = path.name.removeprefix(f"{ACCOUNT}__")
        if name.startswith("profile-profile"):
            target = root / "profile" / "profile.html"
        elif name in OTHER_PAGES:
            target = root / OTHER_PAGES[name] / name
        elif name.startswith("partner-program"):
            target = root / "partner-program" / name
        else:
            target = root / "posts" / name
            truth = load_truth(f"formats__{ACCOUNT}__{name.removesuffix('.html')}.json")
            truths[truth["post_id"]] = truth
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return truths


def zip_folder(folder: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return zip_path


@pytest.fixture
def export(corpus: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, dict[str, Any]]]:
    """(zip, folder, truth by post id)."""
    folder = tmp_path / "medium-export"
    truths = build_export(corpus, folder)
    return zip_folder(folder, tmp_path / "medium-export.zip"), folder, truths


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["import", *args], catch_exceptions=False)


def posts_by_id(root: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(root.glob("_*/*.md")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        assert meta["identifier"] not in found, f"{meta['identifier']} written twice"
        found[meta["identifier"]] = (path, meta)
    return found


def kinds(truths: dict[str, dict[str, Any]]) -> tuple[set[str], set[str], set[str]]:
    """Post ids of (published posts, drafts, responses) according to the truth files."""
    drafts = {i for i, t in truths.items() if t["is_draft"]}
    responses = {i for i, t in truths.items() if t.get("is_response") and i not in drafts}
    return set(truths) - drafts - responses, drafts, responses


def test_source_kind_tells_exports_feeds_and_lists_apart(
    export: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    zip_path, folder, _ = export
    urls = tmp_path / "urls.txt"
    urls.write_text("https://medium.com/p/73dc49901b9a\n", encoding="utf-8")
    assert source_kind(str(zip_path)) == "export"
    assert source_kind(str(folder)) == "export"
    assert source_kind(str(urls)) == "list"
    assert source_kind("-") == "list"


def test_zip_import_writes_every_published_post_with_export_values(
    export: tuple[Path, Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    zip_path, _, truths = export
    published, drafts, responses = kinds(truths)
    assert published and drafts and responses  # the account has all three kinds
    site = tmp_path / "blog"
    result = run(str(zip_path), "--site", str(site))
    assert result.exit_code == 0, result.output
    written = posts_by_id(site)
    assert set(written) == published
    for post_id in published:
        truth = truths[post_id]
        path, meta = written[post_id]
        assert path.parent.name == "_posts"
        assert path.name.startswith(truth["date_published"][:10] + "-")
        assert meta["title"] == truth["title"]
        assert meta["datePublished"] == truth["date_published"]
        assert meta["published"] is True
        assert meta["author"][0]["name"] == truth["author"]["name"]
        assert meta["author"][0]["url"] == truth["author"]["url"]
        # The avatar comes from profile/profile.html (the post files name none).
        assert meta["author"][0]["avatar"]["url"].startswith("https://")
        assert meta["url"] == truth["canonical_url"]
        if truth.get("subtitle"):
            assert meta["description"] == truth["subtitle"]
    assert f"{len(drafts)} skipped draft" in result.stderr
    assert f"{len(responses)} skipped response" in result.stderr
    assert not (site / "_drafts").exists()


def test_drafts_and_responses_only_when_asked_for(
    export: tuple[Path, Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    _, folder, truths = export
    published, drafts, responses = kinds(truths)
    site = tmp_path / "blog"
    result = run(str(folder), "--site", str(site), "--drafts", "--responses")
    assert result.exit_code == 0, result.output
    written = posts_by_id(site)
    assert set(written) == published | drafts | responses
    for post_id in drafts:
        path, meta = written[post_id]
        assert path.parent.name == "_drafts"
        assert not re.match(r"\d{4}-\d\d-\d\d-", path.name)
        assert meta["published"] is False
        assert meta["datePublished"] == ""
        assert meta["title"] == truths[post_id]["title"]
    for post_id in responses:
        assert written[post_id][0].parent.name == "_posts"


def test_non_post_pages_are_ignored(
    export: tuple[Path, Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    zip_path, _, truths = export
    result = run(str(zip_path), "--site", str(tmp_path / "blog"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert sorted(r["post_id"] for r in report["inputs"]) == sorted(truths)
    inputs = [r["input"] for r in report["inputs"]]
    assert not any(re.search(r"claps|bookmarks|highlights|README|profile", i) for i in inputs)


def test_a_second_import_changes_nothing(
    export: tuple[Path, Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    zip_path, _, truths = export
    site = tmp_path / "blog"
    assert run(str(zip_path), "--site", str(site), "--drafts").exit_code == 0
    before = {
        p: (p.stat().st_mtime_ns, p.read_bytes())
        for p in site.rglob("*")
        if p.is_file() and p.name != ".medium-archive.lock"  # the site lock's mtime is not content
    }
    result = run(str(zip_path), "--site", str(site), "--drafts", "--json")
    assert result.exit_code == 0, result.output
    after = {
        p: (p.stat().st_mtime_ns, p.read_bytes())
        for p in site.rglob("*")
        if p.is_file() and p.name != ".medium-archive.lock"  # the site lock's mtime is not content
    }
    assert after == before
    summary = json.loads(result.stdout)["summary"]
    published, drafts, responses = kinds(truths)
    assert summary["archived"] == 0 and summary["updated"] == 0
    assert summary["already archived"] == len(published) + len(drafts)
    assert summary["skipped response"] == len(responses)


def test_parse_processes_render_exports_the_same(
    export: tuple[Path, Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    """--processes applies to exports too (one pipeline): rendered in worker processes, every
    file is byte for byte the one rendered in the importing threads."""
    zip_path, _, truths = export
    files = {}
    for processes in ("0", "2"):
        site = tmp_path / f"blog-{processes}"
        result = run(str(zip_path), "--site", str(site), "--drafts", "--processes", processes)
        assert result.exit_code == 0, result.output
        files[processes] = {
            p.relative_to(site).as_posix(): p.read_bytes() for p in site.glob("_*/*.md")
        }
    published, drafts, _ = kinds(truths)
    assert len(files["2"]) == len(published) + len(drafts)
    assert files["2"] == files["0"]


def test_a_damaged_zip_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "medium-export.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    result = run(str(bad), "--site", str(tmp_path / "blog"))
    assert result.exit_code == 1
    assert "not a readable zip file" in result.stderr


def test_one_unreadable_post_file_fails_alone(
    export: tuple[Path, Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    _, folder, truths = export
    published, _, _ = kinds(truths)
    # An export post file whose post id cannot be found anywhere (name, footer link, canonical).
    sample = next((folder / "posts").glob("2015-05-24_Failure-modes*.html")).read_text("utf-8")
    damaged = re.sub(r"[0-9a-f]{12}", "not-an-id", sample)
    (folder / "posts" / "2015-05-25_Damaged-post.html").write_text(damaged, encoding="utf-8")
    result = run(str(folder), "--site", str(tmp_path / "blog"), "--json")
    assert result.exit_code == 1
    records = json.loads(result.stdout)["inputs"]
    failed = [r for r in records if r["status"] == "failed"]
    assert [Path(r["input"]).name for r in failed] == ["2015-05-25_Damaged-post.html"]
    assert failed[0]["error"]
    archived = {r["post_id"] for r in records if r["status"] == "archived"}
    assert archived == set(published)


def test_enrich_adds_live_metadata_and_keeps_the_export_elsewhere(
    export: tuple[Path, Path, dict[str, dict[str, Any]]], tmp_path: Path, httpserver: HTTPServer
) -> None:
    zip_path, _, truths = export
    published, _, _ = kinds(truths)
    served, challenged = sorted(published)[:2]
    page = (FIXTURES / "sample" / "sample-post.html").read_text(encoding="utf-8")
    challenge = (FIXTURES / "feed" / "cloudflare-challenge.html").read_text(encoding="utf-8")
    httpserver.expect_request(f"/p/{served}").respond_with_data(
        page.replace(SAMPLE_ID, served), content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request(f"/p/{challenged}").respond_with_data(
        challenge, status=403, content_type="text/html", headers={"cf-mitigated": "challenge"}
    )
    httpserver.expect_request(re.compile("^/p/")).respond_with_data("gone", status=404)

    site = Site(tmp_path / "blog")
    session = make_session(retries=0)
    done = list(
        import_export(
            zip_path,
            site=site,
            session=session,
            settings=Settings(jobs=2, enrich=True),
            live_url=lambda post: httpserver.url_for(f"/p/{post.id}"),
        )
    )
    outcomes = {d.result.post_id: d.result for d in done}
    assert all(outcomes[i].status is Status.ARCHIVED for i in published)
    written = posts_by_id(site.root)
    meta = written[served][1]
    assert meta["keywords"] == ["Writing", "Archiving", "Jekyll"]  # the sample page's tags
    assert meta["publisher"]["name"] == "The Archivist"
    assert meta["dateModified"] == "2023-02-14T09:31:02.106Z"
    assert meta["inLanguage"] == "en"
    assert meta["title"] == truths[served]["title"]  # the export's title is kept
    assert not outcomes[served].warnings
    for post_id in published - {served}:
        meta = written[post_id][1]
        assert meta["title"] == truths[post_id]["title"]
        assert meta["publisher"]["name"] == "Medium"
        assert meta["dateModified"] == truths[post_id]["date_published"]
        assert any("--enrich" in w for w in outcomes[post_id].warnings)
    assert any("Cloudflare" in w for w in outcomes[challenged].warnings)


def test_enrich_failures_are_warnings_not_failures(
    export: tuple[Path, Path, dict[str, dict[str, Any]]],
    tmp_path: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every live page fails to load: the local server stands in for medium.com (no DNS lookup
    # of real names) and answers each with a 404.
    from medium_archive import cli as cli_module

    httpserver.expect_request(re.compile("^/p/")).respond_with_data("x", status=404)
    live = functools.partial(
        import_export, live_url=lambda post: httpserver.url_for(f"/p/{post.id}")
    )
    monkeypatch.setattr(cli_module, "import_export", live)
    zip_path, _, truths = export
    published, _, _ = kinds(truths)
    site = str(tmp_path / "blog")
    result = run(str(zip_path), "--site", site, "--enrich", "--json", "--jobs", "8")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["archived"] == len(published) and summary["failed"] == 0
    assert result.stderr.count("warning:") >= len(published)
    asked = {request.path for request, _ in httpserver.log}
    assert asked == {f"/p/{post_id}" for post_id in published}  # every live page was tried


def test_jekyll_builds_an_imported_export(
    export: tuple[Path, Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    jekyll = require_jekyll()
    zip_path, _, truths = export
    published, _, _ = kinds(truths)
    site_root = new_site(tmp_path / "site")
    assert run(str(zip_path), "--site", str(site_root), "--drafts").exit_code == 0
    jekyll_build(jekyll, site_root, tmp_path / "_site")
    pages = (tmp_path / "_site").rglob("*.html")
    built = squeeze("\n".join(visible_text(p.read_text(encoding="utf-8")) for p in pages))
    for post_id in published:
        assert squeeze(truths[post_id]["title"]) in built, truths[post_id]["title"]


def test_jekyll_builds_an_export_imported_with_local_images(
    export: tuple[Path, Path, dict[str, dict[str, Any]]],
    tmp_path: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 5: an imported export, its images saved under assets/, built by Jekyll."""
    from test_images import png_bytes

    from medium_archive import images

    # The images are served from this machine in place of Medium's CDN: allow that host.
    monkeypatch.setattr(images, "ALLOWED_HOSTS", frozenset({"127.0.0.1", "localhost"}))

    jekyll = require_jekyll()
    _, folder, truths = export
    base = httpserver.url_for("").rstrip("/")
    with_images: dict[str, int] = {}
    for post in (folder / "posts").glob("*.html"):
        html = post.read_text(encoding="utf-8")
        count = html.count("https://cdn-images-1.medium.com/")
        if count and not post.name.startswith("draft_"):
            post_id = post.stem.rsplit("-", 1)[-1]
            with_images[post_id] = count
        post.write_text(html.replace("https://cdn-images-1.medium.com", base), encoding="utf-8")
    assert with_images, "the export sample should hold posts with images"
    image = png_bytes(2, 2)
    httpserver.expect_request(re.compile(r"^/max/.*")).respond_with_data(
        image, content_type="image/png"
    )
    site_root = new_site(tmp_path / "site")
    result = run(str(folder), "--site", str(site_root), "--images")
    assert result.exit_code == 0, result.output
    assert "not saved" not in result.stderr, result.stderr

    built_site = tmp_path / "_site"
    jekyll_build(jekyll, site_root, built_site)
    pages = "\n".join(p.read_text(encoding="utf-8") for p in built_site.rglob("*.html"))
    for post_id in with_images:
        saved = sorted((built_site / "assets" / post_id).iterdir())
        assert saved, f"no images of {post_id} in the built site"
        assert all(p.read_bytes() == image for p in saved)
        for path in saved:
            assert f'src="/assets/{post_id}/{path.name}"' in pages
    assert base not in pages
