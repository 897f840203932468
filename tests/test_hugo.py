"""Hugo as a target: `hugo new site`, archive corpus pages into it, build it with `hugo`.

Skipped (with the reason) where `hugo` is not installed; `.ci/run` installs it and sets
MEDIUM_ARCHIVE_REQUIRE_HUGO=1, which turns its absence into a failure. Expected values (titles,
dates, tags, first paragraphs) come from the corpus's hand-verified truth files.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import CORPUS, FIXTURES, load_truth, require_corpus, truth_files
from pytest_httpserver import HTTPServer
from test_images import png_bytes
from werkzeug import Request, Response

from medium_archive import frontmatter
from medium_archive import images as images_module
from medium_archive.cli import cli
from medium_archive.document import Document, Paragraph, Run
from medium_archive.model import Post
from medium_archive.store import Site, detect_generator

#: Minimal layouts (a fresh `hugo new site` has none): the values the tests read, marked up.
SINGLE = """{{ define "main" }}<article>
<h1 class="title">{{ .Title }}</h1>
<p class="dates" data-date="{{ .Date.UTC.Format "2006-01-02T15:04:05.000Z" }}"
   data-lastmod="{{ .Lastmod.UTC.Format "2006-01-02T15:04:05.000Z" }}"></p>
<p class="byline">{{ range .Params.author }}<a href="{{ .url }}">{{ .name }}</a> {{ end }}</p>
<a class="original" href="{{ .Params.canonical_url }}">original</a>
<ul class="tags">{{ range .GetTerms "tags" }}
<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
<div class="content">{{ .Content }}</div>
</article>{{ end }}
"""
LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
"""
BASEOF = """<!doctype html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body>{{ block "main" . }}{{ end }}</body></html>
"""


def require_hugo() -> str:
    exe = shutil.which("hugo")
    if exe:
        return exe
    message = "hugo is not installed (Debian package `hugo`); .ci/run installs it"
    if os.environ.get("MEDIUM_ARCHIVE_REQUIRE_HUGO"):
        pytest.fail(message)
    pytest.skip(message)


