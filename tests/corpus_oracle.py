"""The corpus oracle: Medium's own paragraph model against what a renderer shows of our Markdown.

For every corpus page that embeds a body model (obvInit/GLOBALS or Apollo), the expected text
is read straight from the model's JSON here, with none of the archiver's reading code: each text
paragraph (P, headings, quotes, list items) and each image caption must appear verbatim as one
rendered block (white space collapsed; kramdown's smart quotes, dashes and ellipses folded), each
PRE paragraph inside a ``<pre>``, and the rendering must hold no ``<table>``, ``<script>``,
``javascript:`` link or other tag that the Markdown writer does not write. The post's title and
subtitle, which Medium keeps as the first paragraphs, live in the front matter and are not looked
for in the body.

Used by tests/test_oracle_corpus.py and by benchmarks/oracle_corpus.py (which prints the numbers,
also for older code whose `Post` holds ``body_html``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from render_oracle import RENDERED_TAGS

from medium_archive import pagedata

#: Block elements whose text is one rendered block.
_TEXT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "td", "th")
_OBV_TEXT = {
    1: "P",
    2: "H",
    3: "H",
    13: "H",
    6: "BQ",
    7: "PQ",
    9: "ULI",
    10: "OLI",
    4: "IMG",
    8: "PRE",
}
_APOLLO_TEXT = {
    "P": "P",
    "H2": "H",
    "H3": "H",
    "H4": "H",
    "BQ": "BQ",
    "PQ": "PQ",
    "ULI": "ULI",
    "OLI": "OLI",
    "IMG": "IMG",
    "PRE": "PRE",
}


@dataclass
class Expected:
    """The model's text paragraphs (kind, text) and PRE texts, in order."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    code: list[str] = field(default_factory=list)


def _resolve(refs: dict[str, Any], ref: Any) -> Any:
    if isinstance(ref, dict):
        key = ref.get("__ref") or (ref.get("id") if ref.get("type") == "id" else None)
        if isinstance(key, str):
            found = refs.get(key) or refs.get("$" + key) or refs.get(key.lstrip("$"))
            return found if isinstance(found, dict) else {}
    return ref


def model_paragraphs(html: str) -> list[dict[str, Any]] | None:
    """The body model's paragraphs as Medium embedded them (references followed), or None."""
    page = pagedata.build_page(html, "https://medium.com/x")
    state = page.state
    if state is None:
        return None
    if state.kind == "obvinit":
        content = state.post.get("content")
        model = content.get("bodyModel") if isinstance(content, dict) else None
        paras = model.get("paragraphs") if isinstance(model, dict) else None
        return [p for p in paras if isinstance(p, dict)] if isinstance(paras, list) else None
    best: list[dict[str, Any]] | None = None
    for key, content in state.post.items():
        if not key.startswith("content"):
            continue
        model = _resolve(state.refs, _resolve(state.refs, content).get("bodyModel"))
        paras = model.get("paragraphs") if isinstance(model, dict) else None
        if isinstance(paras, list) and (best is None or len(paras) > len(best)):
            best = [_resolve(state.refs, p) for p in paras]
    return best


def _kind(para: dict[str, Any]) -> str | None:
    code = para.get("type")
    if isinstance(code, int):
        return _OBV_TEXT.get(code)
    return _APOLLO_TEXT.get(code) if isinstance(code, str) else None


def expected(paragraphs: list[dict[str, Any]], title: str, subtitle: str) -> Expected:
    """What the rendering must show: every text paragraph but the title and subtitle (and a
    kicker heading above the title), which are looked for among the leading ones only. Entity
    text is decoded, as FORMAT.md asks of all text outside code."""
    out = Expected()
    leading = True
    texts = [
        (k, t)
        for p in paragraphs
        if (k := _kind(p)) and isinstance(t := p.get("text"), str) and t.strip()
    ]
    heads = [i for i, (k, t) in enumerate(texts[:3]) if k == "H" and fold(t) == fold(title)]
    kicker = heads[0] if heads and all(k == "H" for k, _ in texts[: heads[0]]) else 0
    for index, (kind, text) in enumerate(texts):
        if index < kicker:
            continue  # a kicker above the title (Medium's chrome)
        text = html.unescape(html.unescape(text)) if kind != "PRE" and "&" in text else text
        if kind == "PRE":
            out.code.append(text.strip("\n"))
            leading = False
            continue
        if leading and kind != "IMG" and fold(text) in (fold(title), fold(subtitle)):
            continue  # in the front matter
        if leading and kind == "H" and fold(text) in fold(title):
            continue  # a title set as two headings
        if kind != "IMG":
            leading = False
        out.texts.append((kind, text))
    return out


_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00ab": "<<",
        "\u00bb": ">>",
        "\u00a0": " ",
        "\u200a": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2007": " ",
    }
)


def fold(text: str) -> str:
    """Text as compared: kramdown's typography folded (quotes straight, dashes one hyphen,
    ellipsis three dots), white space collapsed."""
    text = text.translate(_QUOTES).replace("\u2026", "...")
    text = re.sub(r"-+", "-", text)
    return " ".join(text.split())


