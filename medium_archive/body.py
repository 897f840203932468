"""Article body: isolate the post content of a Medium page and normalise it.

Owns the normalised body HTML, the contract between this module and markdown.py: whatever the
era of the markup (E1 ``postField--body``, E2/E3 ``postArticle-content`` grafs, E4/E5 React
``article``), the output is one flat sequence of simple blocks (``h2 h3 p blockquote ul ol hr``,
``<pre data-lang>`` holding plain text, ``<figure><img src alt><figcaption>`` with the
full-resolution image, ``<p class="embed"><a>`` for embeds and link cards, and
``<p class="caption">`` for the caption of an embed whose content is gone) with only
``a strong em code br`` inline. Chrome (title, subtitle,
kicker, byline, buttons, meter banners) is left out; text outside code goes through
`cleanup.clean_text`. Also `text_of`, the plain text of a normalised body.

Everything works on the lxml tree the caller already parsed: no page is parsed twice.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import lxml.etree
import lxml.html

from .cleanup import clean_text
from .urls import absolute, strip_tracking

# --- markup vocabulary -------------------------------------------------------------------------

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "button", "svg", "canvas", "template", "form", "input",
     "textarea", "select", "nav", "footer", "header", "aside", "link", "meta", "title", "head"}
)
#: Class tokens of page chrome that can sit inside the article container.
_CHROME_CLASSES = frozenset(
    {"postMetaLockup", "postMetaInline", "postMetaHeader", "js-postMetaLockup",
     "postArticle-footer",
     "pw-post-byline-header", "pw-author", "pw-reading-time", "pw-responses-count",
     "pw-multi-vote-count", "pw-published-date", "pw-more-medium-articles", "speechify-ignore",
     "graf-dropCapImage", "progressiveMedia-thumbnail", "js-postMetaInlineSupplemental",
     "mixtapeImage"}
)
_TITLE_CLASSES = frozenset({"graf--title", "pw-post-title"})
_SUBTITLE_CLASSES = frozenset({"graf--subtitle", "pw-subtitle-paragraph", "graf--kicker"})
_INLINE_TAGS = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "code": "code"}
_METER_RE = re.compile(r"free member-only stor(?:y|ies) left|member-only stories left", re.I)
_WS_RE = re.compile(r"[ \t\n\r\f\v]+")
_TAG_RE = re.compile(r"<[^>]*>")
_EDGE_RE = re.compile(r"^(?:\s|<br>)+|(?:\s|<br>)+$")
_BR_SPACE_RE = re.compile(r" ?<br> ?")
_FILLER_ALTS = frozenset({"image for post", "image", "photo", "for post"})
#: Width in Medium image URLs: ``/max/800/``, ``/resize:fit:1400/``, ``/fit/c/800/600/``.
_WIDTH_RE = re.compile(r"/(?:max|resize:fit:|fit/c/|fit/t/)/?(\d+)")
_PLACEHOLDER_RE = re.compile(r"/max/(?:30|60)/|[?&]q=20\b|/freeze/max/(?:30|60)/")
_SRCSET_RE = re.compile(r"(\S+)\s+(\d+)w")
_IMAGE_ID_RE = re.compile(r"^[01]\*[\w.-]+$")
_APOLLO_IFRAME_RE = re.compile(
    r'"type":\s*"IFRAME"[^{}]*?"iframe":\s*\{[^{}]*?"mediaResource":\s*\{[^{}]*?'
    r'"(?:__ref|id)":\s*"(?:\$)?MediaResource:([0-9a-f]+)"'
)
_GIST_RE = re.compile(r"^(https?://gist\.github\.com/[^?#]+?)(?:\.js)?(?:\?.*)?$")

_XML_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_UNSAFE_C0 = bytes(c for c in range(32) if chr(c) not in "\t\n\r")

#: The body container by era, first match wins (``/descendant::*[test][1]``: the node
#: ``(//*[test])[1]`` gives, without building the whole ``//*`` node-set first).
_CONTAINER_XPATHS = (
    lxml.etree.XPath("/descendant::*[contains(@class, 'postArticle-content')][1]"),
    lxml.etree.XPath("/descendant::*[contains(@class, 'postField--body')][1]"),
    lxml.etree.XPath("/descendant::article[1]"),
)
_GRAF_XPATH = lxml.etree.XPath("boolean(.//*[contains(@class, 'graf--')])")

_EMBED = "embed"
_HR = "<hr>"


# --- public API --------------------------------------------------------------------------------


def extract_body(tree: Any, url: str) -> str:
    """Return the normalised body HTML of a parsed Medium page (``lxml.html`` root element).

    The article container is found by era; the first one wins, so a file holding the page
    twice gives one body. Returns ``""`` when no article content is found.
    """
    container = find_container(tree)
    if container is None:
        return ""
    mode = _mode_of(container, page=True)
    walker = _Walker(
        url=url,
        mode=mode,
        title_el=_find_title(container, page=True, title=None, graf=mode == "graf"),
        iframe_media=_apollo_iframe_media(tree),
    )
    return walker.render(container)


def normalize_fragment(fragment_html: str, url: str, title: str | None = None) -> str:
    """Normalise an isolated body fragment: an export ``section[data-field=body]`` (E2 graf
    markup) or a feed's ``content:encoded`` (plain ``h3/h4/p/figure/pre``, h3 the big header).

    ``title``, when given, lets a leading heading that repeats the post title be dropped.
    """
    fragment_html = xml_safe(fragment_html)
    if not fragment_html.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment_html, create_parent="div", parser=_PARSER)
    mode = _mode_of(root, page=False)
    walker = _Walker(
        url=url,
        mode=mode,
        title_el=_find_title(root, page=False, title=title, graf=mode == "graf"),
        iframe_media=[],
    )
    return walker.render(root)


def xml_safe(text: str) -> str:
    """``text`` without the characters lxml refuses to parse: NUL and other C0 controls, lone
    surrogates (undecodable bytes read with ``surrogateescape``), U+FFFE/U+FFFF."""
    data = _xml_safe_utf8(text)
    return text if data is not None else _XML_UNSAFE_RE.sub("", text)


def xml_safe_utf8(text: str) -> bytes:
    """`xml_safe` ``text`` encoded as UTF-8: what lxml parses fastest (given a ``str`` holding
    non-ASCII characters, it converts the string's internal form itself, more slowly)."""
    data = _xml_safe_utf8(text)
    return data if data is not None else _XML_UNSAFE_RE.sub("", text).encode("utf-8")


def _xml_safe_utf8(text: str) -> bytes | None:
    """``text`` as UTF-8 when it holds no character lxml refuses, else None."""
    # The common clean page is told apart with C-speed byte operations (a regex scan of a
    # whole page costs several times more): lone surrogates do not encode, C0 bytes delete.
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if (
        len(data.translate(None, _XML_UNSAFE_C0)) == len(data)
        and "\ufffe" not in text
        and "\uffff" not in text
    ):
        return data
    return None


def html_parser(**options: Any) -> lxml.html.HTMLParser:
    """lxml.html's parser, its elements all plain `lxml.html.HtmlElement`: its own lookup asks
    Python for each element's class (for form-field classes nothing here uses), a cost paid for
    every element the extraction touches."""
    parser = lxml.html.HTMLParser(**options)
    parser.set_element_class_lookup(
        lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


_PARSER = html_parser()


@functools.lru_cache(maxsize=4096)  # the page URL and repeated links: parsed once
def parsable_url(url: str) -> bool:
    """True when ``urllib`` can split the URL (``http://[`` is a broken IPv6 host: ValueError)."""
    try:
        urlsplit(url).hostname  # noqa: B018 - the property parses the host
    except ValueError:
        return False
    return True


def _absolute(url: str, base: str) -> str:
    """`urls.absolute`, '' for a URL (or base) that cannot be parsed."""
    if not parsable_url(url) or not parsable_url(base):
        return ""
    return absolute(url, base)


def find_container(tree: Any) -> Any | None:
    """The element holding the article body, by era; ``None`` when the page has none."""
    for query in _CONTAINER_XPATHS:
        found = query(tree)
        if found:
            return found[0]
    return None


def text_of(body_html: str, *, include_code: bool = False) -> str:
    """Plain text of a normalised body: one block per line pair, for word counts, language
    detection and keywords. Code blocks are left out unless ``include_code``."""
    if not body_html.strip():
        return ""
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    parts: list[str] = []
    for block in root:
        if not isinstance(block.tag, str) or (block.tag == "pre" and not include_code):
            continue
        if block.tag == "pre":
            parts.append(block.text_content())
            continue
        for br in block.iter("br"):
            br.tail = " " + (br.tail or "")
        items = block.findall("li") if block.tag in ("ul", "ol") else [block]
        for item in items:
            text = _WS_RE.sub(" ", item.text_content()).strip()
            if text:
                parts.append(text)
    return "\n\n".join(parts)


# --- container analysis ------------------------------------------------------------------------


def _classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def _is_chrome(el: Any) -> bool:
    """True when the element carries one of Medium's page-chrome classes."""
    value = el.get("class")
    return bool(value) and not _CHROME_CLASSES.isdisjoint(value.split())


def _mode_of(container: Any, *, page: bool) -> str:
    """``graf`` (E1–E3 and exports), ``id`` (E4/E5 pages) or ``plain`` (feed fragments)."""
    if _GRAF_XPATH(container):
        return "graf"
    return "id" if page else "plain"


def _is_title_el(el: Any) -> bool:
    if _classes(el) & _TITLE_CLASSES:
        return True
    return el.get("name") == "title" and el.tag in _HEADINGS


def _find_title(container: Any, *, page: bool, title: str | None, graf: bool) -> Any | None:
    """The in-body title element: explicit class, else the first heading before any text.

    ``graf``: the container holds graf markup (`_mode_of` is ``graf``).
    """
    for el in container.iter(*_HEADINGS):
        if _is_title_el(el):
            return el
    if page and not graf:
        return next((h for h in container.iter("h1") if _norm(h.text_content())), None)
    wanted = _norm(title) if title else ""
    for el in container.iter("p", "li", "pre", "blockquote", *_HEADINGS):
        if el.tag not in _HEADINGS:
            if _norm(el.text_content()):
                return None
            continue
        text = _norm(el.text_content())
        if not text:
            continue
        if not page:
            return el if wanted and text == wanted else None
        return el if graf else None
    return None


def _apollo_iframe_media(tree: Any) -> list[str]:
    """Media ids of the Apollo IFRAME paragraphs, in order (E4 pages whose embed figures are
    empty placeholders). Empty when the page has no Apollo state."""
    for script in tree.iter("script"):
        text = script.text or ""
        if "__APOLLO_STATE__" in text and "IFRAME" in text:
            return _APOLLO_IFRAME_RE.findall(text)
    return []


def _norm(text: str | None) -> str:
    return _WS_RE.sub(" ", clean_text(text or "")).strip()


# --- the walker --------------------------------------------------------------------------------


@dataclass
class _Walker:
    """Walks an article container in document order and collects normalised blocks."""

    url: str
    mode: str
    title_el: Any | None
    iframe_media: list[str]
    blocks: list[str] = field(default_factory=list)
    before_title: bool = False
    expect_subtitle: bool = False
    embed_index: int = 0

    def render(self, container: Any) -> str:
        self.before_title = self.title_el is not None
        self._walk(container)
        return "\n".join(_tidy_breaks(self.blocks))

    # dispatch

    def _walk(self, parent: Any) -> None:
        children = [c for c in parent if isinstance(c.tag, str)]
        i = 0
        while i < len(children):
            el = children[i]
            if el.tag == "pre":
                run = [el]
                while i + 1 < len(children) and children[i + 1].tag == "pre":
                    i += 1
                    run.append(children[i])
                self._code(run)
            else:
                self._element(el)
            i += 1

    def _element(self, el: Any) -> None:
        tag = el.tag
        classes = _classes(el)
        if tag == "script":
            self._gist(el)
            return
        if tag in _SKIP_TAGS or classes & _CHROME_CLASSES:
            return
        if classes & _SUBTITLE_CLASSES or el.get("name") == "subtitle":
            return
        if el is self.title_el:
            self.before_title = False
            self.expect_subtitle = not _is_title_el(el) or self.mode != "graf"
            return
        if tag in _HEADINGS:
            self._heading(el, classes)
        elif tag == "p":
            self._paragraph(el, classes)
        elif tag == "blockquote":
            self._quote(el)
        elif tag in ("ul", "ol"):
            self._list(el)
        elif tag == "figure":
            self._figure(el)
        elif tag == "iframe":
            self._embed_iframe(el, "")
        elif tag == "hr":
            self.blocks.append(_HR)
        elif tag == "img" and self.mode == "plain":
            self._image_block(el, el, None)
        elif "graf--mixtapeEmbed" in classes:
            self._mixtape(el)
        elif el.get("role") == "separator":
            self.blocks.append(_HR)
        elif tag == "a" and self.mode == "id" and el.find(".//h2") is not None:
            self._card(el)
        else:
            self._walk(el)

    def _emit(self, html: str) -> None:
        self.expect_subtitle = False
        self.blocks.append(html)

    # blocks

    def _heading(self, el: Any, classes: set[str]) -> None:
        inner = _inline(el, self.url, heading=True)
        if not inner:
            return
        if self.before_title:
            return  # a kicker above the title
        if self.mode == "id" and not el.get("id"):
            return  # E4/E5 byline and card headings carry no paragraph id
        level = _heading_level(el.tag, classes, self.mode)
        if self.expect_subtitle and (self.mode != "id" or el.tag != "h1"):
            self.expect_subtitle = False
            return
        self._emit(f"<h{level}>{inner}</h{level}>")

    def _paragraph(self, el: Any, classes: set[str]) -> None:
        if self.mode == "graf" and not any(c.startswith("graf") for c in classes):
            return
        if self.mode == "id" and not el.get("id"):
            return
        inner = _inline(el, self.url)
        if not _has_text(inner):
            return
        if "member-only" in inner.lower() and _METER_RE.search(inner):  # the cheap test first
            return
        self._emit(f"<p>{inner}</p>")

    def _quote(self, el: Any) -> None:
        paras = [p for p in el if isinstance(p.tag, str) and p.tag == "p"]
        parts = [_inline(p, self.url) for p in paras] if paras else [_inline(el, self.url)]
        parts = [p for p in parts if _has_text(p)]
        if parts:
            self._emit("<blockquote>" + "".join(f"<p>{p}</p>" for p in parts) + "</blockquote>")

    def _list(self, el: Any) -> None:
        items = []
        for li in el.iter("li"):
            inner = _inline(li, self.url)
            if _has_text(inner):
                items.append(f"<li>{inner}</li>")
        if items:
            self._emit(f"<{el.tag}>" + "".join(items) + f"</{el.tag}>")

    def _code(self, run: list[Any]) -> None:
        lines = [_code_text(pre) for pre in run]
        text = "\n".join(lines).strip("\n")
        if not text.strip():
            return
        lang = next((lang for pre in run if (lang := _code_lang(pre))), "")
        attr = f' data-lang="{escape(lang)}"' if lang else ""
        self._emit(f"<pre{attr}>{escape(text, quote=False)}</pre>")

    def _figure(self, el: Any) -> None:
        caption_el = next(el.iter("figcaption"), None)
        caption = _inline(caption_el, self.url) if caption_el is not None else ""
        iframe = next(el.iter("iframe"), None)
        if iframe is not None:
            self._embed_iframe(iframe, caption)
            return
        img = next((i for i in el.iter("img") if not _is_chrome(i)), None)
        if img is not None or el.xpath("boolean(.//*[@data-image-id])"):
            self._image_block(el, img, caption)
            return
        script = next(el.iter("script"), None)
        if script is not None and self._gist(script):
            return
        # An E4 placeholder figure for an embed: only the Apollo state knows what it shows.
        media = self._next_media()
        if media:
            href = f"https://medium.com/media/{media}"
            self._emit(_embed_html(href, _plain(caption) or href))
        elif _has_text(caption):
            # The embed itself is gone (account exports drop iframes): keep its caption, marked
            # as a caption so that it is not taken for a paragraph of the text.
            self._emit(f'<p class="caption"><em>{caption}</em></p>')

    def _image_block(self, el: Any, img: Any | None, caption: str | None) -> None:
        src = _best_image_url(el, self.url)
        if not src or _is_pixel(img, src):
            return
        alt = clean_text((img.get("alt") if img is not None else "") or "").strip()
        if alt.lower() in _FILLER_ALTS:
            alt = ""
        html = f'<figure><img src="{escape(src)}" alt="{escape(alt)}">'
        if caption and _has_text(caption):
            html += f"<figcaption>{caption}</figcaption>"
        self._emit(html + "</figure>")

    def _next_media(self) -> str:
        index = self.embed_index
        media = self.iframe_media[index] if index < len(self.iframe_media) else ""
        self.embed_index += 1
        return media

    def _embed_iframe(self, iframe: Any, caption: str) -> None:
        media = self._next_media()
        src = iframe.get("src") or iframe.get("data-src") or ""
        if not src and media:
            src = f"https://medium.com/media/{media}"
        if not src:
            return
        href = _absolute(src.strip(), self.url)
        if not href:
            return
        title = _norm(iframe.get("title"))
        self._emit(_embed_html(href, title or _plain(caption) or href))

    def _gist(self, script: Any) -> bool:
        match = _GIST_RE.match((script.get("src") or "").strip())
        if not match:
            return False
        href = match.group(1)
        self._emit(_embed_html(href, href))
        return True

    def _mixtape(self, el: Any) -> None:
        anchor = next((a for a in el.iter("a") if a.get("href")), None)
        if anchor is None:
            return
        strong = next(anchor.iter("strong"), None)
        title = _norm((strong if strong is not None else anchor).text_content())
        href = _clean_href(anchor.get("href"), self.url)
        self._emit(_embed_html(href, title or href))

    def _card(self, anchor: Any) -> None:
        heading = anchor.find(".//h2")
        href = _clean_href(anchor.get("href"), self.url)
        title = _norm(heading.text_content() if heading is not None else anchor.text_content())
        if href:
            self._emit(_embed_html(href, title or href))


def _is_pixel(img: Any | None, src: str) -> bool:
    """A feed's tracking pixel, not a picture."""
    if "/_/stat" in src:
        return True
    return img is not None and img.get("width") == "1" and img.get("height") == "1"


def _heading_level(tag: str, classes: set[str], mode: str) -> int:
    if "graf--h4" in classes:
        return 3
    if "graf--h3" in classes:
        return 2
    if mode == "id":
        return 2 if tag == "h1" else 3
    return 2 if tag in ("h1", "h2", "h3") else 3


def _tidy_breaks(blocks: list[str]) -> Iterator[str]:
    """Section breaks only between content: never first, last or doubled."""
    pending = False
    seen = False
    for block in blocks:
        if block == _HR:
            pending = seen
            continue
        if pending:
            yield _HR
            pending = False
        seen = True
        yield block


def _embed_html(href: str, text: str) -> str:
    return f'<p class="{_EMBED}"><a href="{escape(href)}">{escape(text, quote=False)}</a></p>'


# --- inline content ----------------------------------------------------------------------------


def _inline(el: Any, base: str, *, heading: bool = False) -> str:
    """Inline HTML of an element's content: text cleaned, only ``a strong em code br``."""
    out: list[str] = []
    _inline_into(el, base, out, heading=heading, in_code=False)
    html = "".join(out)
    while "  " in html:
        html = html.replace("  ", " ")
    html = _strip_edges(html)
    return _BR_SPACE_RE.sub("<br>", html) if "<br>" in html else html


def _strip_edges(html: str) -> str:
    """``html`` without leading and trailing whitespace and ``<br>`` (as ``_EDGE_RE`` would,
    without that regex's scan for a trailing run from every space of the text)."""
    before = None
    while before != html:
        before = html
        html = html.strip().removeprefix("<br>").removesuffix("<br>")
    return html


def _text(text: str | None, in_code: bool) -> str:
    if not text:
        return ""
    if in_code:
        return escape(text, quote=False)
    text = clean_text(text)
    if "  " in text or not text.isprintable():  # else _WS_RE has nothing to collapse
        text = _WS_RE.sub(" ", text)
    return escape(text, quote=False)


def _inline_into(el: Any, base: str, out: list[str], *, heading: bool, in_code: bool) -> None:
    out.append(_text(el.text, in_code))
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and tag not in _SKIP_TAGS and tag not in ("img", "figcaption") and not _is_chrome(
            child
        ):
            _inline_child(child, tag, base, out, heading=heading, in_code=in_code)
        out.append(_text(child.tail, in_code))


def _inline_child(
    child: Any, tag: str, base: str, out: list[str], *, heading: bool, in_code: bool
) -> None:
    if tag == "br":
        out.append(" " if heading else "<br>")
        return
    inner: list[str] = []
    wrapper = _INLINE_TAGS.get(tag, "")
    if heading and wrapper == "strong":
        wrapper = ""
    _inline_into(child, base, inner, heading=heading, in_code=in_code or wrapper == "code")
    html = "".join(inner)
    if tag == "a" and child.get("href"):
        href = _clean_href(child.get("href"), base)
        if _has_text(html) and href:
            out.append(_wrap(html, "a", f' href="{escape(href)}"'))
            return
    if wrapper and not in_code and _has_text(html):
        out.append(_wrap(html, wrapper, ""))
        return
    if tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"):
        out.append(" " + html + " ")
        return
    out.append(html)


def _wrap(html: str, tag: str, attrs: str) -> str:
    """Wrap inline HTML in a tag, keeping edge spaces outside (``**a **b`` breaks Markdown)."""
    core, lead, trail = html, "", ""
    while core.startswith((" ", "<br>")):
        cut = 1 if core.startswith(" ") else 4
        lead, core = lead + core[:cut], core[cut:]
    while core.endswith((" ", "<br>")):
        cut = 1 if core.endswith(" ") else 4
        core, trail = core[:-cut], core[-cut:] + trail
    return f"{lead}<{tag}{attrs}>{core}</{tag}>{trail}"


def _has_text(html: str | None) -> bool:
    if not html:
        return False
    if "<" not in html:  # no tag to remove
        return bool(html.strip())
    return bool(_TAG_RE.sub("", html).strip())


def _plain(html: str) -> str:
    return _WS_RE.sub(" ", re.sub(r"<[^>]*>", " ", html)).strip()


def _clean_href(href: str | None, base: str) -> str:
    """Absolute URL without Medium's ``?source=`` tracking; a real fragment is kept."""
    href = clean_text((href or "").strip())
    if not href or href.lower().startswith(("javascript:", "data:")):
        return ""
    if href.startswith(("mailto:", "tel:")):
        return href
    full = _absolute(href, base)
    if not full:
        return ""
    parts = urlsplit(full)
    if parts.query:
        stripped = urlsplit(strip_tracking(full))
        fragment = "" if parts.fragment.startswith(".") else parts.fragment
        full = urlunsplit((parts.scheme, parts.netloc, parts.path, stripped.query, fragment))
    elif parts.fragment.startswith("."):
        full = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return full


# --- code --------------------------------------------------------------------------------------


def _code_text(pre: Any) -> str:
    """The exact text of a ``pre``: ``<br>`` as newline, markup dropped, entities decoded once."""
    out: list[str] = []

    def walk(el: Any) -> None:
        if el.text:
            out.append(el.text)
        for child in el:
            if isinstance(child.tag, str):
                if child.tag == "br":
                    out.append("\n")
                elif child.tag not in ("script", "style", "button"):
                    walk(child)
            if child.tail:
                out.append(child.tail)

    walk(pre)
    return "".join(out)


def _code_lang(pre: Any) -> str:
    for el in pre.iter():
        if not isinstance(el.tag, str):
            continue
        lang = el.get("data-code-block-lang") or el.get("data-lang") or ""
        if not lang:
            match = re.search(r"\b(?:language|lang)-([\w+#-]+)", el.get("class") or "")
            lang = match.group(1) if match else ""
        if lang:
            return lang.strip().lower()
    return ""


# --- images ------------------------------------------------------------------------------------


def _image_candidates(el: Any) -> Iterator[tuple[int, str]]:
    """``(width, url)`` for every image URL in a figure; width 0 when unknown."""
    for node in el.iter("img", "source"):
        for attr in ("srcset", "data-srcset"):
            for url, width in _SRCSET_RE.findall(node.get(attr) or ""):
                yield int(width), url
        for attr in ("data-src", "src"):
            url = (node.get(attr) or "").strip()
            if url:
                match = _WIDTH_RE.search(url)
                yield (int(match.group(1)) if match else 0), url


def _best_image_url(el: Any, base: str) -> str:
    """The full-resolution image URL of a figure, never a blurred placeholder."""
    image_id = next((n.get("data-image-id") for n in el.iter() if n.get("data-image-id")), None)
    candidates: list[tuple[bool, int, str]] = []
    for width, url in _image_candidates(el):
        url = clean_text(url)
        if url.startswith("//"):
            url = "https:" + url
        if not url.startswith(("http://", "https://")) or _PLACEHOLDER_RE.search(url):
            continue
        candidates.append((not url.endswith(".webp"), width, url))
    # The best (not webp, then widest; the first of equals): the sort is stable, and only the
    # URLs tried are parsed (a srcset lists many).
    candidates.sort(key=lambda c: c[:2], reverse=True)
    best = next((c for c in candidates if parsable_url(c[2])), None)
    if best is not None:
        return best[2]
    if image_id and _IMAGE_ID_RE.match(image_id):
        host = "miro.medium.com" if "miro.medium.com" in base else "cdn-images-1.medium.com"
        return f"https://{host}/max/2000/{image_id}"
    for _width, url in _image_candidates(el):
        if not _PLACEHOLDER_RE.search(url) and base.startswith("http"):
            return _absolute(url, base)
    return ""
