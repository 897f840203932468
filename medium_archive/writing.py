"""What the Markdown and HTML body writers share: output text cleaning, the links and image
sources they write, runs nested into marked spans, list items grouped into lists."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .document import Block, Inline, ListItem, Run, merge_runs


class Span:
    """A marked span of the inline tree: ``kind`` is ``strong``, ``em`` or ``a`` (``href``)."""

    __slots__ = ("children", "href", "kind")

    def __init__(self, kind: str, href: str) -> None:
        self.kind = kind
        self.href = href
        self.children: list[Span | Run] = []


#: Link targets written as links; anything else (javascript:, data:, relative) stays text.
_LINK_SCHEME_RE = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
#: A scheme; an image source with one must be http(s) (a relative path has none).
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_IMAGE_SCHEME_RE = re.compile(r"https?://", re.IGNORECASE)
#: C0 controls but tab and newline, DEL and lone surrogates (no file can hold them): dropped
#: from text (CR is handled first). Code loses only NUL and surrogates.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_CODE_DROP_RE = re.compile("[\x00\ud800-\udfff]")
ODD_SPACES_RE = re.compile("[\u00a0\u200a\u2009\u202f\u2007]")
#: A fence's info string: the first word, without backticks.
LANG_RE = re.compile(r"[^\s`]+")


def output_text(text: str) -> str:
    """Text outside code: line ends as ``\\n``, no control characters, odd spaces plain."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        text = ODD_SPACES_RE.sub(" ", text)
    return _CONTROL_RE.sub("", text)


def output_code(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text or not text.isascii():
        text = _CODE_DROP_RE.sub("", text)
    return text


def link_href(href: str) -> str:
    """``href`` when it may be a link (http, https, mailto), else ``''``."""
    href = href.strip()
    return href if _LINK_SCHEME_RE.match(href) else ""


def image_src(src: str) -> str:
    """An image source: http(s) or a relative path; ``''`` for any other scheme."""
    src = src.strip()
    if _SCHEME_RE.match(src) and not _IMAGE_SCHEME_RE.match(src):
        return ""
    return src


def prepare(runs: Inline, *, heading: bool = False) -> Inline:
    """Runs cleaned for writing: text normalised, links only where allowed, equal marks merged."""
    out: list[Run] = []
    for run in runs:
        text = _CONTROL_RE.sub("", output_code(run.text)) if run.code else output_text(run.text)
        href = link_href(run.href) if run.href else ""
        if "\n" in text:
            if heading:
                text = text.replace("\n", " ")
            else:
                # A hard break carries no emphasis or code: emphasis is closed around it, so
                # that no span holds a break (kramdown reads none inside inline HTML).
                for i, part in enumerate(text.split("\n")):
                    if i:
                        out.append(Run("\n", href=href))
                    out.append(Run(part, run.strong, run.em, run.code, href))
                continue
        if text != run.text or href != run.href:
            run = Run(text, run.strong, run.em, run.code, href)
        out.append(run)
    return merge_runs(out)


def nest(runs: Inline) -> list[Span | Run]:
    """Nest the flat runs: marks open where they start and close where they end, the longer
    span outside (ties: link, then strong, then em, outermost first); a span is split only where
    it crosses another's end."""
    root: list[Span | Run] = []
    stack: list[tuple[int, str | bool, list[Span | Run]]] = []  # (mark, value, children)
    for i, run in enumerate(runs):
        value = (run.href, run.strong, run.em)
        for depth, (k, held, _) in enumerate(stack):
            if value[k] != held:
                del stack[depth:]
                break
        if len(stack) < bool(run.href) + run.strong + run.em:
            held_marks = {k for k, _, _ in stack}
            new = [k for k in range(3) if value[k] and k not in held_marks]
            if len(new) > 1:
                new.sort(key=lambda k: (-_mark_end(runs, i, k), k))
            for k in new:
                span = Span(("a", "strong", "em")[k], run.href if k == 0 else "")
                (stack[-1][2] if stack else root).append(span)
                stack.append((k, value[k], span.children))
        (stack[-1][2] if stack else root).append(run)
    return root


def _mark_end(runs: Inline, start: int, k: int) -> int:
    """The index of the last run from ``start`` on that carries mark ``k`` unchanged."""
    value = (runs[start].href, runs[start].strong, runs[start].em)[k]
    end = start
    for run in runs[start + 1 :]:
        if (run.href, run.strong, run.em)[k] != value:
            break
        end += 1
    return end


def grouped(blocks: tuple[Block, ...]) -> Iterator[Block | list[ListItem]]:
    """The blocks in order, consecutive list items of one kind (ordered or not) as one list."""
    i = 0
    n = len(blocks)
    while i < n:
        block = blocks[i]
        i += 1
        if not isinstance(block, ListItem):
            yield block
            continue
        items = [block]
        while i < n:
            following = blocks[i]
            if not isinstance(following, ListItem) or following.ordered != block.ordered:
                break
            items.append(following)
            i += 1
        yield items