def rendered_blocks(page: str) -> tuple[set[str], list[str], list[str]]:
    """(the folded text of every rendered text block, the text of every ``<pre>``, problems:
    invented tags and non-http links)."""
    if not page.strip():
        return set(), [], []
    root = lxml.html.fragment_fromstring(page, create_parent="div")
    texts: set[str] = set()
    for el in root.iter(*_TEXT_BLOCKS):
        for br in el.iter("br"):
            br.tail = " " + (br.tail or "")
        texts.add(fold(el.text_content()))
    for quote in root.iter("blockquote"):
        texts.add(fold(quote.text_content()))
    pres = [pre.text_content().strip("\n") for pre in root.iter("pre")]
    problems: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el is root:
            continue
        if el.tag not in RENDERED_TAGS:
            problems.append(f"<{el.tag}>")
        href = el.get("href")
        if href is not None and not re.match(r"(?:https?://|mailto:|/|#)", href.strip(), re.I):
            problems.append(f"href {href[:40]!r}")
    return texts, pres, problems


@dataclass
class Result:
    """One page through one renderer."""

    source: str
    total: int = 0
    verbatim: int = 0
    code_total: int = 0
    code_in_pre: int = 0
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check(source: str, want: Expected, page: str) -> Result:
    """``page``: the rendered body HTML. A paragraph Medium cut with "…" (the preview an
    incomplete model holds) is found when a rendered block starts with its stem."""
    texts, pres, problems = rendered_blocks(page)
    result = Result(source, problems=problems)
    for kind, text in want.texts:
        result.total += 1
        stem = fold(text).removesuffix("…").removesuffix("...").rstrip()
        cut = text.rstrip().endswith("…")
        if fold(text) in texts or (cut and any(t.startswith(stem) for t in texts)):
            result.verbatim += 1
        else:
            result.missing.append(f"{kind}: {text[:120]!r}")
    for code in want.code:
        result.code_total += 1
        if any(code in pre or code.strip() in pre for pre in pres):
            result.code_in_pre += 1
        else:
            result.missing.append(f"PRE: {code[:80]!r}")
    return result


def model_pages(corpus: Any) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """(source, html, paragraphs) of every corpus post page that embeds a body model."""
    import json

    for truth_file in sorted((corpus / "truth").glob("*.json")):
        if truth_file.name.startswith("formats__"):
            continue
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if not truth.get("is_post"):
            continue
        html = (corpus / "pages" / truth["source"]).read_text(encoding="utf-8", errors="replace")
        paras = model_paragraphs(html)
        if paras:
            yield truth["source"], html, paras


# ---------------------------------------------------------------- archiving and rendering


LAYOUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ page.title }}</title></head>
<body><main id="oracle-body">
{{ content }}
</main></body></html>
"""
CONFIG = """title: oracle
markdown: kramdown
kramdown:
  input: GFM
defaults:
  - scope: {path: ""}
    values: {layout: post}
"""


@dataclass
class Archived:
    source: str
    title: str
    subtitle: str
    body: str  # the Markdown body
    file_text: str  # the whole file, front matter and body


def archive(source: str, html: str) -> Archived:
    """Archive a page as `medium-archive archive` does (extract, render, front matter), without
    writing it; works with a `Post` holding ``body`` (a Document) or, older, ``body_html``."""
    from medium_archive import frontmatter, markdown
    from medium_archive.extract import extract_post

    post = extract_post(html, f"https://medium.com/{source}")
    if hasattr(post, "body_html"):  # the code before the document model
        body = markdown.to_markdown(post.body_html)
    else:
        body = markdown.render_markdown(post.body)
    meta = frontmatter.front_matter(post, source_path="_posts/x.md", body_markdown=body)
    text = frontmatter.dumps(meta, body)
    return Archived(source, post.title, post.subtitle, body, text)


def commonmark_html(markdown_text: str) -> str:
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark").render(markdown_text))


def jekyll_site(root: Any, posts: list[Archived]) -> dict[str, Any]:
    """Write a Jekyll site of the posts (``_posts/2000-01-01-p<n>.md``, each at its own
    permalink); returns source → built page path (under ``root / "_site"``)."""
    (root / "_layouts").mkdir(parents=True, exist_ok=True)
    (root / "_layouts" / "post.html").write_text(LAYOUT, encoding="utf-8")
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (root / "_posts").mkdir(exist_ok=True)
    built: dict[str, Any] = {}
    for n, post in enumerate(posts):
        head, body = post.file_text.split("\n---\n", 1)
        text = f"{head}\npermalink: /p{n}.html\n---\n{body}"
        (root / "_posts" / f"2000-01-01-p{n}.md").write_text(text, encoding="utf-8")
        built[post.source] = root / "_site" / f"p{n}.html"
    return built


def built_body(page_html: str) -> str:
    """The rendered body inside a built page's ``<main>``."""
    start = page_html.index('<main id="oracle-body">') + len('<main id="oracle-body">')
    return page_html[start : page_html.rindex("</main>")]
