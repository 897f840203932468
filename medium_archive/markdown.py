"""Render a post body as Markdown.

`render_markdown` writes a `Document` (document.py). The Markdown reads the same in kramdown
(Jekyll, GFM input), CommonMark (markdown-it) and goldmark (Hugo): text is escaped wherever any
of them would take it for markup, emphasis is written with delimiters only where every one of
them pairs them up as meant (else as inline ``<strong>``/``<em>``), links only for http(s) and
mailto targets. The rules, and the renderer quirks behind them, are noted where they are
applied; tests/test_render.py checks them through markdown-it-py, a real `jekyll build` and a
real `hugo` build. `render_html` (htmlbody.py, re-exported here) is the ``--body html`` output.
"""

from __future__ import annotations

import re
import unicodedata

from .document import (
    Block,
    Break,
    Code,
    Document,
    Embed,
    Heading,
    Image,
    Inline,
    ListItem,
    Paragraph,
    Quote,
    Run,
)
from .htmlbody import render_html as render_html
from .writing import (
    LANG_RE,
    ODD_SPACES_RE,
    Span,
    grouped,
    image_src,
    link_href,
    nest,
    output_code,
    output_text,
    prepare,
)

#: Characters of a URL either renderer would end it at or read as markup; %-encoded.
_URL_UNSAFE_RE = re.compile(r"[\x00-\x20\x7f<>\\`|\"{}]")
_URL_ENTITY_AMP_RE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
#: Any character the text escaping below may change.
_TEXT_SPECIAL_RE = re.compile(r"[\\`*\[\]<>|~_$&{]")
#: Escaped with a backslash always (each is in both kramdown's and CommonMark's escape sets).
_ALWAYS_ESCAPE_RE = re.compile(r"[\\`*\[\]<>|~]")
#: ``_`` is left alone only inside a word (a letter before it, a letter or digit after), where
#: neither kramdown nor CommonMark can open or close emphasis with it.
_UNDERSCORE_RE = re.compile(r"(?<![^\W\d_])_|_(?![^\W_])")
#: ``$$`` opens kramdown math.
_DOLLARS_RE = re.compile(r"\$(?=\$)|(?<=\$)\$")
#: ``{:`` (kramdown attribute lists, extensions), ``{#`` (header ids), and the second brace of
#: ``{{%`` or ``{{<`` (Hugo shortcodes; a text ``<`` is escaped, but markup after the text may
#: start with one).
_BRACE_RE = re.compile(r"\{(?=[:#])|(?<=\{)\{(?=%|\Z)")
#: ``&`` that starts an entity reference for either renderer (kramdown takes ``&name;`` with any
#: name). kramdown has no ``\\&`` escape, so an empty HTML comment separates the ``&``.
_ENTITY_AMP_RE = re.compile(r"&(?=#?[\w:][\w.:\-]*;|#[xX][0-9A-Fa-f]+;)")
_AMP_BREAK = "&<!-- -->"
#: Line starts that would begin a block: ATX heading, list, setext underline, kramdown
#: definition; an ordered list marker (``1.``, ``1)``).
_LINE_START_RE = re.compile(r"^([#+=:\-])|^(\d+)([.)])", re.MULTILINE)
_CARET_LINE_RE = re.compile(r"^[ \t]*\^[ \t]*$", re.MULTILINE)
_BREAK_SPACES_RE = re.compile(r"[ \t]*\n[ \t]*")
_BACKTICK_RUN_RE = re.compile(r"`+")
_TRAILING_HASH_RE = re.compile(r"(?<!\\)#$")


# ---------------------------------------------------------------- Markdown


