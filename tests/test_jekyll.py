"""The consumer of our output is Jekyll: build a real site from archived posts with `jekyll build`.

Skipped (with the reason) where `jekyll` is not installed; `.ci/run` installs it and sets
MEDIUM_ARCHIVE_REQUIRE_JEKYLL=1, which turns its absence into a failure.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS, FIXTURES, corpus_available, load_truth, truth_files

from medium_archive.archive import Options, Status, archive_one
from medium_archive.store import Site

LAYOUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ page.title }}</title></head>
<body><h1 class="post-title">{{ page.title }}</h1>
<p class="byline">{% for a in page.author %}{{ a.name }} {% endfor %}</p>
{{ content }}
</body></html>
"""
CONFIG = """title: archive test
markdown: kramdown
kramdown:
  input: GFM
defaults:
  - scope: {path: ""}
    values: {layout: post}
"""


def require_jekyll() -> str:
    exe = shutil.which("jekyll")
    if exe:
        return exe
    message = "jekyll is not installed (Debian package `jekyll`); .ci/run installs it"
    if os.environ.get("MEDIUM_ARCHIVE_REQUIRE_JEKYLL"):
        pytest.fail(message)
    pytest.skip(message)


def visible_text(page_html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", page_html)
    text = html.unescape(text).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u200a", " ")).strip()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", norm(text))


def new_site(root: Path) -> Path:
    """A Jekyll site to archive into: a config and a post layout showing title and byline."""
    (root / "_layouts").mkdir(parents=True)
    (root / "_layouts" / "post.html").write_text(LAYOUT, encoding="utf-8")
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    return root


def jekyll_build(jekyll: str, source: Path, destination: Path) -> None:
    """Run `jekyll build`; it must succeed and report no error."""
    result = subprocess.run(
        [jekyll, "build", "--source", str(source), "--destination", str(destination)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Error" not in result.stderr, result.stderr


def test_jekyll_builds_archived_posts(tmp_path: Path) -> None:
    jekyll = require_jekyll()
    site_root = new_site(tmp_path / "site")
    site = Site(site_root)

    sources: list[tuple[Path, str | None]] = [(FIXTURES / "sample" / "sample-post.html", None)]
    if corpus_available():
        for name in truth_files("pages"):
            truth = load_truth(name)
            if truth.get("is_post"):
                sources.append((CORPUS / "pages" / truth["source"], name))
    elif os.environ.get("MEDIUM_ARCHIVE_REQUIRE_CORPUS"):
        pytest.fail(f"corpus not found at {CORPUS}")

    expected: list[tuple[str, str, str]] = []  # (title, a text snippet, written path)
    seen_ids: set[str] = set()
    for path, truth_name in sources:
        outcome = archive_one(str(path), site=site, session=None, options=Options())
        assert outcome.status in (Status.ARCHIVED, Status.UPDATED, Status.UNCHANGED), outcome
        meta = yaml.safe_load(
            (site_root / outcome.path).read_text(encoding="utf-8").split("---")[1]
        )
        if outcome.post_id in seen_ids:  # two captures of one post share one file
            continue
        seen_ids.add(outcome.post_id)
        snippet = ""
        if truth_name:
            truth = load_truth(truth_name)
            snippet = norm(truth["body"]["first_paragraph"] or "")[:60]
        expected.append((meta["title"], snippet, outcome.path))

    jekyll_build(jekyll, site_root, tmp_path / "_site")

    built = {
        p: visible_text(p.read_text(encoding="utf-8")) for p in (tmp_path / "_site").rglob("*.html")
    }
    assert len(built) >= len(expected)
    # Tags become spaces in visible_text, so compare with all white space removed.
    all_text = squeeze("\n".join(built.values()))
    for title, snippet, written in expected:
        assert squeeze(title) in all_text, f"title of {written} not in the built site"
        if snippet:
            assert squeeze(snippet) in all_text, (
                f"first paragraph of {written} not in the built site"
            )