def hugo_new_site(hugo: str, root: Path) -> Path:
    """`hugo new site`, plus the minimal layouts above."""
    result = subprocess.run(
        [hugo, "new", "site", str(root)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True, exist_ok=True)
    (layouts / "baseof.html").write_text(BASEOF, encoding="utf-8")
    (layouts / "single.html").write_text(SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(LIST, encoding="utf-8")
    return root


def hugo_build(hugo: str, root: Path, *extra: str) -> Path:
    public = root / "public"
    result = subprocess.run(
        [hugo, "--source", str(root), "--destination", str(public), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stderr and "Error" not in result.stderr, result.stderr
    return public


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def visible_text(page_html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", page_html)
    return re.sub(r"\s+", "", html.unescape(text).replace("\u00a0", " ").replace("\u200a", " "))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\u00a0", " ").replace("\u200a", " "))


def meta_of(path: Path) -> dict[str, Any]:
    meta, _ = frontmatter.loads(path.read_text(encoding="utf-8"))
    return meta


def corpus_posts() -> list[tuple[Path, dict[str, Any]]]:
    """(page, truth) of every corpus post page."""
    require_corpus()
    posts = []
    for name in truth_files("pages"):
        truth = load_truth(name)
        if truth.get("is_post"):
            posts.append((CORPUS / "pages" / truth["source"], truth))
    assert posts
    return posts


def author_names(truth: dict[str, Any]) -> list[str]:
    author = truth.get("author")
    authors = author if isinstance(author, list) else [author] if author else []
    return [a["name"] for a in authors if isinstance(a, dict) and a.get("name")]


def test_detection_of_a_hugo_site(tmp_path: Path) -> None:
    hugo = require_hugo()
    site = hugo_new_site(hugo, tmp_path / "site")
    assert detect_generator(site) == "hugo"
    assert detect_generator(tmp_path / "missing") == "jekyll"
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "config.toml").write_text("", encoding="utf-8")  # no content/: not Hugo
    assert detect_generator(tmp_path / "j") == "jekyll"
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "hugo.yaml").write_text("title: x\n", encoding="utf-8")
    assert detect_generator(tmp_path / "h") == "hugo"


def test_hugo_builds_archived_corpus_posts(tmp_path: Path) -> None:
    hugo = require_hugo()
    root = hugo_new_site(hugo, tmp_path / "site")
    posts = corpus_posts()
    result = run("archive", *(str(page) for page, _ in posts), "--site", str(root))
    assert result.exit_code == 0, result.stderr
    assert "starter" not in result.stderr  # an existing site gets no starter files
    written = [Path(line) for line in result.stdout.splitlines()]
    assert len(written) == len(posts)
    by_id: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path, (_, truth) in zip(written, posts, strict=True):
        assert path.is_absolute() and path.is_file()  # the site is not under the cwd
        rel = path.relative_to(root).as_posix()
        assert re.fullmatch(r"content/posts/[a-z0-9-]+/index\.md", rel), rel
        by_id[truth["post_id"]] = (path, truth)  # two captures of a post: the last one wins

    public = hugo_build(hugo, root)
    for path, truth in by_id.values():
        text = path.read_text(encoding="utf-8")
        meta = meta_of(path)
        assert "\nurl:" not in text.split("\n---\n", 1)[0]  # Hugo reserves `url`
        assert meta["sourcePath"] == path.relative_to(root).as_posix()
        assert meta["canonical_url"] == truth["canonical_url"]
        slug = path.parent.name
        page = (public / "posts" / slug / "index.html").read_text(encoding="utf-8")
        assert '<meta charset="utf-8">' in page
        title = re.search(r'<h1 class="title">(.*?)</h1>', page, re.S)
        assert title is not None and squeeze(html.unescape(title.group(1))) == squeeze(
            truth["title"]
        )
        dates = re.search(r'data-date="([^"]+)"\s+data-lastmod="([^"]+)"', page)
        assert dates is not None
        assert dates.group(1).startswith(truth["date_published"]), (slug, dates.group(1))
        if truth.get("date_modified"):
            assert dates.group(2).startswith(truth["date_modified"]), (slug, dates.group(2))
        for name in author_names(truth):
            assert html.escape(name, quote=False) in page or squeeze(name) in visible_text(page)
        assert "=&gt;" not in page and "=>" not in page
        assert f'href="{truth["canonical_url"]}"' in page
        first = truth["body"].get("first_paragraph") or ""
        if first:
            assert squeeze(first)[:60] in visible_text(page), slug
        # one taxonomy page per Medium tag, listing the post
        links = dict(
            (html.unescape(title).casefold(), href)
            for href, title in re.findall(r'<li><a href="(/tags/[^"]+)">([^<]+)</a></li>', page)
        )
        assert len(links) == len(truth["tags"]), (slug, links)
        for tag in truth["tags"]:
            href = links[tag.casefold()]
            term = (public / href.strip("/") / "index.html").read_text(encoding="utf-8")
            assert f'href="/posts/{slug}/"' in term, (tag, href)


def image_server(httpserver: HTTPServer) -> tuple[str, bytes]:
    """Every path on the server answers a small PNG; returns (base URL, the bytes)."""
    data = png_bytes(4, 3, (200, 60, 20))

    def handler(request: Request) -> Response:
        return Response(data, content_type="image/png")

    httpserver.expect_request(re.compile(r"/img/.*")).respond_with_handler(handler)
    return httpserver.url_for("/img").rstrip("/"), data


#: Hosts of Medium images in the corpus pages, pointed at the local server by the tests.
IMAGE_HOSTS = re.compile(
    r"https://(?:cdn-images-\d\.medium\.com|miro\.medium\.com|d262ilb51hltx0\.cloudfront\.net)"
)


def with_local_images(text: str, base: str) -> str:
    """A corpus page read from its HTML (scripts stripped, as some capture tools save pages: the
    paragraph model names images by id on Medium's CDN), its images pointed at ``base``."""
    return IMAGE_HOSTS.sub(base, re.sub(r"(?is)<script\b.*?</script>", "", text))


def page_with_local_images(source: Path, base: str, dest: Path) -> Path:
    dest.write_text(with_local_images(source.read_text(encoding="utf-8"), base), encoding="utf-8")
    return dest


def test_images_live_in_the_bundle_and_are_served_from_it(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The images are served from 127.0.0.1 for posts that name Medium as their home: allow that
    # host, which the default policy refuses (tests/test_images_safety.py).
    monkeypatch.setattr(images_module, "ALLOWED_HOSTS", frozenset({"127.0.0.1", "localhost"}))
    hugo = require_hugo()
    require_corpus()
    root = hugo_new_site(hugo, tmp_path / "site")
    base, data = image_server(httpserver)
    page = page_with_local_images(
        CORPUS / "pages" / "metascraper" / "integration-medium.input.html",
        base,
        tmp_path / "webpack.html",
    )
    result = run("archive", str(page), "--site", str(root), "--images", "--no-embeds")
    assert result.exit_code == 0, result.stderr
    post = Path(result.stdout.strip())
    bundle = post.parent
    images = sorted(p.name for p in bundle.iterdir() if p.name != "index.md")
    assert images, ("no image saved beside the post", result.stderr)
    body = post.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    linked = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", body)
    assert linked and all("/" not in target for target in linked), linked  # relative
    assert set(linked) <= set(images)
    assert not (root / "assets" / meta_of(post)["identifier"]).exists()

    public = hugo_build(hugo, root)
    built = public / "posts" / bundle.name
    page_html = (built / "index.html").read_text(encoding="utf-8")
    for target in set(linked):
        assert f'src="{target}"' in page_html
        assert (built / target).read_bytes() == data  # served from the bundle


def files_of(folder: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def test_sync_of_a_hugo_archive_changes_nothing(tmp_path: Path, httpserver: HTTPServer) -> None:
    hugo = require_hugo()
    require_corpus()
    root = hugo_new_site(hugo, tmp_path / "site")
    base, _ = image_server(httpserver)
    pages = {
        "be46360cf367": CORPUS / "pages" / "gunar" / "you-might-not-need-redux.html",
        "15fd2dd8f07b": CORPUS / "pages" / "metascraper" / "integration-medium.input.html",
    }
    served = {
        pid: with_local_images(p.read_text(encoding="utf-8"), base) for pid, p in pages.items()
    }

    def handler(request: Request) -> Response:
        post_id = request.path.rsplit("-", 1)[-1]
        return Response(served[post_id], content_type="text/html; charset=utf-8")

    httpserver.expect_request(re.compile(r"/@someone/.*")).respond_with_handler(handler)
    urls = [httpserver.url_for(f"/@someone/a-post-{pid}") for pid in served]
    first = run("archive", urls[0], "--site", str(root), "--no-embeds")
    second = run("archive", urls[1], "--site", str(root), "--images", "--no-embeds")
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    snapshot = files_of(root / "content")
    assert len(snapshot) > 2  # two posts and the second one's images

    result = run("sync", "--site", str(root), "--json", "--no-embeds")
    assert result.exit_code == 0, result.stderr
    assert '"unchanged": 2' in result.stdout, result.stdout
    assert files_of(root / "content") == snapshot
    hugo_build(hugo, root)


def test_drafts_are_bundles_marked_draft(tmp_path: Path) -> None:
    hugo = require_hugo()
    root = hugo_new_site(hugo, tmp_path / "site")
    result = run("import", str(FIXTURES / "export"), "--site", str(root), "--drafts")
    assert result.exit_code == 0, result.stderr
    bundles = (root / "content" / "posts").rglob("index.md")
    drafts = [p for p in bundles if meta_of(p)["published"] is False]
    assert len(drafts) == 1
    meta = meta_of(drafts[0])
    assert meta["draft"] is True
    assert not (root / "_drafts").exists() and not (root / "_posts").exists()
    public = hugo_build(hugo, root)
    assert not (public / "posts" / drafts[0].parent.name).exists()  # Hugo leaves drafts out
    public = hugo_build(hugo, root, "--buildDrafts")
    assert (public / "posts" / drafts[0].parent.name / "index.html").is_file()


def test_body_html_is_refused_for_hugo_with_the_reason(tmp_path: Path) -> None:
    hugo = require_hugo()
    root = hugo_new_site(hugo, tmp_path / "site")
    sample = FIXTURES / "sample" / "sample-post.html"
    result = run("archive", str(sample), "--site", str(root), "--body", "html")
    assert result.exit_code == 2
    assert "markup.goldmark.renderer.unsafe" in result.stderr
    assert not (root / "content" / "posts").exists()
    result = run("archive", str(sample), "--site", str(root), "--generator", "jekyll")
    assert result.exit_code == 0
    assert (root / "_posts").is_dir()  # the override wins over detection


def test_generator_option_in_an_empty_folder(tmp_path: Path) -> None:
    sample = FIXTURES / "sample" / "sample-post.html"
    result = run("archive", str(sample), "--site", str(tmp_path / "new"), "--generator", "hugo")
    assert result.exit_code == 0, result.stderr
    written = sorted(
        p.relative_to(tmp_path / "new").as_posix()
        for p in (tmp_path / "new").rglob("*")
        if p.is_file() and p.name != ".medium-archive.lock"  # the site lock, a dot file
    )
    assert written == ["content/posts/archiving-your-writing-a-field-guide/index.md"]
    assert "starter" not in result.stderr


def post(post_id: str, slug: str, title: str = "T") -> Post:
    return Post(
        id=post_id,
        url=f"https://medium.com/@a/{slug}-{post_id}",
        title=title,
        body=Document((Paragraph((Run("x"),)),)),
        date_published="2020-01-02T03:04:05.000Z",
    )


def test_same_slug_gets_the_post_id_and_a_moved_bundle_takes_its_images(tmp_path: Path) -> None:
    site = Site(tmp_path, "hugo")
    one, two = post("aaaaaaaaaaaa", "same"), post("bbbbbbbbbbbb", "same")
    first = site.write(one.id, site.path_for(one), "---\nidentifier: aaaaaaaaaaaa\n---\n")
    assert first.path == "content/posts/same/index.md"
    folder = site.image_folder(two)  # claimed before the write: no other post takes it
    assert folder == tmp_path / "content/posts/same-bbbbbbbbbbbb"
    folder.mkdir(parents=True)
    (folder / "1-x.png").write_bytes(b"png")
    second = site.write(two.id, site.path_for(two), "---\nidentifier: bbbbbbbbbbbb\n---\n")
    assert second.path == "content/posts/same-bbbbbbbbbbbb/index.md"
    # the post's slug changes: the bundle moves, its image with it, the old folder goes
    moved = post("bbbbbbbbbbbb", "renamed")
    third = site.write(moved.id, site.path_for(moved), "---\nidentifier: bbbbbbbbbbbb\n---\n")
    assert third.path == "content/posts/renamed/index.md"
    assert third.previous_path == second.path
    assert (tmp_path / "content/posts/renamed/1-x.png").read_bytes() == b"png"
    assert not folder.exists()
    assert site.image_link(tmp_path / "content/posts/renamed/1-x.png") == "1-x.png"
    assert site.uses_local_images("![a](1-x.png)\n", moved.id)
    assert not site.uses_local_images("![a](https://x/1-x.png)\n", moved.id)


def test_index_skips_the_users_own_toml_pages(tmp_path: Path) -> None:
    site = Site(tmp_path, "hugo")
    own = tmp_path / "content" / "posts" / "mine.md"
    own.parent.mkdir(parents=True)
    own.write_text('+++\ntitle = "Mine"\n+++\nhello\n', encoding="utf-8")
    assert site.index() == {} and site.problems == []


def test_repair_in_a_hugo_site_drops_url_and_adds_hugo_keys(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "content" / "posts" / "p").mkdir(parents=True)
    (root / "hugo.toml").write_text("title = 'x'\n", encoding="utf-8")
    path = root / "content" / "posts" / "p" / "index.md"
    path.write_text(
        yaml.safe_dump(
            {
                "title": "P",
                "datePublished": "2020-01-02T03:04:05.000Z",
                "dateModified": "2020-02-02T03:04:05.000Z",
                "published": False,
                "url": "https://medium.com/@a/p-aaaaaaaaaaaa?source=rss",
            },
            sort_keys=False,
        ).join(["---\n", "---\n\nbody\n"]),
        encoding="utf-8",
    )
    result = run("repair", "--site", str(root))
    assert result.exit_code == 0, result.stderr
    meta = meta_of(path)
    assert "url" not in meta
    assert meta["canonical_url"] == "https://medium.com/@a/p-aaaaaaaaaaaa"
    assert meta["date"] == "2020-01-02T03:04:05.000Z"
    assert meta["lastmod"] == "2020-02-02T03:04:05.000Z"
    assert meta["draft"] is True
    assert "last_modified_at" not in meta
    again = run("repair", "--site", str(root), "--check")
    assert again.exit_code == 0 and again.stdout == ""


def test_import_in_worker_processes_keeps_the_chosen_layout(tmp_path: Path) -> None:
    posts = corpus_posts()[:4]
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{page}\n" for page, _ in posts), encoding="utf-8")
    root = tmp_path / "empty"  # nothing tells a worker process it is a Hugo site but the option
    result = run(
        "import",
        str(listing),
        "--site",
        str(root),
        "--generator",
        "hugo",
        "--jobs",
        "2",
        "--processes",
        "2",
    )
    assert result.exit_code == 0, result.stderr
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md"))
    assert len(written) == len({t["post_id"] for _, t in posts})
    assert all(re.fullmatch(r"content/posts/[a-z0-9-]+/index\.md", w) for w in written), written
    for path in root.rglob("index.md"):
        meta = meta_of(path)
        assert meta["sourcePath"] == path.relative_to(root).as_posix()
        assert "url" not in meta and "lastmod" in meta
