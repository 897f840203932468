"""The oracle over the shared corpus (tests/corpus_oracle.py has the rules).

Every corpus page that embeds Medium's paragraph model is archived and its Markdown rendered by
CommonMark (markdown-it-py) and by kramdown (one real `jekyll build` of them all): every text
paragraph of the model must be a rendered block verbatim, every PRE inside a ``<pre>``, and
nothing the writer does not write (a table, a script, a ``javascript:`` link) may appear. Pages
without a model are held to their own document: each block read back as it was
(tests/render_oracle.py), through markdown-it-py.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import corpus_oracle as oracle
import pytest
from conftest import CORPUS, corpus_available, load_truth, truth_files
from render_oracle import problems
from test_jekyll import require_jekyll

from medium_archive.errors import MediumArchiveError
from medium_archive.extract import extract_post
from medium_archive.markdown import render_markdown

pytestmark = pytest.mark.corpus


@cache
def _pages() -> list[tuple[str, str, list[dict[str, Any]]]]:
    return list(oracle.model_pages(CORPUS)) if corpus_available() else []


@cache
def _archived(source: str) -> oracle.Archived:
    html = next(h for s, h, _ in _pages() if s == source)
    return oracle.archive(source, html)


@cache
def _expected(source: str) -> oracle.Expected:
    paras = next(p for s, _, p in _pages() if s == source)
    post = _archived(source)
    return oracle.expected(paras, post.title, post.subtitle)


def _sources() -> list[str]:
    return [s for s, _, _ in _pages()]


def _assert_faithful(result: oracle.Result) -> None:
    assert not result.missing, "\n".join(result.missing)
    assert not result.problems, result.problems
    assert result.verbatim == result.total and result.code_in_pre == result.code_total


def test_the_corpus_has_model_pages(corpus: Path) -> None:
    assert len(_sources()) >= 20


@pytest.mark.parametrize("source", _sources())
def test_model_paragraphs_verbatim_through_commonmark(corpus: Path, source: str) -> None:
    post = _archived(source)
    result = oracle.check(source, _expected(source), oracle.commonmark_html(post.body))
    assert result.total > 0
    _assert_faithful(result)


@pytest.fixture(scope="module")
def kramdown_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every model page's archived file built by one `jekyll build`: source → body HTML."""
    jekyll = require_jekyll()
    require_corpus_here()
    site = tmp_path_factory.mktemp("oracle") / "site"
    built = oracle.jekyll_site(site, [_archived(s) for s in _sources()])
    result = subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {s: oracle.built_body(p.read_text(encoding="utf-8")) for s, p in built.items()}


def require_corpus_here() -> None:
    from conftest import require_corpus

    require_corpus()


@pytest.mark.parametrize("source", _sources())
def test_model_paragraphs_verbatim_through_kramdown(
    kramdown_pages: dict[str, str], source: str
) -> None:
    result = oracle.check(source, _expected(source), kramdown_pages[source])
    assert result.total > 0
    _assert_faithful(result)


def _pages_without_model() -> list[str]:
    with_model = set(_sources())
    out = []
    for name in truth_files("pages"):
        truth = load_truth(name)
        if truth.get("is_post") and truth["source"] not in with_model:
            out.append(truth["source"])
    return out


@pytest.mark.parametrize("source", _pages_without_model())
def test_pages_without_a_model_read_back_as_their_document(corpus: Path, source: str) -> None:
    html = (CORPUS / "pages" / source).read_text(encoding="utf-8", errors="replace")
    try:
        post = extract_post(html, f"https://medium.com/{source}")
    except MediumArchiveError:
        pytest.skip("not a whole page (a body fragment)")
    found = problems(post.body, oracle.commonmark_html(render_markdown(post.body)))
    assert not found, "\n".join(found)


def _front(text: str) -> dict[str, Any]:
    import yaml

    loaded = yaml.safe_load(text.split("---\n", 2)[1])
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("source", _sources()[:6] + _pages_without_model()[:3])
def test_text_values_are_the_same_for_both_body_formats(
    corpus: Path, tmp_path: Path, source: str
) -> None:
    from medium_archive.archive import Options, archive_one
    from medium_archive.store import Site

    files = {}
    for body_format in ("markdown", "html"):
        site = Site(tmp_path / body_format)
        outcome = archive_one(
            str(CORPUS / "pages" / source),
            site=site,
            session=None,
            options=Options(body_format=body_format),
        )  # type: ignore[arg-type]
        assert outcome.path, outcome
        files[body_format] = (tmp_path / body_format / outcome.path).read_text(encoding="utf-8")
    markdown, html = _front(files["markdown"]), _front(files["html"])
    for key in ("description", "wordCount", "keywords", "inLanguage"):
        assert markdown.get(key) == html.get(key), key
    assert "](" not in str(markdown.get("description"))
