"""The document model: a post's body as typed blocks of inline runs.

This is the contract in the middle of the body pipeline. Readers fill it (from Medium's own
paragraph model embedded in a page, or from a page's HTML of any era, an export or a feed item);
writers render it (Markdown, ``--body html``); text statistics (description, word count, derived
keywords, language) are computed from it, so they are the same whatever the body format.

Inline text is a flat tuple of `Run`: each run is a stretch of text with the marks that apply to
all of it (strong, em, code, link). Medium's overlapping markup ranges are split at every
boundary into runs, so nothing is nested and nothing overlaps; writers merge neighbouring runs
with equal marks before writing. Run text is the exact text Medium shows (entities decoded, no
Markdown escaping); a hard line break inside a paragraph is ``"\\n"`` in the text.

This module imports no third-party library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from .codelang import normalize_lang


@dataclass(frozen=True)
class Run:
    """A stretch of inline text and the marks on all of it. ``href`` is '' when not a link."""

    text: str
    strong: bool = False
    em: bool = False
    code: bool = False
    href: str = ""

    def marks(self) -> tuple[bool, bool, bool, str]:
        return (self.strong, self.em, self.code, self.href)


Inline = tuple[Run, ...]


@dataclass(frozen=True)
class Heading:
    """A heading: level 2 is Medium's big header, 3 its small one (4 is kept as 3 by writers
    that have no smaller level)."""

    runs: Inline
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """A paragraph. ``caption``: the caption of an embed that is gone (account exports drop
    iframes), kept as an emphasised paragraph but not taken for the text's own paragraphs."""

    runs: Inline
    caption: bool = False


@dataclass(frozen=True)
class Quote:
    """A block quote; ``pull`` for Medium's pull quote (PQ). ``continued``: a further paragraph
    of the same quote as the block before (one ``<blockquote>`` holding several paragraphs)."""

    runs: Inline
    pull: bool = False
    continued: bool = False


@dataclass(frozen=True)
class ListItem:
    """One list item (Medium's ULI/OLI paragraphs); consecutive items of the same ``ordered``
    form one list."""

    runs: Inline
    ordered: bool = False


@dataclass(frozen=True)
class Code:
    """A code block: exact text (no escaping, indentation kept), language name or ''."""

    text: str
    lang: str = ""


@dataclass(frozen=True)
class Image:
    """An image at full resolution, its alt text, caption and, when the figure was a link, the
    link target."""

    src: str
    alt: str = ""
    caption: Inline = ()
    href: str = ""


@dataclass(frozen=True)
class Embed:
    """An embed (iframe) or link card (MIXTAPE_EMBED).

    ``url`` is the embed's real target when known (a gist, a YouTube watch URL, a tweet), else
    Medium's media proxy ``<origin>/media/<id>``; ``resolved`` says which. ``media_id`` is
    Medium's media resource id when the source gave one, for resolving the target later.
    ``kind`` is ``"iframe"`` or ``"link"`` (a link card). ``code`` holds the files of a resolved
    gist, written as code blocks before the link.
    """

    url: str
    title: str = ""
    caption: Inline = ()
    media_id: str = ""
    kind: str = "iframe"
    resolved: bool = False
    code: tuple[Code, ...] = ()


@dataclass(frozen=True)
class Break:
    """A section break (Medium's ``* * *``)."""


Block = Heading | Paragraph | Quote | ListItem | Code | Image | Embed | Break


@dataclass(frozen=True)
class Document:
    """A post body: blocks in reading order."""

    blocks: tuple[Block, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.blocks)

    def replace_blocks(self, blocks: Iterable[Block]) -> Document:
        return replace(self, blocks=tuple(blocks))

    def embeds(self) -> Iterator[Embed]:
        return (b for b in self.blocks if isinstance(b, Embed))


def plain(runs: Inline) -> str:
    """The text of inline runs, as a reader sees it."""
    return "".join(run.text for run in runs)


def merge_runs(runs: Iterable[Run]) -> Inline:
    """Neighbouring runs with equal marks joined, empty runs dropped."""
    out: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if out and out[-1].marks() == run.marks():
            out[-1] = replace(out[-1], text=out[-1].text + run.text)
        else:
            out.append(run)
    return tuple(out)


def code_language(raw: str) -> str:
    """The language name of a code block as written in the document, from what the source gives
    (Medium's ``codeBlockMetadata.lang``, a ``data-lang`` or ``language-…`` class). The one
    place where a code block's language is set: both readers call it. Normalised to a name
    Rouge and Chroma both know, '' for plain text or unknown (`codelang.normalize_lang`)."""
    return normalize_lang(raw)


