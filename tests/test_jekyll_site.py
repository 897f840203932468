"""A site that builds and reads well out of the box: the starter Jekyll site, and minima.

`jekyll` is found (or the tests skipped, failed in CI) as in test_jekyll.py. Expected values
(titles, authors, dates, tags, canonical URLs) come from the corpus's hand-verified truth files.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import FIXTURES, ROOT
from test_hugo import author_names, corpus_posts, squeeze, visible_text
from test_jekyll import jekyll_build, require_jekyll

from medium_archive import frontmatter
from medium_archive.cli import cli
from medium_archive.starter import starter_files

README = (ROOT / "README.md").read_text(encoding="utf-8")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def readme_snippet(name: str) -> str:
    """The fenced block right after ``<!-- readme-snippet: name -->`` in the README."""
    found = re.search(
        rf"<!-- readme-snippet: {re.escape(name)} -->\n```[a-z]*\n(.*?)```", README, re.S
    )
    assert found, f"README has no snippet {name!r}"
    return found.group(1)


def day(stamp: str) -> str:
    """``July 1, 2020`` for an ISO date (the starter layout's date format, in UTC)."""
    date = dt.date.fromisoformat(stamp[:10])
    return f"{date:%B} {date.day}, {date.year}"


def built_page(site: Path, meta: dict[str, Any]) -> str:
    """The built page of a post: Jekyll's default permalink, /YYYY/MM/DD/<slug>.html (UTC)."""
    name = Path(meta["sourcePath"]).stem  # YYYY-MM-DD-slug
    year, month, dd, slug = name[:4], name[5:7], name[8:10], name[11:]
    return (site / "_site" / year / month / dd / f"{slug}.html").read_text(encoding="utf-8")


def test_a_new_folder_gets_a_starter_site_that_builds_as_is(tmp_path: Path) -> None:
    jekyll = require_jekyll()
    posts = corpus_posts()
    site = tmp_path / "blog"  # does not exist
    result = run("archive", *(str(page) for page, _ in posts), "--site", str(site))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("new site: wrote a starter Jekyll site") == 1
    for rel, data in starter_files():
        assert (site / rel).read_bytes() == data

    jekyll_build(jekyll, site, site / "_site")  # nothing added by hand

    by_id: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for line, (_, truth) in zip(result.stdout.splitlines(), posts, strict=True):
        meta, _ = frontmatter.loads(Path(line).read_text(encoding="utf-8"))
        by_id[truth["post_id"]] = (meta, truth)  # two captures of a post: the last one wins
    for meta, truth in by_id.values():
        page = built_page(site, meta)
        text = visible_text(page)
        assert '<meta charset="utf-8">' in page
        assert squeeze(truth["title"]) in text
        names = author_names(truth)
        for name in names:
            assert f">{name}</a>" in html.unescape(page), name
        assert "=&gt;" not in page and "=>" not in page  # no Ruby hash printed
        assert f'class="published" datetime="{truth["date_published"][:10]}' in page
        assert squeeze(day(truth["date_published"])) in text
        for tag in truth["tags"]:
            assert f"<li>{html.escape(tag)}</li>" in page, tag
        assert f'class="original" href="{truth["canonical_url"]}"' in page
        first = truth["body"].get("first_paragraph") or ""
        if first:
            assert squeeze(first)[:60] in text

    home = (site / "_site" / "index.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in home
    listed = re.findall(r'<time class="post-date" datetime="([^"]+)"', home)
    assert len(listed) == len(by_id)
    assert listed == sorted(listed, reverse=True)  # newest first
    # and in the truth's order: titles by first publication, newest first
    truths = sorted((t for _, t in by_id.values()), key=lambda t: t["date_published"])
    links = re.findall(r'class="post-link" href="[^"]+">([^<]+)<', home)
    titles = [squeeze(html.unescape(t)) for t in links]
    assert titles == [squeeze(t["title"]) for t in reversed(truths)]


def test_posts_of_one_day_sort_by_time_of_day(tmp_path: Path) -> None:
    jekyll = require_jekyll()
    site = tmp_path / "blog"
    sample = (FIXTURES / "sample" / "sample-post.html").read_text(encoding="utf-8")
    early = sample.replace("5a3c2e1f9b7d", "0a3c2e1f9b7d").replace(
        "Archiving Your Writing", "Zzz Early Post"
    )
    assert "2022-11-02T" in sample
    pages = []
    # archived early first: the late post gets the "-<post-id>" file name, which Jekyll, for
    # posts of one date, would list after the early one ("-" sorts before ".")
    for name, text in (("early.html", early), ("late.html", sample)):
        stamp = re.search(r"2022-11-02T(\d\d):", text)
        assert stamp is not None
        hour = "01" if name == "early.html" else "22"
        text = re.sub(r"2022-11-02T\d\d:", f"2022-11-02T{hour}:", text)
        (tmp_path / name).write_text(text, encoding="utf-8")
        pages.append(str(tmp_path / name))
    result = run("archive", *pages, "--site", str(site))
    assert result.exit_code == 0, result.stderr
    jekyll_build(jekyll, site, site / "_site")
    home = (site / "_site" / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r'class="post-link" href="[^"]+">([^<]+)<', home)
    # by the time of day in `date` the early post comes last
    names = sorted(p.name for p in (site / "_posts").iterdir())
    assert names[0].endswith("-5a3c2e1f9b7d.md"), names
    assert [t.startswith("Zzz") for t in titles] == [False, True], titles


def test_an_existing_site_is_never_touched_outside_posts(tmp_path: Path) -> None:
    site = tmp_path / "mine"
    site.mkdir()
    (site / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = run("archive", str(FIXTURES / "sample" / "sample-post.html"), "--site", str(site))
    assert result.exit_code == 0, result.stderr
    assert "starter" not in result.stderr
    assert sorted(p.name for p in site.iterdir()) == [".medium-archive.lock", "_posts", "notes.txt"]


def test_a_failed_archive_plants_nothing(tmp_path: Path) -> None:
    result = run("archive", str(tmp_path / "missing.html"), "--site", str(tmp_path / "new"))
    assert result.exit_code == 1
    # Only the site lock (a dot file Jekyll ignores) may be there: no starter, no post.
    new = tmp_path / "new"
    assert not new.exists() or [p.name for p in new.rglob("*")] == [".medium-archive.lock"]


def test_minima_with_the_readme_snippet_shows_the_authors_name(tmp_path: Path) -> None:
    jekyll = require_jekyll()
    posts = corpus_posts()
    site = tmp_path / "minima-site"
    made = subprocess.run(
        [jekyll, "new", "--skip-bundle", str(site)], capture_output=True, text=True, timeout=120
    )
    if made.returncode != 0 or "theme: minima" not in (site / "_config.yml").read_text():
        pytest.fail(f"`jekyll new` did not make a minima site: {made.stdout}{made.stderr}")
    page, truth = next((p, t) for p, t in posts if t["post_id"] == "be46360cf367")
    result = run("archive", str(page), "--site", str(site))
    assert result.exit_code == 0, result.stderr
    meta, _ = frontmatter.loads(Path(result.stdout.strip()).read_text(encoding="utf-8"))
    name = author_names(truth)[0]

    # Without the snippet: minima prints the Ruby hash (what the README warns about).
    config = site / "_config.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\n" + readme_snippet("minima-config"),
        encoding="utf-8",
    )
    jekyll_build(jekyll, site, site / "_site")
    before = built_page(site, meta)
    assert '{"name"=>"Dan Abramov"' in html.unescape(before), before
    assert f"{name}</a>" not in before

    # With it: the author's name, linked to the profile; minima's own head still works.
    layouts = site / "_layouts"
    layouts.mkdir(exist_ok=True)
    (layouts / "post.html").write_text(readme_snippet("minima-post-layout"), encoding="utf-8")
    jekyll_build(jekyll, site, site / "_site")
    after = built_page(site, meta)
    assert "=&gt;" not in after and "=>" not in after
    assert f'href="{truth["author"]["url"]}">{name}</a>' in after
    assert '<meta charset="utf-8">' in after
    assert f'<link rel="canonical" href="{truth["canonical_url"]}"' in after  # jekyll-seo-tag
    assert squeeze(truth["title"]) in visible_text(after)


SITE_KEYS = ("date", "last_modified_at", "tags", "canonical_url")


def strip_site_keys(path: Path) -> None:
    """Make ``path`` look written by an earlier version: no generator keys, a valid hash."""
    meta, body = frontmatter.loads(path.read_text(encoding="utf-8"))
    old = {k: v for k, v in meta.items() if k not in SITE_KEYS}
    path.write_text(frontmatter.dumps_with_hash(old, body), encoding="utf-8")


def test_older_files_get_the_new_keys_when_rewritten_then_stay_put(
    tmp_path: Path, httpserver: Any
) -> None:
    sample = FIXTURES / "sample" / "sample-post.html"
    httpserver.expect_request("/@ada/a-post-5a3c2e1f9b7d").respond_with_data(
        sample.read_bytes(), content_type="text/html; charset=utf-8"
    )
    url = httpserver.url_for("/@ada/a-post-5a3c2e1f9b7d")
    site = tmp_path / "blog"
    first = run("archive", url, "--site", str(site))
    assert first.exit_code == 0, first.stderr
    post = Path(first.stdout.strip())
    current = post.read_bytes()

    strip_site_keys(post)  # sync rewrites it with the new keys, and names them
    synced = run("sync", "--site", str(site))
    assert synced.exit_code == 0, synced.stderr
    assert "(date, last_modified_at, tags, canonical_url)" in synced.stdout, synced.stdout
    assert post.read_bytes() == current

    strip_site_keys(post)  # so does archive
    assert run("archive", url, "--site", str(site)).exit_code == 0
    assert post.read_bytes() == current
    mtime = post.stat().st_mtime_ns
    for command in (("archive", url), ("sync",)):  # then nothing changes any more
        again = run(*command, "--site", str(site))
        assert again.exit_code == 0, again.stderr
        assert (post.read_bytes(), post.stat().st_mtime_ns) == (current, mtime)

    strip_site_keys(post)  # repair adds what the file itself determines (not tags)
    assert run("repair", "--site", str(site)).exit_code == 0
    meta, _ = frontmatter.loads(post.read_text(encoding="utf-8"))
    assert [k for k in SITE_KEYS if k in meta] == ["date", "last_modified_at", "canonical_url"]
    assert list(meta)[-3:] == ["date", "last_modified_at", "canonical_url"]


def test_every_starter_file_is_package_data() -> None:
    """pyproject's package-data patterns ship every starter file in the wheel."""
    import fnmatch

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    table = r"\[tool\.setuptools\.package-data\]\nmedium_archive = \[(.*?)\]"
    block = re.search(table, pyproject, re.S)
    assert block is not None
    patterns = re.findall(r'"([^"]+)"', block.group(1))
    shipped = ROOT / "medium_archive" / "starter"
    files = [p.relative_to(ROOT / "medium_archive").as_posix() for p in shipped.rglob("*")]
    files = [f for f in files if (ROOT / "medium_archive" / f).is_file()]
    assert len(files) == len(list(starter_files())) == 5
    for rel in files:
        assert any(
            fnmatch.fnmatch(rel, pattern) and rel.count("/") == pattern.count("/")
            for pattern in patterns
        ), rel
