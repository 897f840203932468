"""The document writers: `render_markdown` read back by CommonMark (markdown-it-py), by kramdown
(a real `jekyll build`) and by goldmark (a real `hugo` build), and `render_html`, on hand-made
and generated documents.

The oracle (tests/render_oracle.py) knows nothing of the writer: it takes each block's text from
the model and each rendered block's text from the renderer's HTML. The Jekyll and Hugo tests are
skipped (with the reason) where the tool is not installed, an error in CI
(MEDIUM_ARCHIVE_REQUIRE_JEKYLL, MEDIUM_ARCHIVE_REQUIRE_HUGO).
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from render_oracle import (
    ALPHABET,
    HOSTILE_DOCUMENTS,
    HREFS,
    TOKENS,
    expected,
    problems,
    random_document,
    seen,
)
from test_jekyll import jekyll_build, require_jekyll

from medium_archive import frontmatter
from medium_archive.cleanup import has_entity_text
from medium_archive.document import (
    Break,
    Code,
    Document,
    Embed,
    Heading,
    Image,
    ListItem,
    Paragraph,
    Quote,
    Run,
)
from medium_archive.markdown import render_html, render_markdown
from medium_archive.repair import (
    _MD_INLINE_CODE_RE,
    _MD_RAW_TAG_RE,
    _markdown_chunks,
    repair_body,
)

#: CommonMark as Hugo's goldmark runs it: GFM tables and strikethrough on.
COMMONMARK = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def commonmark(markdown: str) -> str:
    return COMMONMARK.render(markdown)


# ---------------------------------------------------------------- strategies

_texts = st.lists(
    st.one_of(st.sampled_from(ALPHABET), st.sampled_from(TOKENS), st.characters()),
    min_size=1,
    max_size=12,
).map("".join)
_runs = st.lists(
    st.builds(
        Run,
        _texts,
        strong=st.booleans(),
        em=st.booleans(),
        code=st.booleans(),
        href=st.one_of(st.just(""), st.sampled_from(HREFS)),
    ),
    min_size=1,
    max_size=6,
).map(tuple)
_codes = st.builds(
    Code,
    st.lists(_texts, min_size=1, max_size=4).map("\n".join),
    st.sampled_from(("", "python", "js", "c++")),
)
_blocks = st.one_of(
    st.builds(Paragraph, _runs),
    st.builds(Heading, _runs, level=st.sampled_from((2, 3, 4))),
    st.builds(Quote, _runs, pull=st.booleans()),
    st.builds(ListItem, _runs, ordered=st.booleans()),
    _codes,
    st.builds(
        Image,
        st.sampled_from(("https://miro.medium.com/max/2000/a.png", "https://x.y/b (1).png")),
        alt=_texts,
        caption=st.one_of(st.just(()), _runs),
        href=st.one_of(st.just(""), st.sampled_from(HREFS)),
    ),
    st.builds(
        Embed,
        st.sampled_from(HREFS),
        title=st.one_of(st.just(""), _texts),
        caption=st.one_of(st.just(()), _runs),
        code=st.lists(_codes, max_size=2).map(tuple),
    ),
    st.just(Break()),
)
_documents = st.lists(_blocks, min_size=1, max_size=8).map(lambda b: Document(tuple(b)))


# ---------------------------------------------------------------- CommonMark


@pytest.mark.parametrize("doc", HOSTILE_DOCUMENTS, ids=lambda d: f"{len(d.blocks)}-blocks")
def test_hostile_documents_read_back_through_commonmark(doc: Document) -> None:
    assert problems(doc, commonmark(render_markdown(doc))) == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents)
def test_any_document_reads_back_through_commonmark(doc: Document) -> None:
    markdown = render_markdown(doc)
    assert problems(doc, commonmark(markdown)) == []
    assert markdown == "" or (markdown.endswith("\n") and not markdown.endswith("\n\n"))


@settings(max_examples=200, deadline=None)
@given(_documents)
def test_markdown_has_no_entity_text_and_repair_keeps_it(doc: Document) -> None:
    """FORMAT.md: no entity text outside code, no odd spaces; `repair` changes nothing."""
    markdown = render_markdown(doc)
    assert repair_body(markdown) == markdown
    prose = "".join(text for is_code, text in _markdown_chunks(markdown) if not is_code)
    prose = _MD_RAW_TAG_RE.sub(" ", _MD_INLINE_CODE_RE.sub(" ", prose))  # code spans, <code>
    assert not has_entity_text(prose)
    assert "\u00a0" not in prose and "\u200a" not in prose


@settings(max_examples=200, deadline=None)
@given(_runs)
def test_runs_split_anyhow_render_alike(runs: tuple[Run, ...]) -> None:
    """Splitting a run in two (equal marks) changes nothing: runs are merged before writing."""
    split = []
    for run in runs:
        cut = len(run.text) // 2
        split += [
            Run(run.text[:cut], run.strong, run.em, run.code, run.href),
            Run(run.text[cut:], run.strong, run.em, run.code, run.href),
        ]
    assert render_markdown(Document((Paragraph(runs),))) == render_markdown(
        Document((Paragraph(tuple(split)),))
    )


def test_links_only_http_https_mailto() -> None:
    doc = HOSTILE_DOCUMENTS[0]
    root = lxml.html.fromstring(commonmark(render_markdown(doc)))
    hrefs = [a.get("href") for a in root.iter("a")]
    assert "https://en.wikipedia.org/wiki/Power_(statistics)" in hrefs
    assert "mailto:someone@example.com" in hrefs
    assert all(re.match(r"https?://|mailto:", h) for h in hrefs), hrefs


def test_liquid_in_the_body_turns_liquid_off() -> None:
    """FORMAT.md: `{{`/`{%` in the body → `render_with_liquid: false` (frontmatter.py)."""
    from medium_archive.model import Post

    body = render_markdown(Document((Paragraph((Run("{{ page.title }} {% raw %}"),)),)))
    assert "{{ page.title }}" in body and "{% raw %}" in body
    post = Post(
        id="0123456789ab",
        url="https://medium.com/@a/x-0123456789ab",
        title="T",
        body=Document(),
        date_published="2020-01-01",
    )
    meta = frontmatter.front_matter(post, source_path="x.html", body_markdown=body)
    assert meta["render_with_liquid"] is False


# ---------------------------------------------------------------- golden (checked by eye)


def test_golden_small_document() -> None:
    doc = Document(
        (
            Heading(
                (Run("Why "), Run("this", em=True), Run(" matters")),
            ),
            Paragraph(
                (
                    Run("Have a look at "),
                    Run("this repository", href="https://github.com/a/b"),
                    Run(". It is "),
                    Run("really ", strong=True),
                    Run("fast", strong=True, em=True),
                    Run(" (see "),
                    Run("power", href="https://en.wikipedia.org/wiki/Power_(statistics)"),
                    Run(").\nNext line: "),
                    Run("x < y", code=True),
                    Run(" & <canvas> | *stars*"),
                )
            ),
            Quote((Run("A quote\nin two lines"),)),
            ListItem((Run("one"),)),
            ListItem((Run("two"),)),
            ListItem((Run("first"),), ordered=True),
            ListItem((Run("second"),), ordered=True),
            Code("for x in y:\n\n    print('```')", "python"),
            Image(
                "https://miro.medium.com/max/2000/a.png",
                alt="A chart",
                caption=(Run("Photo by "), Run("Hubster", em=True)),
            ),
            Embed("https://gist.github.com/a/b", title="a gist", code=(Code("x = 1", "python"),)),
            Break(),
            Paragraph((Run("1. not a list, * not a bullet, # not a heading"),)),
        )
    )
    assert render_markdown(doc) == (
        "## Why *this* matters\n"
        "\n"
        "Have a look at [this repository](https://github.com/a/b). It is **really *fast*** "
        "(see [power](https://en.wikipedia.org/wiki/Power_(statistics))).\\\n"
        "Next line: `x < y` & \\<canvas\\> \\| \\*stars\\*\n"
        "\n"
        "> A quote\\\n"
        "> in two lines\n"
        "\n"
        "- one\n"
        "- two\n"
        "\n"
        "1. first\n"
        "2. second\n"
        "\n"
        "````python\n"
        "for x in y:\n"
        "\n"
        "    print('```')\n"
        "````\n"
        "\n"
        "![A chart](https://miro.medium.com/max/2000/a.png)\n"
        "*Photo by* Hubster\n"
        "\n"
        "```python\n"
        "x = 1\n"
        "```\n"
        "\n"
        "[a gist](https://gist.github.com/a/b)\n"
        "\n"
        "* * *\n"
        "\n"
        "1\\. not a list, \\* not a bullet, # not a heading\n"
    )


def test_golden_emphasis_at_awkward_boundaries() -> None:
    doc = Document(
        (
            Paragraph(
                (Run("foo"), Run("(bar)", strong=True), Run("baz")),
            ),  # needs <strong>
            Paragraph(
                (Run("in"), Run("word", em=True), Run("s")),
            ),  # * works inside a word
            Paragraph(
                (Run("say "), Run(" hi ", strong=True), Run("now")),
            ),  # spaces moved out
            Paragraph((Run("snake_case and _under_ and a_1"),)),
            Paragraph((Run("&amp; stays &amp; and [^1] stays"),)),
            Paragraph((Run("^up", href="https://e.com"),)),
            Paragraph(
                (Run("Background:", strong=True, em=True), Run(" I have")),
            ),  # one *** run
            Paragraph(
                (
                    Run("asks "),
                    Run("what the most ", em=True),
                    Run("sense", em=True, strong=True),
                    Run(",", em=True),
                    Run(" where"),
                ),
            ),
            Paragraph(
                (Run("by our "), Run("vote page!", em=True, href="https://e.com/vote")),
            ),
            Paragraph(
                (Run("("), Run("minus 30 points!", em=True), Run(").")),
            ),
            Paragraph(
                (Run("a"), Run("b", em=True), Run("c", strong=True)),
            ),  # no "***" touching
            Paragraph((Run("^"),)),  # kramdown: a "^" line ends a block
        )
    )
    assert render_markdown(doc) == (
        "foo<strong>(bar)</strong>baz\n"
        "\n"
        "in*word*s\n"
        "\n"
        "say  **hi** now\n"
        "\n"
        "snake_case and \\_under\\_ and a_1\n"
        "\n"
        "&<!-- -->amp; stays &<!-- -->amp; and \\[^1\\] stays\n"
        "\n"
        "[<!-- -->^up](https://e.com)\n"
        "\n"
        "***Background:*** I have\n"
        "\n"
        "asks *what the most **sense**,* where\n"
        "\n"
        "by our [*vote page!*](https://e.com/vote)\n"
        "\n"
        "(*minus 30 points!*).\n"
        "\n"
        "a*b*__c__\n"
        "\n"
        "^<!-- -->\n"
    )


def test_lists_of_one_kind_apart_stay_apart() -> None:
    doc = Document(
        (
            ListItem((Run("a"),)),
            Paragraph((Run(" "),)),
            ListItem((Run("b"),)),
            ListItem((Run("c"),), ordered=True),
        )
    )
    assert render_markdown(doc) == "- a\n\n<!-- -->\n\n- b\n\n1. c\n"
    html = commonmark(render_markdown(doc))
    assert html.count("<ul>") == 2 and html.count("<ol>") == 1


def test_empty_document() -> None:
    assert render_markdown(Document()) == ""
    assert render_markdown(Document((Paragraph((Run("  "),)), ListItem(())))) == ""
    assert render_html(Document()) == ""


# ---------------------------------------------------------------- --body html


@pytest.mark.parametrize("doc", HOSTILE_DOCUMENTS, ids=lambda d: f"{len(d.blocks)}-blocks")
def test_html_body_of_hostile_documents(doc: Document) -> None:
    html = render_html(doc)
    assert html.startswith("<article>\n") and html.endswith("</article>\n")
    assert problems(doc, html) == []


@settings(max_examples=200, deadline=None)
@given(_documents)
def test_html_body_of_any_document(doc: Document) -> None:
    html = render_html(doc)
    if not html:
        assert expected(doc) == []
        return
    assert problems(doc, html) == []


def test_html_body_shape() -> None:
    doc = HOSTILE_DOCUMENTS[1]
    html = render_html(doc)
    assert "<pre data-lang=\"python\">def f():\n\n    return '```'  # `x`</pre>" in html
    assert '<figure><img src="https://miro.medium.com/max/2000/a (1).png"' in html
    assert "<figcaption>Photo by <em>Hubster</em> on " in html
    assert "<ol>\n<li>first</li>\n<li>1. second</li>\n</ol>" in html
    assert 'href="javascript' not in html and "<script" not in html


# ---------------------------------------------------------------- kramdown, in a real Jekyll


#: Two sites: kramdown as Jekyll configures it by default, and with its typographic symbols and
#: smart quotes turned off, so that the text can be compared exactly. With them on, `--` becomes
#: "–", `...` "…" and straight quotes curl: typography the site chooses, not markup; that
#: site's text is compared with those characters mapped back (`typographic`).
STOCK_CONFIG = """title: render test
markdown: kramdown
"""
EXACT_CONFIG = """title: render test
markdown: kramdown
kramdown:
  input: GFM
  smart_quotes: ["apos", "apos", "quot", "quot"]
  typographic_symbols: {hellip: "...", mdash: "---", ndash: "--", laquo: "<<", raquo: ">>",
                        laquo_space: "<< ", raquo_space: " >>"}
