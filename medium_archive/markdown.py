"""Render the normalised body HTML (see body.py) as Markdown or as cleaned HTML.

`to_markdown` uses one html2text configuration for prose and renders what html2text does
badly itself: code blocks (fenced, exact, with their language) and figures (image line, then
the caption in italics). Those blocks are swapped for placeholder tokens before html2text runs
and put back afterwards, so html2text never escapes or re-wraps them. `to_clean_html` is the
``--body html`` output: the same body sanitised by nh3 inside ``<article>``.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from typing import Any

import html2text
import lxml.html
import nh3
from html2text.utils import escape_md_section

from .body import html_parser, xml_safe_utf8

#: Tags and attributes of the normalised body contract (see body.py).
ALLOWED_TAGS = frozenset(
    {"h2", "h3", "p", "blockquote", "ul", "ol", "li", "hr", "pre", "figure", "img",
     "figcaption", "a", "strong", "em", "code", "br"}
)
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt"},
    "pre": {"data-lang"},
    "p": {"class"},
}
_TOKEN = "XQMDBLOCK{:05d}QX"
_TOKEN_RE = re.compile(r"XQMDBLOCK(\d{5})QX")
_BR_TOKEN = "XQMDBRQX"
#: Written to open with a literal: the regex engine then jumps to each candidate (``\n{3,}``
#: tries every position of the text, several times slower).
_BLANKS_RE = re.compile(r"\n\n\n+")
_CAPTION_SEPARATOR = "XQMDCAPTIONQX"
_BACKTICKS_RE = re.compile(r"`+")
_PARSER = html_parser(encoding="utf-8")  # fed UTF-8 bytes: faster than a str
#: Where html2text's Markdown escaping can change text: a backslash, or a line opening with
#: a number and a dot, a plus or a dash (a superset of what `escape_md_section` escapes).
_MAY_ESCAPE_RE = re.compile(r"\\|^\s*(?:\d+\.|[+-])", re.MULTILINE)


class _Converter(html2text.HTML2Text):
    """html2text, minus one quirk: it puts a space between a closing emphasis mark and the
    punctuation after it (``**bold** ,``). CommonMark closes ``**bold**,`` fine, so punctuation
    stays glued to the word as the author wrote it."""

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        if self.preceding_stressed and data and unicodedata.category(data[0]).startswith("P"):
            self.preceding_stressed = False
        if data and not entity_char and not self.code and not self.pre:
            # html2text's own escaping, done here so that text needing none (most) skips its
            # four substitutions; the emphasis strip comes first, as in html2text.
            if self.stressed:
                data = data.strip() or data  # all blank: html2text empties it itself
            if self.escape_snob or _MAY_ESCAPE_RE.search(data):
                data = escape_md_section(data, snob=self.escape_snob)
            entity_char = True  # escaped
        super().handle_data(data, entity_char)


def make_converter() -> html2text.HTML2Text:
    """The one html2text configuration (a fresh instance: html2text parsers are stateful)."""
    h = _Converter()
    h.body_width = 0
    h.unicode_snob = True
    h.escape_snob = False
    h.protect_links = False  # kramdown (Jekyll) does not read <…> link destinations
    h.wrap_links = False
    h.wrap_list_items = False
    h.inline_links = True
    h.skip_internal_links = False
    h.ignore_images = False
    h.images_to_alt = False
    h.images_as_html = False
    h.images_with_size = False
    h.default_image_alt = ""
    h.ignore_emphasis = False
    h.emphasis_mark = "_"
    h.strong_mark = "**"
    h.ul_item_mark = "*"
    h.single_line_break = False
    h.use_automatic_links = False
    h.mark_code = False
    h.pad_tables = False
    return h


def to_markdown(body_html: str) -> str:
    """Markdown for a normalised body; ``""`` for an empty body.

    Ends with exactly one newline; no trailing spaces and no runs of blank lines outside code.
    """
    if not body_html.strip():
        return ""
    root = _fragment(body_html)
    blocks = list(root.iter("pre", "figure"))
    captions = _render_captions([el for el in blocks if el.tag == "figure"])
    rendered: list[str] = []
    for el in blocks:
        rendered.append(_render_code(el) if el.tag == "pre" else _render_figure(el, captions))
        _replace_with_token(el, len(rendered) - 1)
    for br in list(root.iter("br")):
        _replace_br(br)
    text = _convert_tree(root)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = _BLANKS_RE.sub("\n\n", text).strip("\n")
    if _BR_TOKEN in text:
        text = _hard_breaks(text)
    text = _TOKEN_RE.sub(lambda m: rendered[int(m.group(1))], text)
    return text + "\n"


def _fragment(body_html: str) -> Any:
    """``lxml.html.fragment_fromstring(body_html, create_parent="div")``, every element made by
    `_PARSER`: lxml.html's own parser would look up a Python class for each element touched."""
    parts = lxml.html.fragments_fromstring(xml_safe_utf8(body_html), parser=_PARSER)
    root = _PARSER.makeelement("div")
    if parts and isinstance(parts[0], str):
        root.text = parts.pop(0)
    root.extend(parts)
    return root