def _escape_text(text: str) -> str:
    """Text (no code) as Markdown that both renderers show as this text."""
    if not _TEXT_SPECIAL_RE.search(text):
        return text
    if "&" in text and _ENTITY_AMP_RE.search(text):
        # Found in the text itself: kramdown writes a text "&name;" (escapes undone) as it is,
        # an entity reference to the browser. An empty comment after the "&" breaks it.
        return _AMP_BREAK.join(_escape_text(part) for part in _ENTITY_AMP_RE.split(text))
    text = _ALWAYS_ESCAPE_RE.sub(r"\\\g<0>", text)
    if "_" in text:
        text = _UNDERSCORE_RE.sub(r"\\_", text)
    if "$$" in text:
        text = _DOLLARS_RE.sub(r"\\$", text)
    if "{" in text:
        text = _BRACE_RE.sub(r"\\{", text)
    if "]:" in text:
        text = text.replace("]:", "]\\:")  # kramdown: "[…]:" opening a line defines a link
    return text


def _code_span(text: str, html: bool = False) -> str:
    """A code span holding ``text`` exactly (no line break in it).

    ``html``: a code span holding ``|`` is written as ``<code>`` with its text as character
    references. kramdown takes a line with a ``|`` outside code for a table row, and finds the
    code spans of a line without reading backslash escapes: a text backtick (``\\```) on the
    line (or a text ``<!--``, which it takes for a comment up to the next ``-->``) makes it pair
    the backticks wrongly and see the code's pipe as outside. Code holding
    ``]:`` is written so too: in a line opening with a link, kramdown takes ``[…]:`` up to the
    first ``]``, code or not, for a link definition.

    A single-backtick span is read alike by both when the code neither starts nor ends with a
    space or a backtick. Otherwise the delimiter is at least two backticks (kramdown strips no
    space inside a single-backtick span, and one from each side of a longer one) and longer
    than any backtick run inside, with one space of padding each side (both strip it)."""
    if not text.strip():
        return ODD_SPACES_RE.sub(" ", text)  # blank code: nothing to show as code
    if (html and "|" in text) or "]:" in text:
        return f"<code>{text.translate(_CODE_ENTITIES)}</code>"
    longest = max((len(m) for m in _BACKTICK_RUN_RE.findall(text)), default=0)
    if not longest and not text[0].isspace() and not text[-1].isspace():
        return f"`{text}`"
    fence = "`" * max(2, longest + 1)
    return f"{fence} {text} {fence}"


#: Code text inside ``<code>``: kramdown keeps it raw, CommonMark reads it as Markdown, so what
#: CommonMark would read is written as a character reference (both decode it, once).
_CODE_ENTITIES = str.maketrans({ch: f"&#{ord(ch)};" for ch in "&<>|\\`*_[]~$!"})


def _url(url: str) -> str:
    """A link destination both read intact: kramdown keeps backslashes, so nothing is
    backslash-escaped; characters that would end it or be read as markup are %-encoded, and
    parentheses too unless balanced."""
    if _URL_UNSAFE_RE.search(url):
        url = _URL_UNSAFE_RE.sub(lambda m: f"%{ord(m.group(0)):02X}", url)
    if "&" in url:
        url = _URL_ENTITY_AMP_RE.sub("%26", url)
    if "(" in url or ")" in url:
        depth = 0
        for ch in url:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    break
        if depth:
            url = url.replace("(", "%28").replace(")", "%29")
    return url


def _split_space(source: str) -> tuple[str, str, str]:
    core = source.strip()
    if not core:
        return source, "", ""
    start = source.index(core[0])
    return source[:start], core, source[start + len(core) :]


#: Whitespace and punctuation as CommonMark's flanking rules see them. Where the spec's versions
#: (and so the renderers) differ (symbols are punctuation since 0.31), the check is made so
#: that either reading passes.
_SPACE_CHARS = frozenset(" \t\n\f\r")


def _is_space(ch: str) -> bool:
    return ch in _SPACE_CHARS or (not ch.isascii() and unicodedata.category(ch) == "Zs")


def _is_punct(ch: str, *, strict: bool) -> bool:
    """Punctuation by every reading (``strict``) or by some reading."""
    if ch.isascii():
        return not ch.isalnum() and not ch.isspace() and ch.isprintable()
    category = unicodedata.category(ch)
    return category[0] == "P" or (not strict and category[0] == "S")


