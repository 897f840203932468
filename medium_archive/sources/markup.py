"""Text helpers for the sources' HTML (export post files, feed item content): an element's
visible text, normalised text, class tests for XPath ("is this a cut-off copy of that" is
`text.is_truncation`).

Pure functions of lxml elements and strings, shared by export.py and feed.py.
"""

from __future__ import annotations

import re
from typing import Any

from ..cleanup import clean_text

_SPACES_RE = re.compile(r"\s+")
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "header",
        "footer",
        "article",
        "hr",
        "table",
        "tr",
        "td",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "button"})


def norm_space(text: str) -> str:
    """Entities decoded, odd spaces made plain, whitespace runs collapsed, trimmed."""
    return _SPACES_RE.sub(" ", clean_text(text)).strip()


def node_text(node: Any) -> str:
    """The visible text of an element: inline markup dropped without a separator, blocks and
    ``<br>`` separated by a space, scripts and buttons ignored; normalised by `norm_space`.
    "" for None."""
    if node is None:
        return ""
    parts: list[str] = []
    _collect_text(node, parts, top=True)
    return norm_space("".join(parts))


def _collect_text(node: Any, parts: list[str], *, top: bool = False) -> None:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag in _SKIP_TAGS:
        if not top and node.tail:
            parts.append(node.tail)
        return
    block = tag in _BLOCK_TAGS or tag == "br"
    if block:
        parts.append(" ")
    if node.text and tag:
        parts.append(node.text)
    for child in node:
        _collect_text(child, parts)
    if block:
        parts.append(" ")
    if not top and node.tail:
        parts.append(node.tail)


def has_class(name: str) -> str:
    """XPath predicate body: the element's class attribute holds the word ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