def block_text(block: Block, *, include_code: bool = False) -> str:
    """The readable text of one block: its runs' text, an image's caption, a code block's
    text only with ``include_code``; '' for embeds and breaks."""
    if isinstance(block, (Heading, Paragraph, Quote, ListItem)):
        return plain(block.runs)
    if isinstance(block, Image):
        return plain(block.caption)
    if isinstance(block, Code) and include_code:
        return block.text
    return ""


def text_of(doc: Document, *, include_code: bool = False) -> str:
    """The plain text of a document, one block a line (line breaks inside a block made spaces):
    for word counts, derived keywords and language detection."""
    parts = (" ".join(block_text(b, include_code=include_code).split()) for b in doc.blocks)
    return "\n".join(p for p in parts if p)


def first_paragraph_text(doc: Document) -> str:
    """The plain text of the document's first prose paragraph (not a heading, quote, list,
    caption, code, image or embed), whitespace collapsed; '' when it has none."""
    for block in doc.blocks:
        if isinstance(block, Paragraph) and not block.caption:
            text = " ".join(plain(block.runs).split())
            if text:
                return text
    return ""


# --- what the readers hand over: tidy runs and breaks ------------------------------------------

_BR_SPACE_RE = re.compile(r" ?\n ?")
BREAK = Break()


def tidy_breaks(blocks: list[Block]) -> Iterator[Block]:
    """Section breaks only between content: never first, last or doubled."""
    pending = False
    seen = False
    for block in blocks:
        if isinstance(block, Break):
            pending = seen
            continue
        if pending:
            yield BREAK
            pending = False
        seen = True
        yield block


def tidy_runs(runs: list[Run]) -> Inline:
    """Runs with whitespace collapsed across their edges, no space around a line break, the
    whole trimmed, edge spaces moved out of emphasis and code where it ends, equal neighbours
    merged."""
    out: list[Run] = []
    for run in runs:
        text = run.text
        if text.startswith(" ") and (not out or out[-1].text.endswith((" ", "\n"))):
            text = text.lstrip(" ")
        if text.startswith("\n") and out and out[-1].text.endswith(" "):
            last = out[-1]
            out[-1] = Run(last.text.rstrip(" "), last.strong, last.em, last.code, last.href)
        if "\n" in text:
            text = _BR_SPACE_RE.sub("\n", text)
        if text:
            out.append(
                run if text == run.text else Run(text, run.strong, run.em, run.code, run.href)
            )
    while out and not out[0].text.lstrip(" \n"):
        out.pop(0)
    while out and not out[-1].text.rstrip(" \n"):
        out.pop()
    if not out:
        return ()
    first, last = out[0], out[-1]
    if first.text[0] in " \n":
        out[0] = first = Run(
            first.text.lstrip(" \n"), first.strong, first.em, first.code, first.href
        )
    if last.text[-1] in " \n":
        last = out[-1]
        out[-1] = Run(last.text.rstrip(" \n"), last.strong, last.em, last.code, last.href)
    if len(out) > 1:
        out = list(merge_runs(out))
    if not any(r.strong or r.em or r.code for r in out):
        return tuple(out)
    spaced: list[Run] = []
    for i, run in enumerate(out):
        if not (run.strong or run.em or run.code) or (
            run.text[0] not in " \n" and run.text[-1] not in " \n"
        ):
            spaced.append(run)
            continue
        core = run.text.strip(" \n")
        lead = run.text[: len(run.text) - len(run.text.lstrip(" \n"))]
        trail = run.text[len(lead) + len(core) :]
        before = out[i - 1] if i else None
        after = out[i + 1] if i + 1 < len(out) else None
        if lead:  # out of the marks the run before does not share
            spaced.append(_shared(run, before, lead))
        if core:
            spaced.append(Run(core, run.strong, run.em, run.code, run.href))
        if trail:
            spaced.append(_shared(run, after, trail))
    return merge_runs(spaced)


def _shared(run: Run, other: Run | None, text: str) -> Run:
    """``text`` (edge spaces of ``run``) with the marks ``run`` shares with its neighbour."""
    if other is None:
        return Run(text, href=run.href)
    return Run(
        text, run.strong and other.strong, run.em and other.em, run.code and other.code, run.href
    )


def has_text(runs: Inline | None) -> bool:
    return bool(runs) and any(run.text.strip() for run in runs or ())