def _hard_breaks(text: str) -> str:
    """Each ``<br>`` token, with the spaces around it, as a CommonMark hard break (``\\``)."""
    parts = text.split(_BR_TOKEN)
    for i in range(1, len(parts)):  # the spaces after one break and before the next
        parts[i - 1] = parts[i - 1].rstrip(" ")
        parts[i] = parts[i].lstrip(" ")
    return "\\\n".join(parts)


def _convert_tree(root: Any, *, with_root: bool = True) -> str:
    """html2text's Markdown for the tree under ``root`` (or only its children: ``with_root``
    false; root text and tail are then ignored).

    The tree is fed to html2text as the same handler calls its HTML parser makes for the tree's
    serialisation (lxml escapes ``&``, ``<`` and ``>`` in text, each an entity reference), which
    skips serialising and re-parsing the HTML. A tree holding anything else (comments, raw-text
    elements) goes the long way.
    """
    converter = make_converter()
    events = _tree_events(root, with_root)
    if events is None:
        if with_root:
            html = lxml.html.tostring(root, encoding="unicode")
        else:
            html = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
        return converter.handle(html)
    converter.start = True
    for kind, tag, value in events:
        if kind == 0:
            converter.handle_data(value)
        elif kind == 1:
            converter.handle_data(value, True)
        elif kind == 2:
            converter.handle_starttag(tag, value)
        else:
            converter.handle_endtag(tag)
    return converter.optwrap(converter.finish())


#: Elements lxml serialises without an end tag (so html2text sees no end tag for them).
_VOID_TAGS = frozenset(
    {"area", "base", "basefont", "br", "col", "embed", "frame", "hr", "img", "input",
     "isindex", "link", "meta", "param", "source", "track", "wbr", "keygen"}
)
#: Elements fed as events (the body contract's, plus the wrappers it allows); others fall back.
_EVENT_TAGS = ALLOWED_TAGS | {"div", "span", "mark", "b", "i", "u", "s", "sup", "sub", "del"}
_TEXT_SPLIT_RE = re.compile(r"([&<>])")
#: Attributes lxml (libxml2) writes %-escaped, and the characters it writes as they are.
_URI_ATTRIBUTES = frozenset({"href", "src", "action", "name"})
_URI_AS_IS_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()@/:=?;#%&,+<>]*")
#: Attributes lxml writes without a value when present.
_BOOLEAN_ATTRIBUTES = frozenset(
    {"checked", "compact", "declare", "defer", "disabled", "ismap", "multiple", "nohref",
     "noresize", "noshade", "nowrap", "readonly", "selected"}
)

_Event = tuple[int, str, Any]


def _tree_events(root: Any, with_root: bool) -> list[_Event] | None:
    """The parser events of ``root``'s serialisation (or its children's, tails included), or
    ``None`` when not a plain tree."""
    events: list[_Event] = []
    for el in [root] if with_root else root:
        if not _element_events(el, events):
            return None
        if not with_root and el.tail:
            _text_events(el.tail, events)
    return events


