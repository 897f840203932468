"""The ``--body html`` writer: a `Document` as the body contract's simple HTML, sanitised by
nh3, inside ``<article>``."""

from __future__ import annotations

from html import escape

import nh3

from .document import (
    Block,
    Break,
    Code,
    Document,
    Embed,
    Heading,
    Image,
    Inline,
    Paragraph,
    Quote,
    Run,
    plain,
)
from .writing import (
    LANG_RE,
    Span,
    grouped,
    image_src,
    link_href,
    nest,
    output_code,
    output_text,
    prepare,
)

#: Tags and attributes of the normalised body contract (see body.py).
ALLOWED_TAGS = frozenset(
    {
        "h2",
        "h3",
        "p",
        "blockquote",
        "ul",
        "ol",
        "li",
        "hr",
        "pre",
        "figure",
        "img",
        "figcaption",
        "a",
        "strong",
        "em",
        "code",
        "br",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt"},
    "pre": {"data-lang"},
    "p": {"class"},
}


def _html_inline(children: list[Span | Run]) -> str:
    out: list[str] = []
    for child in children:
        if isinstance(child, Run):
            text = escape(child.text, quote=False)
            if child.code:
                out.append(f"<code>{text}</code>")
            else:
                out.append(text.replace("\n", "<br>\n") if "\n" in text else text)
        elif child.kind == "a":
            out.append(f'<a href="{escape(child.href)}">{_html_inline(child.children)}</a>')
        else:
            out.append(f"<{child.kind}>{_html_inline(child.children)}</{child.kind}>")
    return "".join(out)


def _html_runs(runs: Inline, *, heading: bool = False) -> str:
    prepared = prepare(runs, heading=heading)
    if not prepared or not plain(prepared).strip():
        return ""
    return _html_inline(nest(prepared)).strip()


def _html_code(code: Code) -> str:
    text = output_code(code.text).strip("\n")
    lang = LANG_RE.search(code.lang or "")
    attr = f' data-lang="{escape(lang.group(0))}"' if lang else ""
    # An HTML parser drops a newline right after <pre>: a leading one is doubled.
    lead = "\n" if text.startswith("\n") else ""
    return f"<pre{attr}>{lead}{escape(text, quote=False)}</pre>"


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        text = _html_runs(block.runs)
        return f"<p>{text}</p>" if text else ""
    if isinstance(block, Heading):
        text = _html_runs(block.runs, heading=True)
        tag = "h2" if block.level <= 2 else "h3"
        return f"<{tag}>{text}</{tag}>" if text else ""
    if isinstance(block, Quote):
        text = _html_runs(block.runs)
        return f"<blockquote><p>{text}</p></blockquote>" if text else ""
    if isinstance(block, Code):
        return _html_code(block)
    if isinstance(block, Image):
        inner: list[str] = []
        src = image_src(output_code(block.src))
        if src:
            alt = " ".join(output_text(block.alt).split())
            image = f'<img src="{escape(src)}" alt="{escape(alt)}">'
            href = link_href(block.href)
            inner.append(f'<a href="{escape(href)}">{image}</a>' if href else image)
        caption = _html_runs(block.caption)
        if caption:
            inner.append(f"<figcaption>{caption}</figcaption>")
        return f"<figure>{''.join(inner)}</figure>" if inner else ""
    if isinstance(block, Embed):
        parts = [_html_code(code) for code in block.code]
        url = link_href(block.url)
        title = escape(" ".join(output_text(block.title).split()), quote=False)
        link = ""
        if url:
            link = f'<p class="embed"><a href="{escape(url)}">{title or escape(url)}</a></p>'
        elif title:
            link = f'<p class="embed">{title}</p>'
        caption = _html_runs(block.caption)
        if caption:
            parts.append(f"<figure>{link}\n<figcaption>{caption}</figcaption></figure>")
        elif link:
            parts.append(link)
        return "\n".join(parts)
    if isinstance(block, Break):
        return "<hr>"
    return ""


def render_html(doc: Document) -> str:
    """The ``--body html`` output of a document: its blocks as the body contract's HTML,
    sanitised with nh3, inside ``<article>``; ``""`` when it has no content."""
    parts: list[str] = []
    for block in grouped(doc.blocks):
        if isinstance(block, list):
            texts = [text for text in (_html_runs(item.runs) for item in block) if text]
            if texts:
                tag = "ol" if block[0].ordered else "ul"
                lis = "\n".join(f"<li>{text}</li>" for text in texts)
                parts.append(f"<{tag}>\n{lis}\n</{tag}>")
            continue
        text = _html_block(block)
        if (
            text
            and isinstance(block, Quote)
            and block.continued
            and parts[-1:]
            and parts[-1].endswith("</blockquote>")
        ):  # one quote of several paragraphs
            parts[-1] = parts[-1].removesuffix("</blockquote>") + text.removeprefix("<blockquote>")
            continue
        if text:
            parts.append(text)
    if not parts:
        return ""
    cleaned = nh3.clean(
        "\n".join(parts),
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        link_rel=None,
        strip_comments=True,
        url_schemes={"http", "https", "mailto"},
    )
    return f"<article>\n{cleaned.strip()}\n</article>\n"