#: Each kind of emphasis span: its delimiters, first choice first, and its inline HTML tags.
#: ``strongem`` is a strong span holding exactly one em span (written ``***…***``).
_MARKS = {
    "strong": (("**", "__"), "<strong>", "</strong>"),
    "em": (("*", "_"), "<em>", "</em>"),
    "strongem": (("***", "___"), "<strong><em>", "</em></strong>"),
}


def _delimiters(kind: str, prev: str | None, core: str, after: str | None) -> tuple[str, str]:
    """The opening and closing marks for an emphasis span: ``**``/``*`` (else ``__``/``_``)
    where both renderers read them as emphasis around ``core`` (between ``prev`` and ``after``;
    ``None`` at the start or end of the block), else inline HTML ``<strong>``/``<em>``.

    CommonMark's rules are the narrower: a delimiter run opens when it is left-flanking and
    closes when right-flanking, and ``_`` only at a word's edge. A run that is both (letters,
    or punctuation, on both sides) is first tried as a closer, so an opener must not be one
    (it could close an enclosing ``***``) but inside a word; a closing ``*`` run may be one:
    the spans are well nested and every other ``*`` is escaped, so it closes its own opener.
    Two runs of one character never touch, but at the end of a strong span: an em's closing
    ``*`` and the strong span's ``**`` make one run (``***``) whose outer sides decide. Not at
    its start: an opening ``***`` (3 long) could pair with a ``*`` run inside a word (1 long,
    3 + 1 is no multiple of 3) meant to open an em later in the span.
    kramdown reads ``_`` after a letter (or a letter and ``-``) as text.
    """
    marks, opening, closing = _MARKS[kind]
    first, last = core[0], core[-1]
    for mark in marks:
        c = mark[0]
        if prev == c or after == c:
            continue  # two delimiter runs would touch
        prev_open = prev is None or _is_space(prev)
        after_open = after is None or _is_space(after)
        if first == c:
            continue  # the content opens with a nested span's delimiter: see above
        if _is_punct(first, strict=False):
            if not prev_open:
                continue
        elif c == "_" and not (prev_open or (_is_punct(prev or "", strict=True) and prev != "-")):
            continue
        if last == c:
            if not (mark == "**" and (after_open or _is_punct(after or "", strict=True))):
                continue
        elif _is_punct(last, strict=False):
            if not (after_open or (c == "*" and _is_punct(after or "", strict=True))):
                continue
        elif c == "_" and not (after_open or _is_punct(after or "", strict=True)):
            continue
        return mark, mark
    return opening, closing


#: Stands for the edge of an enclosing span or link (a delimiter or bracket: punctuation).
_INNER_EDGE = "("


def _md_inline(children: list[Span | Run], html_pipes: bool, edge: str | None = _INNER_EDGE) -> str:
    """Markdown of a sequence of inline nodes (hard breaks still ``\\n``); ``edge`` is what
    surrounds it (``None``: the block's start and end)."""
    pieces: list[str | tuple[str, str, str, str]] = []
    for child in children:
        if isinstance(child, Run):
            if child.code:
                pieces.append(_code_span(child.text, html_pipes))
            else:
                pieces.append(_escape_text(child.text))
            continue
        kind = child.kind
        grandchild = child.children[0] if len(child.children) == 1 else None
        if kind == "strong" and isinstance(grandchild, Span) and grandchild.kind == "em":
            kind = "strongem"
            child = grandchild
        lead, core, trail = _split_space(_md_inline(child.children, html_pipes))
        if not core:
            pieces.append(lead)
        elif kind == "a":
            if core[0] == "^" or core in ("x", "X"):
                # kramdown reads ``[^`` as a footnote; goldmark (Hugo) ``[x]`` anywhere in a
                # list item's first line as a task checkbox.
                core = "<!-- -->" + core
            pieces.append(f"{lead}[{core}]({_url(child.href)}){trail}")
        else:
            pieces.append((kind, lead, core, trail))
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if isinstance(piece, str):
            if piece[:1] == "[" and out and out[-1].endswith("!"):
                out[-1] = out[-1][:-1] + "\\!"  # a text "!" before a link: not an image
            elif piece[:1] == "<":  # <code>: no text "<" before it (see below)
                for _ in range(_take_trailing_lts(out)):
                    piece = _lt_into(piece)
            out.append(piece)
            continue
        kind, lead, core, trail = piece
        if lead:
            prev: str | None = lead[-1]
        else:
            prev = next((s[-1] for s in reversed(out) if s), edge)
        if trail:
            after: str | None = trail[0]
        else:
            after = edge
            for following in pieces[i + 1 :]:
                if isinstance(following, str):
                    if following:
                        after = following[0]
                        break
                else:
                    after = following[1][:1] or _INNER_EDGE  # a delimiter or tag, which
                    # will not touch ours: the span after sees this one's mark and picks another
                    break
        opening, closing = _delimiters(kind, prev, core, after)
        if opening[0] == "<":
            # kramdown reads ``\\<<`` as a literal ``<<``, eating the tag's ``<``: a text
            # ``<`` next to a tag goes inside the span (before) or after it (at its end).
            if not lead:
                for _ in range(_take_trailing_lts(out)):
                    core = _lt_into(core)
            while core.endswith("\\<") and _escaped_end(core):
                core = core[:-2]
                trail = "\\<" + trail
            if not core:
                out.append(lead + trail)
                continue
        out.append(f"{lead}{opening}{core}{closing}{trail}")
    return "".join(out)