def _element_events(el: Any, events: list[_Event]) -> bool:
    tag = el.tag
    if not isinstance(tag, str) or tag not in _EVENT_TAGS:
        return False
    attrs = list(el.attrib.items())
    for name, value in attrs:
        if name in _URI_ATTRIBUTES:
            if not _URI_AS_IS_RE.fullmatch(value):
                return False  # lxml would %-escape it
        elif name in _BOOLEAN_ATTRIBUTES or "&{" in value:
            return False  # lxml would write it bare, or unescaped
    events.append((2, tag, attrs))
    if el.text:
        _text_events(el.text, events)
    for child in el:
        if not _element_events(child, events):
            return False
        if child.tail:
            _text_events(child.tail, events)
    if tag not in _VOID_TAGS:
        events.append((3, tag, None))
    return True


def _text_events(text: str, events: list[_Event]) -> None:
    if "&" not in text and "<" not in text and ">" not in text:
        events.append((0, "", text))
        return
    for i, part in enumerate(_TEXT_SPLIT_RE.split(text)):
        if i % 2:
            events.append((1, "", part))
        elif part:
            events.append((0, "", part))


def to_clean_html(body_html: str) -> str:
    """The ``--body html`` output: the body sanitised with nh3, inside ``<article>``."""
    cleaned = nh3.clean(
        body_html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        link_rel=None,
        strip_comments=True,
    )
    return f"<article>\n{cleaned.strip()}\n</article>\n"


def _replace_with_token(el: Any, index: int) -> None:
    """Put a placeholder paragraph where a block was (keeping the following text)."""
    token = el.makeelement("p")
    token.text = _TOKEN.format(index)
    token.tail = el.tail
    parent = el.getparent()
    parent.replace(el, token)


def _replace_br(br: Any) -> None:
    """A ``<br>`` becomes a CommonMark hard break (backslash), not html2text's two spaces."""
    parent = br.getparent()
    previous = br.getprevious()
    text = _BR_TOKEN + (br.tail or "")
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(br)


def _render_code(pre: Any) -> str:
    code = pre.text_content().strip("\n")
    longest = max((len(run) for run in _BACKTICKS_RE.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    lang = (pre.get("data-lang") or "").strip()
    return f"{fence}{lang}\n{code}\n{fence}"


def _render_captions(figures: list[Any]) -> dict[Any, str]:
    """Each figure's caption as one line of Markdown (``""`` when empty), by figure.

    All captions go through ONE html2text run, each in its own paragraph between separator
    paragraphs: a converter per caption cost more than the conversion itself.
    """
    captioned: list[tuple[Any, Any]] = []
    for figure in figures:
        caption = next(figure.iter("figcaption"), None)
        if caption is not None:
            captioned.append((figure, caption))
    if not captioned:
        return {}
    paragraphs = _PARSER.makeelement("div")  # each caption as a <p>, then a separator <p>
    for _, caption in captioned:
        paragraph = copy.deepcopy(caption)
        paragraph.tag = "p"
        paragraph.attrib.clear()
        paragraph.tail = None
        paragraphs.append(paragraph)
        separator = paragraphs.makeelement("p")
        separator.text = _CAPTION_SEPARATOR
        paragraphs.append(separator)
    parts = _convert_tree(paragraphs, with_root=False).split(_CAPTION_SEPARATOR)
    if len(parts) != len(captioned) + 1:  # a caption holding the separator text: one by one
        parts = [_convert_tree(paragraph) for paragraph in paragraphs[::2]]
    return {
        figure: " ".join(line.strip() for line in text.splitlines() if line.strip())
        for (figure, _), text in zip(captioned, parts, strict=False)
    }


def _render_figure(figure: Any, captions: dict[Any, str]) -> str:
    img = next(figure.iter("img"), None)
    lines: list[str] = []
    if img is not None and img.get("src"):
        alt = _escape_alt(img.get("alt") or "")
        lines.append(f"![{alt}]({_link_target(img.get('src') or '')})")
    text = captions.get(figure, "")
    if text:
        lines.append(f"*{text}*")
    return "\n".join(lines)


def _escape_alt(alt: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", " ".join(alt.split()))


def _link_target(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url
