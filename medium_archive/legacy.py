"""TEMPORARY: a `Document` as the old normalised body HTML, for the html2text writer in
markdown.py until the document writers (``markdown.render_markdown``/``render_html``) land.
"""

from __future__ import annotations

from html import escape

from .document import Code, Document, Embed, Heading, Image, Inline, ListItem, Paragraph, Quote


def inline_html(runs: Inline) -> str:
    out: list[str] = []
    i = 0
    while i < len(runs):
        href = runs[i].href
        j = i
        while j < len(runs) and runs[j].href == href:
            j += 1
        inner = "".join(_marked(run.text, run.strong, run.em, run.code) for run in runs[i:j])
        out.append(f'<a href="{escape(href)}">{inner}</a>' if href else inner)
        i = j
    return "".join(out)


def _marked(text: str, strong: bool, em: bool, code: bool) -> str:
    html = escape(text, quote=False).replace("\n", "<br>")
    if code:
        html = f"<code>{html}</code>"
    if em:
        html = f"<em>{html}</em>"
    if strong:
        html = f"<strong>{html}</strong>"
    return html


def _plain(runs: Inline) -> str:
    return " ".join("".join(r.text for r in runs).split())


def to_html(doc: Document) -> str:
    """The old normalised body HTML of a document (see the module docstring)."""
    parts: list[str] = []
    blocks = doc.blocks
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if isinstance(block, Heading):
            level = 2 if block.level <= 2 else 3
            parts.append(f"<h{level}>{inline_html(block.runs)}</h{level}>")
        elif isinstance(block, Paragraph):
            if block.caption:
                parts.append(f'<p class="caption">{inline_html(block.runs)}</p>')
            else:
                parts.append(f"<p>{inline_html(block.runs)}</p>")
        elif isinstance(block, Quote):
            paras = [f"<p>{inline_html(block.runs)}</p>"]
            while i + 1 < len(blocks):
                item = blocks[i + 1]
                if not isinstance(item, Quote) or not item.continued:
                    break
                paras.append(f"<p>{inline_html(item.runs)}</p>")
                i += 1
            parts.append("<blockquote>" + "".join(paras) + "</blockquote>")
        elif isinstance(block, ListItem):
            items = []
            ordered = block.ordered
            while i < len(blocks):
                item = blocks[i]
                if not isinstance(item, ListItem) or item.ordered != ordered:
                    break
                items.append(f"<li>{inline_html(item.runs)}</li>")
                i += 1
            tag = "ol" if ordered else "ul"
            parts.append(f"<{tag}>" + "".join(items) + f"</{tag}>")
            continue
        elif isinstance(block, Code):
            attr = f' data-lang="{escape(block.lang)}"' if block.lang else ""
            parts.append(f"<pre{attr}>{escape(block.text, quote=False)}</pre>")
        elif isinstance(block, Image):
            html = f'<figure><img src="{escape(block.src)}" alt="{escape(block.alt)}">'
            if block.caption:
                html += f"<figcaption>{inline_html(block.caption)}</figcaption>"
            parts.append(html + "</figure>")
        elif isinstance(block, Embed):
            for code in block.code:  # a resolved gist: its files, then the link
                attr = f' data-lang="{escape(code.lang)}"' if code.lang else ""
                parts.append(f"<pre{attr}>{escape(code.text, quote=False)}</pre>")
            text = block.title or _plain(block.caption) or block.url
            link = f'<a href="{escape(block.url)}">{escape(text, quote=False)}</a>'
            parts.append(f'<p class="embed">{link}</p>')
        else:
            parts.append("<hr>")
        i += 1
    return "\n".join(parts)