_LEADING_TAGS_RE = re.compile(r"(?:<(?:strong|em)>)*(<code>)?")


def _lt_into(source: str) -> str:
    """A text ``<`` put at the start of ``source``, inside the tags it opens with."""
    tags = _LEADING_TAGS_RE.match(source)
    end = tags.end() if tags else 0
    lt = "&#60;" if tags and tags.group(1) else "\\<"
    return source[:end] + lt + source[end:]


def _take_trailing_lts(out: list[str]) -> int:
    """Remove the text ``<`` (``\\<``) that ``out`` ends with; how many there were."""
    taken = 0
    while out:
        if not out[-1]:
            out.pop()
        elif out[-1].endswith("\\<") and _escaped_end(out[-1]):
            out[-1] = out[-1][:-2]
            taken += 1
        else:
            break
    return taken


def _escaped_end(source: str) -> bool:
    """True when the last character of ``source`` is backslash-escaped."""
    return (len(source) - 1 - len(source[:-1].rstrip("\\"))) % 2 == 1


def _md_runs(runs: Inline, *, heading: bool = False) -> str:
    """One block's inline Markdown: hard breaks as backslash-newline, line starts that would
    begin a block escaped; ``''`` when there is no text."""
    prepared = prepare(runs, heading=heading)
    if not prepared:
        return ""
    tree = nest(prepared)
    text = _md_inline(tree, False, None).strip()
    if ("\\`" in text or "\\<!--" in text) and any(
        run.code and "|" in run.text for run in prepared
    ):
        text = _md_inline(tree, True, None).strip()
    if "^" in text:
        text = _CARET_LINE_RE.sub("^<!-- -->", text)  # kramdown: a "^" line ends a block
    if "\n" in text:
        text = _BREAK_SPACES_RE.sub("\n", text)
        if "\\\n" in text:  # an escaped backslash before a break: goldmark (Hugo) then
            text = text.replace("\\\n", "\\ \n")  # shows both and no break; a space between
        text = text.replace("\n", "\\\n")
    return _LINE_START_RE.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return f"{match.group(2)}\\{match.group(3)}"


