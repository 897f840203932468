"""The render oracle: what a reader sees of a rendered `Document`, block by block.

Shared by tests/test_render.py (markdown-it-py, and a real `jekyll build` for kramdown). A
document's expected blocks come from the model alone (no writer code): the plain text of each
text block, each code block's exact text, each image's caption, each embed's link text and
caption. The rendered blocks are read from the HTML a renderer made of `render_markdown`'s
output. Text is compared with white space collapsed (HTML shows any run of it as one space).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

import lxml.html

from medium_archive.document import (
    Block,
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
    plain,
)

#: Characters either renderer could take for markup, and other troublemakers.
HOSTILE = "<>&|*_`[]#+-.!\\{}%$~():;=^\"'/?@,"
ALPHABET = HOSTILE + "abcXYZ019 \n\t" + "\u00a0\u200a\u2009éß中😀𝔸\u3000—“”’"
#: Whole tokens that are markup somewhere.
TOKENS = (
    "&amp;",
    "&copy;",
    "&#35;",
    "&#x41;",
    "&nbsp",
    "<script>alert(1)</script>",
    "</p>",
    "<b>",
    "<canvas>",
    "<X>-ity",
    "http://x.y",
    "www.example.com",
    "javascript:",
    "1. ",
    "1) ",
    "- ",
    "* ",
    "+ ",
    "# ",
    "> ",
    "{{ page.title }}",
    "{% raw %}",
    "{:.cls}",
    "{#id}",
    "$$x$$",
    "~~",
    "**",
    "__",
    "```",
    "~~~",
    " | ",
    "\n",
    "\\",
    "[^1]",
    "[x]: /u",
    "](",
    "<!--",
    "-->",
    "  ",
    ": ",
    "===",
    "---",
    "...",
    "<<",
    ">>",
    "*[HTML]: x",
    "^",
    "[ ] ",
    "[x](javascript:alert(1))",
)
HREFS = (
    "https://en.wikipedia.org/wiki/Power_(statistics)",
    "https://example.com/a b",
    "https://example.com/a_b*c_",
    "mailto:someone@example.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/relative/path",
    "https://example.com/?a=1&amp;b=2&copy=3",
    "https://example.com/unbalanced(",
    'https://example.com/<>"|`\\{}',
    "HTTPS://EXAMPLE.COM/\n\tz",
    "https://example.com/{{liquid}}",
)
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_ODD_SPACE_RE = re.compile("[\u00a0\u200a\u2009\u202f\u2007]")


def norm(text: str) -> str:
    """Text as a reader compares it: controls dropped, odd spaces plain, white space
    collapsed, ends stripped."""
    text = _ODD_SPACE_RE.sub(" ", _CONTROL_RE.sub("", text.replace("\r", "\n")))
    return " ".join(text.split())


# ---------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Seen:
    """One block as a reader sees it: ``kind`` is ``text`` (paragraph-like, text compared),
    ``code`` (text compared exactly, ``lang`` its language) or ``rule``."""

    kind: str
    text: str
    lang: str = ""


def _code_text(code: Code) -> str:
    text = code.text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub("[\x00\ud800-\udfff]", "", text).strip("\n")


def _lang(code: Code) -> str:
    return code.lang.split()[0] if code.lang.strip() else ""


def _allowed(href: str) -> bool:
    return re.match(r"(?:https?://|mailto:)", href.strip(), re.IGNORECASE) is not None


def expected(doc: Document) -> list[Seen]:
    """What a document should show, block by block (empty blocks show nothing)."""
    out: list[Seen] = []
    for block in doc.blocks:
        if isinstance(block, (Paragraph, Heading, Quote, ListItem)):
            text = norm(plain(block.runs))
            if text:
                out.append(Seen("text", text))
        elif isinstance(block, Code):
            out.append(Seen("code", _code_text(block), _lang(block)))
        elif isinstance(block, Image):
            text = norm(plain(block.caption))
            if text or block.src:
                out.append(Seen("text", text))
        elif isinstance(block, Embed):
            out.extend(Seen("code", _code_text(c), _lang(c)) for c in block.code)
            label = norm(block.title) or (block.url.strip() if _allowed(block.url) else "")
            text = norm(f"{label} {plain(block.caption)}")
            if text:
                out.append(Seen("text", text))
        elif isinstance(block, Break):
            out.append(Seen("rule", ""))
    return out


# ---------------------------------------------------------------- what was rendered


def _classes(el: Any) -> str:
    return str(el.get("class") or "")


def seen(html: str) -> list[Seen]:
    """The blocks of rendered HTML (markdown-it's, or kramdown's in a Jekyll page)."""
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    if len(root) == 1 and root[0].tag == "article":  # render_html's wrapper
        root = root[0]
    out: list[Seen] = []
    for el in root:
        if not isinstance(el.tag, str):
            continue  # a comment
        if el.tag in ("ul", "ol"):
            out.extend(Seen("text", norm(li.text_content())) for li in el if li.tag == "li")
        elif el.tag == "pre" or (
            el.tag == "div" and ("highlighter-rouge" in _classes(el) or _classes(el) == "highlight")
        ):  # kramdown (Rouge) and Hugo (Chroma) wrap highlighted code in a div
            code = next(el.iter("code"), None)
            text = (code if code is not None else el).text_content()
            holder = code if code is not None and _classes(code) else el
            match = re.search(r"language-(\S+)", _classes(holder))
            lang = match.group(1) if match and match.group(1) != "plaintext" else ""
            lang = el.get("data-lang") or lang  # render_html's <pre data-lang>
            out.append(Seen("code", text[:-1] if text.endswith("\n") else text, lang))
        elif el.tag == "hr":
            out.append(Seen("rule", ""))
        else:
            out.append(Seen("text", norm(el.text_content())))
    return out


#: Elements a rendering of the writer's Markdown may hold (kramdown wraps highlighted code in
#: ``div``/``span``); any other came from text that should have stayed text.
RENDERED_TAGS = frozenset(
    {
        "div",
        "p",
        "h2",
        "h3",
        "blockquote",
        "ul",
        "ol",
        "li",
        "pre",
        "code",
        "span",
        "hr",
        "strong",
        "em",
        "a",
        "img",
        "br",
        "figure",
        "figcaption",
        "article",
    }
)


def problems(doc: Document, html: str) -> list[str]:
    """What differs between the document and its rendering (empty: nothing)."""
    found: list[str] = []
    want, got = expected(doc), seen(html)
    if want != got:
        found.append(f"blocks differ:\n  want {want}\n  got  {got}")
    root = lxml.html.fragment_fromstring(html, create_parent="div") if html.strip() else None
    if root is not None:
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag not in RENDERED_TAGS and el is not root:
                found.append(f"invented <{el.tag}>")
            href = el.get("href")
            if href is not None and not _allowed(href):
                found.append(f"link to {href!r}")
            src = el.get("src")
            if src is not None and re.match(r"\s*(?:javascript|data|vbscript):", src, re.I):
                found.append(f"image from {src!r}")
    return found


# ---------------------------------------------------------------- documents


#: Prose: words and the punctuation that sits next to emphasis in real posts.
WORDS = ("the", "word", "Medium", "don’t", "x", "42", "é", "中文", "😀", "snake_case", "a-b")
PUNCTUATION = (
    " ",
    " ",
    " ",
    ".",
    ",",
    ":",
    ";",
    "!",
    "?",
    "(",
    ")",
    "“",
    "”",
    "’",
    "'",
    '"',
    " — ",
    "-",
    "…",
    "/",
    "*",
    "_",
    "[",
    "]",
    "\n",
)


def _prose(rng: random.Random) -> str:
    return "".join(
        rng.choice(WORDS) if rng.random() < 0.5 else rng.choice(PUNCTUATION)
        for _ in range(rng.randint(1, 6))
    )


def _char(rng: random.Random) -> str:
    """Mostly the alphabet; now and then any code point (surrogates too: the writer drops them)."""
    if rng.random() < 0.05:
        return chr(rng.randint(0x80, 0x10FFFF))
    return rng.choice(ALPHABET)


def _text(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return _prose(rng)
    return "".join(
        rng.choice(TOKENS) if rng.random() < 0.25 else _char(rng) for _ in range(rng.randint(1, 12))
    )


def random_runs(rng: random.Random, most: int = 7) -> tuple[Run, ...]:
    return tuple(
        Run(
            _text(rng),
            strong=rng.random() < 0.35,
            em=rng.random() < 0.35,
            code=rng.random() < 0.15,
            href=rng.choice(HREFS) if rng.random() < 0.25 else "",
        )
        for _ in range(rng.randint(1, most))
    )


def random_block(rng: random.Random) -> Block:
    kind = rng.random()
    if kind < 0.35:
        return Paragraph(random_runs(rng))
    if kind < 0.45:
        return Heading(random_runs(rng, 3), level=rng.choice((2, 3, 4)))
    if kind < 0.52:
        return Quote(random_runs(rng), pull=rng.random() < 0.5)
    if kind < 0.7:
        return ListItem(random_runs(rng, 4), ordered=rng.random() < 0.5)
    if kind < 0.8:
        lines = [_text(rng).replace("\n", "") for _ in range(rng.randint(1, 4))]
        return Code(
            "\n".join(["", *lines] if rng.random() < 0.2 else lines).rstrip("\n") or "x",
            rng.choice(("", "python", "js", "c++", "shell")),
        )
    if kind < 0.88:
        return Image(
            "https://miro.medium.com/max/2000/" + rng.choice(("a.png", "b (1).png", "c_d.jpg")),
            alt=_text(rng),
            caption=random_runs(rng, 3) if rng.random() < 0.7 else (),
            href=rng.choice(HREFS) if rng.random() < 0.3 else "",
        )
    if kind < 0.95:
        return Embed(
            rng.choice(HREFS),
            title=_text(rng) if rng.random() < 0.7 else "",
            caption=random_runs(rng, 2) if rng.random() < 0.5 else (),
            code=(Code(_text(rng).strip("\n") or "y", "python"),) if rng.random() < 0.3 else (),
        )
    return Break()


def random_document(rng: random.Random, blocks: int = 8) -> Document:
    return Document(tuple(random_block(rng) for _ in range(rng.randint(1, blocks))))


def _p(*runs: Run) -> Paragraph:
    return Paragraph(runs)


R = Run

#: Hand-made hostile documents: each line of the issue's defect list, and more.
HOSTILE_DOCUMENTS: tuple[Document, ...] = (
    Document(
        (
            _p(R("have a look at "), R("this repository", href="https://github.com/a/b"), R(".")),
            _p(R("Reddit", strong=True), R(". ("), R("@aniehenke", href="https://x.com/a"), R(")")),
            _p(R("framework"), R("&", em=True), R(" helped")),
            _p(
                R("the "), R("<canvas>", code=True), R(" element, the <canvas> element and <X>-ity")
            ),
            _p(R("escaped <script>alert(1)</script> stays text, &lt;b&gt; too")),
            _p(R("[x](javascript:alert(1)) typed as prose, and [y](https://e.com)")),
            _p(R("Twitter | Facebook | LinkedIn")),
            _p(R("* a footnote that starts with a star")),
            _p(
                R("1. not a list"),
                R("\n2) nor this\n- nor\n+ this\n# nor a heading\n> nor a quote"),
            ),
            _p(R("power", href="https://en.wikipedia.org/wiki/Power_(statistics)"), R(" analysis")),
            _p(
                R("mail me", href="mailto:someone@example.com"),
                R(", "),
                R("js", href="javascript:alert(1)"),
                R(", "),
                R("data", href="data:text/html,x"),
            ),
            _p(R("literal &amp; and &copy; and &#35; and & alone")),
            _p(R("{{ page.title }} and {% raw %} stay as written")),
            _p(R("kramdown: {:.class} {#id} $$x^2$$ ~~no strike~~ *[HTML]: x [^1] ^")),
            _p(R("a"), R("b", strong=True), R("c"), R("(d)", em=True), R("e")),
            _p(
                R("$=", strong=True, em=True),
                R("<<", em=True),
                R("<"),
                R("<x", strong=True, em=True),
                R("y", strong=True),
            ),  # text "<" before and after inline-HTML emphasis
        )
    ),
    Document(
        (
            Heading((R("Heading ending in C#"),)),
            Heading((R("# not two"),), level=3),
            Heading((R("small "), R("level four", em=True)), level=4),
            Quote((R("a quote\nover two lines\n- with a dash"),)),
            Quote((R("a pull quote"),), pull=True),
            ListItem((R("one"),)),
            ListItem((R("two\nlines"),)),
            ListItem((R("first"),), ordered=True),
            ListItem((R("1. second"),), ordered=True),
            ListItem((R("back to bullets"),)),
            ListItem(
                (R("x", href="https://example.com/x"), R(" is a link, not a task box")),
            ),
            Code("def f():\n\n    return '```'  # `x`", "python"),
            Code("  indented\n\ttab", ""),
            Image(
                "https://miro.medium.com/max/2000/a (1).png",
                alt="An [image] | *alt*",
                caption=(
                    R("Photo by "),
                    R("Hubster", em=True),
                    R(" on "),
                    R("Unsplash", href="https://unsplash.com"),
                ),
            ),
            Image(
                "https://miro.medium.com/max/2000/b.png",
                href="https://example.com/x y",
                caption=(R("whole caption italic", em=True),),
            ),
            Embed(
                "https://gist.github.com/a/b",
                title="gist a|b",
                code=(Code("print('hi')", "python"),),
            ),
            Embed("https://youtu.be/x", title="A video", caption=(R("its caption"),)),
            Embed("javascript:alert(1)", title="not a link"),
            Break(),
            _p(
                R("code "),
                R("``x`", code=True),
                R(" "),
                R("`a", code=True),
                R(" "),
                R(" b ", code=True),
                R(" "),
                R("a|b", code=True),
                R(" and a \\` backtick"),
            ),
            _p(R("no-break\u00a0space, hair\u200aspace, ideographic\u3000space")),
            _p(R("entity-like after escapes: &nbsp__; &a_b; and &lt"), R("&amp;", em=True)),
            Image(
                "https://miro.medium.com/max/2000/c.png",
                alt="~~struck~~ [^1] &amp; ^",
                caption=(R("~~a caption~~ after an alt with tildes"),),
            ),
        )
    ),
)