"""
_TYPOGRAPHY = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "—": "---",
        "–": "--",
        "…": "...",
        "«": "<<",
        "»": ">>",
    }
)


def typographic(doc: Document) -> Document:
    """``doc`` with kramdown's typographic characters mapped back to ASCII, so that it compares
    with a stock Jekyll rendering mapped the same way (`problems` sees only text)."""

    def runs(inline: tuple[Run, ...]) -> tuple[Run, ...]:
        return tuple(
            r if r.code else Run(r.text.translate(_TYPOGRAPHY), r.strong, r.em, r.code, r.href)
            for r in inline
        )

    blocks = []
    for block in doc.blocks:
        if isinstance(block, (Paragraph, Heading, Quote, ListItem)):
            block = dataclasses.replace(block, runs=runs(block.runs))
        elif isinstance(block, Image):
            block = dataclasses.replace(block, caption=runs(block.caption))
        elif isinstance(block, Embed):
            block = dataclasses.replace(
                block, caption=runs(block.caption), title=block.title.translate(_TYPOGRAPHY)
            )
        blocks.append(block)
    return Document(tuple(blocks))


def _untypographic(html: str) -> str:
    """Rendered HTML with typographic characters in text outside code mapped back to ASCII
    (not in tags: an alt text's "”" mapped to '"' would end the attribute)."""
    parts = re.split(r"(<code\b.*?</code>|<[^>]*>)", html, flags=re.S)
    return "".join(p if i % 2 else p.translate(_TYPOGRAPHY) for i, p in enumerate(parts))


@pytest.mark.jekyll
@pytest.mark.parametrize("config", [EXACT_CONFIG, STOCK_CONFIG], ids=["exact", "stock"])
def test_documents_read_back_through_kramdown_in_jekyll(tmp_path: Path, config: str) -> None:
    jekyll = require_jekyll()
    stock = config == STOCK_CONFIG
    rng = random.Random(9)
    docs = list(HOSTILE_DOCUMENTS) + [random_document(rng) for _ in range(800)]
    source = tmp_path / "site"
    (source / "_layouts").mkdir(parents=True)
    (source / "_posts").mkdir()
    (source / "_layouts" / "bare.html").write_text(
        "<html><body><main>\n{{ content }}\n</main></body></html>\n", encoding="utf-8"
    )
    (source / "_config.yml").write_text(config, encoding="utf-8")
    bodies = []
    for i, doc in enumerate(docs):
        body = render_markdown(doc)
        bodies.append(body)
        meta: dict[str, object] = {"title": f"doc {i}", "layout": "bare"}
        if "{{" in body or "{%" in body:
            meta["render_with_liquid"] = False
        (source / "_posts" / f"2020-01-01-doc-{i}.md").write_text(
            frontmatter.dumps(meta, body), encoding="utf-8"
        )
    jekyll_build(jekyll, source, tmp_path / "_site")

    failures = []
    for i, doc in enumerate(docs):
        page = (tmp_path / "_site" / "2020" / "01" / "01" / f"doc-{i}.html").read_text(
            encoding="utf-8"
        )
        content = page.split("<main>\n", 1)[1].rsplit("\n</main>", 1)[0]
        if stock:
            found = problems(typographic(doc), _untypographic(content))
        else:
            found = problems(doc, content)
        if found:
            failures.append(f"doc {i}:\n{bodies[i]}\n" + "\n".join(found))
    assert not failures, "\n\n".join(failures[:5])

    hostile = (tmp_path / "_site" / "2020" / "01" / "01" / "doc-0.html").read_text(encoding="utf-8")
    assert 'href="https://en.wikipedia.org/wiki/Power_(statistics)"' in hostile
    assert 'href="mailto:someone@example.com"' in hostile
    assert "javascript:" not in re.sub(r">[^<]*<", "><", hostile)  # only as text
    assert "<table" not in hostile and "<script" not in hostile
    code = (tmp_path / "_site" / "2020" / "01" / "01" / "doc-1.html").read_text(encoding="utf-8")
    assert '<div class="language-python highlighter-rouge">' in code
    assert [s.lang for s in seen(code.split("<main>", 1)[1]) if s.kind == "code"][:1] == ["python"]


# ---------------------------------------------------------------- goldmark, in a real Hugo

#: Hugo's goldmark with its typographer (quotes, dashes) and linkify turned off, so that the
#: text compares exactly: linkify also makes links of bare URLs and e-mail addresses, and takes
#: an emphasis mark next to an address into it (``*b*9@a.a`` → a link to ``b*9@a.a``).
#: ``unsafe`` false is Hugo's default: inline HTML is dropped, its text kept.
HUGO_CONFIG = """baseURL = "http://example.org/"
title = "render test"
disableKinds = ["taxonomy", "term", "RSS", "sitemap"]
[markup.goldmark.renderer]
unsafe = {unsafe}
[markup.goldmark.extensions]
typographer = false
linkify = false
"""


def require_hugo() -> str:
    exe = shutil.which("hugo")
    if exe:
        return exe
    message = "hugo is not installed (Debian package `hugo`); .ci/run installs it"
    if os.environ.get("MEDIUM_ARCHIVE_REQUIRE_HUGO"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.hugo
@pytest.mark.parametrize("unsafe", ["true", "false"])
def test_documents_read_back_through_goldmark_in_hugo(tmp_path: Path, unsafe: str) -> None:
    hugo = require_hugo()
    rng = random.Random(11)
    docs = list(HOSTILE_DOCUMENTS) + [random_document(rng) for _ in range(600)]
    source = tmp_path / "site"
    (source / "layouts" / "_default").mkdir(parents=True)
    (source / "content" / "posts").mkdir(parents=True)
    (source / "layouts" / "_default" / "single.html").write_text(
        "<main>\n{{ .Content }}\n</main>\n", encoding="utf-8"
    )
    for name in ("list.html", "index.html"):
        (source / "layouts" / "_default" / name).write_text("", encoding="utf-8")
    (source / "hugo.toml").write_text(HUGO_CONFIG.format(unsafe=unsafe), encoding="utf-8")
    bodies = []
    for i, doc in enumerate(docs):
        body = render_markdown(doc)
        bodies.append(body)
        (source / "content" / "posts" / f"doc-{i}.md").write_text(
            frontmatter.dumps({"title": f"doc {i}"}, body), encoding="utf-8"
        )
    result = subprocess.run(
        [hugo, "--source", str(source), "--destination", str(tmp_path / "public"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    failures = []
    for i, doc in enumerate(docs):
        page = (tmp_path / "public" / "posts" / f"doc-{i}" / "index.html").read_text(
            encoding="utf-8"
        )
        content = page.split("<main>\n", 1)[1].rsplit("\n</main>", 1)[0]
        found = problems(doc, content)
        if found:
            failures.append(f"doc {i}:\n{bodies[i]}\n" + "\n".join(found))
    assert not failures, "\n\n".join(failures[:5])