def _md_fence(code: Code) -> str:
    text = output_code(code.text).strip("\n")
    longest = max((len(m) for m in _BACKTICK_RUN_RE.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    lang = LANG_RE.search(code.lang or "")
    info = lang.group(0) if lang else ""
    return f"{fence}{info}\n{text}\n{fence}" if text else f"{fence}{info}\n{fence}"


def _md_alt(alt: str) -> str:
    alt = " ".join(output_text(alt).split())
    if "&" in alt:  # no way to write "&amp;" in alt text that all read so: "& amp;"
        alt = _ENTITY_AMP_RE.sub("& ", alt)
    alt = _ALT_ESCAPE_RE.sub(r"\\\g<0>", alt)
    if "{" in alt:
        alt = _BRACE_RE.sub(r"\\{", alt)
    if "]:" in alt:
        alt = alt.replace("]:", "]\\:")  # see _escape_text
    return " " + alt if alt[:1] == "^" else alt  # kramdown reads "![^" as no image


#: Escaped in image alt text: kramdown takes the alt text raw but for its own escapes (which
#: lack ``\\~``: kramdown shows that backslash, but a ``~~`` left in alt text can open a
#: strikethrough that runs past the image).
_ALT_ESCAPE_RE = re.compile(r"[\\`*_\[\]<>|~]")


def _flip_em(runs: Inline) -> Inline:
    return tuple(Run(run.text, run.strong, not run.em, run.code, run.href) for run in runs)


def _md_caption(caption: Inline) -> str:
    """A caption in italics, its own emphasis flipped (so it stays distinct)."""
    return _md_runs(_flip_em(caption))


def _md_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return _md_runs(block.runs)
    if isinstance(block, Heading):
        text = _md_runs(block.runs, heading=True)
        if not text:
            return ""
        if text.endswith("#"):
            text = _TRAILING_HASH_RE.sub(r"\\#", text)
        return ("## " if block.level <= 2 else "### ") + text
    if isinstance(block, Quote):
        text = _md_runs(block.runs)
        return "> " + text.replace("\n", "\n> ") if text else ""
    if isinstance(block, Code):
        return _md_fence(block)
    if isinstance(block, Image):
        lines = []
        src = image_src(output_code(block.src))
        if src:
            image = f"![{_md_alt(block.alt)}]({_url(src)})"
            href = link_href(block.href)
            lines.append(f"[{image}]({_url(href)})" if href else image)
        caption = _md_caption(block.caption)
        if caption:
            lines.append(caption)
        return "\n".join(lines)
    if isinstance(block, Embed):
        parts = [_md_fence(code) for code in block.code]
        url = link_href(block.url)
        title = " ".join(output_text(block.title).split())
        if url:
            lines = [_md_runs((Run(title or url, href=url),)), _md_caption(block.caption)]
            text = "\n".join(line for line in lines if line)
        else:  # the title as text: a hard break before the caption (kramdown reads a line
            # ending "\\\\" as a break, and text may end with an escaped backslash)
            text = _md_runs((Run(title), Run("\n"), *_flip_em(block.caption)))
        if text:
            parts.append(text)
        return "\n\n".join(parts)
    if isinstance(block, Break):
        return "* * *"
    return ""


def _md_list(items: list[ListItem]) -> str:
    lines: list[str] = []
    number = 0
    for item in items:
        text = _md_runs(item.runs)
        if not text:
            continue
        number += 1
        marker = f"{number}. " if item.ordered else "- "
        lines.append(marker + text.replace("\n", "\n" + " " * len(marker)))
    return "\n".join(lines)


def render_markdown(doc: Document) -> str:
    """The Markdown body of a document; ``""`` when it has no content.

    Blocks are separated by one blank line; consecutive list items of one kind form one list;
    the text ends with exactly one newline.
    """
    parts: list[str] = []
    last_list: bool | None = None  # the kind of list just written, if the last block was one
    for block in grouped(doc.blocks):
        if isinstance(block, list):
            text = _md_list(block)
            if text:
                ordered = block[0].ordered
                if last_list == ordered:
                    parts.append("<!-- -->")  # else both read one list (an empty block between)
                parts.append(text)
                last_list = ordered
            continue
        text = _md_block(block)
        if (
            text
            and isinstance(block, Quote)
            and block.continued
            and parts[-1:]
            and parts[-1].startswith("> ")
        ):  # one quote of several paragraphs
            parts[-1] += "\n>\n" + text
            continue
        if text:
            parts.append(text)
            last_list = None
    if not parts:
        return ""
    return "\n\n".join(parts) + "\n"
