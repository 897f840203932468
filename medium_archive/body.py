"""Article body: isolate the post content of a Medium page and read it as a `Document`.

The HTML reader of the body (the other one, `paragraphs.py`, reads Medium's own paragraph
model when a page embeds it). Whatever the era of the markup (E1 ``postField--body``, E2/E3
``postArticle-content`` grafs, E4/E5 React ``article``, export and feed fragments), the result is
one flat sequence of `document` blocks: headings, paragraphs, quotes, list items, code (exact
text and language), images (full resolution, alt, caption), embeds and link cards, section
breaks, with strong/em/code/link runs inline. Chrome (title, subtitle, kicker, byline, buttons,
meter banners) is left out; text outside code goes through `cleanup.clean_text`.

Everything works on the lxml tree the caller already parsed: no page is parsed twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import lxml.etree
import lxml.html

from . import htmlparse
from .blockparts import best_image_url, code_lang, code_text
from .cleanup import clean_text
from .document import (
    BREAK,
    Block,
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
    code_language,
    has_text,
    plain,
    tidy_breaks,
    tidy_runs,
)
from .htmlparse import absolute_or_empty, clean_href, xml_safe
from .text import norm

# --- markup vocabulary -------------------------------------------------------------------------

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "button",
        "svg",
        "canvas",
        "template",
        "form",
        "input",
        "textarea",
        "select",
        "nav",
        "footer",
        "header",
        "aside",
        "link",
        "meta",
        "title",
        "head",
    }
)
#: Class tokens of page chrome that can sit inside the article container.
_CHROME_CLASSES = frozenset(
    {
        "postMetaLockup",
        "postMetaInline",
        "postMetaHeader",
        "js-postMetaLockup",
        "postArticle-footer",
        "pw-post-byline-header",
        "pw-author",
        "pw-reading-time",
        "pw-responses-count",
        "pw-multi-vote-count",
        "pw-published-date",
        "pw-more-medium-articles",
        "speechify-ignore",
        "graf-dropCapImage",
        "progressiveMedia-thumbnail",
        "js-postMetaInlineSupplemental",
        "mixtapeImage",
    }
)
_TITLE_CLASSES = frozenset({"graf--title", "pw-post-title"})
_SUBTITLE_CLASSES = frozenset({"graf--subtitle", "pw-subtitle-paragraph", "graf--kicker"})
_INLINE_TAGS = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "code": "code"}
_METER_RE = re.compile(r"free member-only stor(?:y|ies) left|member-only stories left", re.I)
_WS_RE = re.compile(r"[ \t\n\r\f\v]+")
_FILLER_ALTS = frozenset({"image for post", "image", "photo", "for post"})
_APOLLO_IFRAME_RE = re.compile(
    r'"type":\s*"IFRAME"[^{}]*?"iframe":\s*\{[^{}]*?"mediaResource":\s*\{[^{}]*?'
    r'"(?:__ref|id)":\s*"(?:\$)?MediaResource:([0-9a-f]+)"'
)
_GIST_RE = re.compile(r"^(https?://gist\.github\.com/[^?#]+?)(?:\.js)?(?:\?.*)?$")
#: Medium's embed proxy: ``https://medium.com/media/<id>`` (any Medium host, any query).
_MEDIA_ID_RE = re.compile(r"^https?://[^/]*medium\.com/media/([0-9a-f]{16,40})(?:[?#/]|$)")

#: The body container by era, first match wins (``/descendant::*[test][1]``: the node
#: ``(//*[test])[1]`` gives, without building the whole ``//*`` node-set first).
_CONTAINER_XPATHS = (
    lxml.etree.XPath("/descendant::*[contains(@class, 'postArticle-content')][1]"),
    lxml.etree.XPath("/descendant::*[contains(@class, 'postField--body')][1]"),
    lxml.etree.XPath("/descendant::article[1]"),
)
_GRAF_XPATH = lxml.etree.XPath("boolean(.//*[contains(@class, 'graf--')])")


# --- public API --------------------------------------------------------------------------------


def extract_body(tree: Any, url: str) -> Document:
    """The body `Document` of a parsed Medium page (``lxml.html`` root element).

    The article container is found by era; the first one wins, so a file holding the page
    twice gives one body. An empty document when no article content is found.
    """
    container = find_container(tree)
    if container is None:
        return Document()
    mode = _mode_of(container, page=True)
    walker = _Walker(
        url=url,
        mode=mode,
        title_el=_find_title(container, page=True, title=None, graf=mode == "graf"),
        iframe_media=_apollo_iframe_media(tree),
    )
    return walker.render(container)


def normalize_fragment(fragment_html: str, url: str, title: str | None = None) -> Document:
    """Read an isolated body fragment: an export ``section[data-field=body]`` (E2 graf
    markup) or a feed's ``content:encoded`` (plain ``h3/h4/p/figure/pre``, h3 the big header).

    ``title``, when given, lets a leading heading that repeats the post title be dropped.
    """
    fragment_html = xml_safe(fragment_html)
    if not fragment_html.strip():
        return Document()
    root = lxml.html.fragment_fromstring(
        fragment_html, create_parent="div", parser=htmlparse.parser()
    )
    mode = _mode_of(root, page=False)
    walker = _Walker(
        url=url,
        mode=mode,
        title_el=_find_title(root, page=False, title=title, graf=mode == "graf"),
        iframe_media=[],
    )
    return walker.render(root)


def find_container(tree: Any) -> Any | None:
    """The element holding the article body, by era; ``None`` when the page has none."""
    for query in _CONTAINER_XPATHS:
        found = query(tree)
        if found:
            return found[0]
    return None


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
        return next((h for h in container.iter("h1") if norm(h.text_content())), None)
    wanted = norm(title) if title else ""
    for el in container.iter("p", "li", "pre", "blockquote", *_HEADINGS):
        if el.tag not in _HEADINGS:
            if norm(el.text_content()):
                return None
            continue
        text = norm(el.text_content())
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


# --- the walker --------------------------------------------------------------------------------


@dataclass
class _Walker:
    """Walks an article container in document order and collects document blocks."""

    url: str
    mode: str
    title_el: Any | None
    iframe_media: list[str]
    blocks: list[Block] = field(default_factory=list)
    before_title: bool = False
    expect_subtitle: bool = False
    embed_index: int = 0

    def render(self, container: Any) -> Document:
        self.before_title = self.title_el is not None
        self._walk(container)
        return Document(tuple(tidy_breaks(self.blocks)))

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
            self._quote(el, classes)
        elif tag in ("ul", "ol"):
            self._list(el)
        elif tag == "figure":
            self._figure(el)
        elif tag == "iframe":
            self._embed_iframe(el, ())
        elif tag == "hr":
            self.blocks.append(BREAK)
        elif tag == "img" and self.mode == "plain":
            self._image_block(el, el, ())
        elif "graf--mixtapeEmbed" in classes:
            self._mixtape(el)
        elif el.get("role") == "separator":
            self.blocks.append(BREAK)
        elif tag == "a" and self.mode == "id" and el.find(".//h2") is not None:
            self._card(el)
        else:
            self._walk(el)

    def _emit(self, block: Block) -> None:
        self.expect_subtitle = False
        self.blocks.append(block)

    # blocks

    def _heading(self, el: Any, classes: set[str]) -> None:
        runs = _inline(el, self.url, heading=True)
        if not runs:
            return
        if self.before_title:
            return  # a kicker above the title
        if self.mode == "id" and not el.get("id"):
            return  # E4/E5 byline and card headings carry no paragraph id
        level = _heading_level(el.tag, classes, self.mode)
        if self.expect_subtitle and (self.mode != "id" or el.tag != "h1"):
            self.expect_subtitle = False
            return
        self._emit(Heading(runs, level))

    def _paragraph(self, el: Any, classes: set[str]) -> None:
        if self.mode == "graf" and not any(c.startswith("graf") for c in classes):
            return
        if self.mode == "id" and not el.get("id"):
            return
        runs = _inline(el, self.url)
        if not has_text(runs):
            return
        text = plain(runs)
        if "member-only" in text.lower() and _METER_RE.search(text):  # the cheap test first
            return
        self._emit(Paragraph(runs))

    def _quote(self, el: Any, classes: set[str]) -> None:
        pull = "graf--pullquote" in classes
        paras = [p for p in el if isinstance(p.tag, str) and p.tag == "p"]
        parts = [_inline(p, self.url) for p in paras] if paras else [_inline(el, self.url)]
        parts = [p for p in parts if has_text(p)]
        if parts:
            self.expect_subtitle = False
            self.blocks.extend(Quote(p, pull=pull, continued=i > 0) for i, p in enumerate(parts))

    def _list(self, el: Any) -> None:
        ordered = el.tag == "ol"
        runs = (_inline(li, self.url) for li in el.iter("li"))
        items = [ListItem(r, ordered) for r in runs if has_text(r)]
        if items:
            self.expect_subtitle = False
            self.blocks.extend(items)

    def _code(self, run: list[Any]) -> None:
        lines = [code_text(pre) for pre in run]
        text = "\n".join(lines).strip("\n")
        if not text.strip():
            return
        lang = next((lang for pre in run if (lang := code_lang(pre))), "")
        self._emit(Code(text, code_language(lang)))

    def _figure(self, el: Any) -> None:
        caption_el = next(el.iter("figcaption"), None)
        caption = _inline(caption_el, self.url) if caption_el is not None else ()
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
            self._emit(Embed(f"https://medium.com/media/{media}", caption=caption, media_id=media))
        elif has_text(caption):
            # The embed itself is gone (account exports drop iframes): keep its caption, marked
            # as a caption so that it is not taken for a paragraph of the text.
            runs = tuple(replace(r, em=True) for r in caption)
            self._emit(Paragraph(runs, caption=True))

    def _image_block(self, el: Any, img: Any | None, caption: Inline) -> None:
        src = best_image_url(el, self.url)
        if not src or _is_pixel(img, src):
            return
        alt = clean_text((img.get("alt") if img is not None else "") or "").strip()
        if alt.lower() in _FILLER_ALTS:
            alt = ""
        self._emit(
            Image(
                src,
                " ".join(alt.split()),
                caption if has_text(caption) else (),
                _image_link(el, self.url),
            )
        )

    def _next_media(self) -> str:
        index = self.embed_index
        media = self.iframe_media[index] if index < len(self.iframe_media) else ""
        self.embed_index += 1
        return media

    def _embed_iframe(self, iframe: Any, caption: Inline) -> None:
        media = self._next_media()
        src = iframe.get("src") or iframe.get("data-src") or ""
        if not src and media:
            src = f"https://medium.com/media/{media}"
        if not src:
            return
        href = absolute_or_empty(src.strip(), self.url)
        if not href:
            return
        found = _MEDIA_ID_RE.search(href)
        media_id = (iframe.get("data-media-id") or "").strip() or (found.group(1) if found else "")
        title = norm(iframe.get("title"))
        self._emit(
            Embed(href, title=title, caption=caption, media_id=media_id, resolved=found is None)
        )

    def _gist(self, script: Any) -> bool:
        match = _GIST_RE.match((script.get("src") or "").strip())
        if not match:
            return False
        self._emit(Embed(match.group(1), resolved=True))
        return True

    def _mixtape(self, el: Any) -> None:
        anchor = next((a for a in el.iter("a") if a.get("href")), None)
        if anchor is None:
            return
        strong = next(anchor.iter("strong"), None)
        title = norm((strong if strong is not None else anchor).text_content())
        href = clean_href(anchor.get("href"), self.url)
        if href:
            self._emit(Embed(href, title=title, kind="link", resolved=True))

    def _card(self, anchor: Any) -> None:
        heading = anchor.find(".//h2")
        href = clean_href(anchor.get("href"), self.url)
        title = norm(heading.text_content() if heading is not None else anchor.text_content())
        if href:
            self._emit(Embed(href, title=title, kind="link", resolved=True))


def _image_link(figure: Any, base: str) -> str:
    """The link an image is wrapped in (Medium's ``a.graf-imageAnchor``), '' when none."""
    for anchor in figure.iter("a"):
        href = anchor.get("href")
        if href and (
            anchor.find(".//img") is not None or anchor.find(".//*[@data-image-id]") is not None
        ):
            return clean_href(href, base)
    return ""


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


# --- inline content ----------------------------------------------------------------------------


def _inline(el: Any, base: str, *, heading: bool = False) -> Inline:
    """The inline runs of an element's content: text cleaned and whitespace collapsed (across
    runs too), edges trimmed, a ``<br>`` as ``"\\n"`` (a space in headings), only strong, em,
    code and links kept as marks."""
    out: list[Run] = []
    _inline_into(el, base, out, heading, _NO_MARKS)
    return tidy_runs(out)


_NO_MARKS = (False, False, False, "")
_Marks = tuple[bool, bool, bool, str]


def _text(text: str | None, marks: _Marks) -> Run | None:
    if not text:
        return None
    if not marks[2]:
        text = clean_text(text)
    if "  " in text or not text.isprintable():  # else _WS_RE has nothing to collapse
        text = _WS_RE.sub(" ", text)
    return Run(text, *marks)


def _inline_into(el: Any, base: str, out: list[Run], heading: bool, marks: _Marks) -> None:
    run = _text(el.text, marks)
    if run is not None:
        out.append(run)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if (
            tag
            and tag not in _SKIP_TAGS
            and tag not in ("img", "figcaption")
            and not _is_chrome(child)
        ):
            _inline_child(child, tag, base, out, heading, marks)
        run = _text(child.tail, marks)
        if run is not None:
            out.append(run)


def _inline_child(
    child: Any, tag: str, base: str, out: list[Run], heading: bool, marks: _Marks
) -> None:
    strong, em, code, href = marks
    if tag == "br":
        out.append(Run(" ") if heading else Run("\n", href=href))
        return
    wrapper = _INLINE_TAGS.get(tag, "")
    if heading and wrapper == "strong":
        wrapper = ""
    if tag == "a" and child.get("href"):
        href = clean_href(child.get("href"), base) or href
    if wrapper and not code:
        strong = strong or wrapper == "strong"
        em = em or wrapper == "em"
        code = wrapper == "code"
    block = tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote")
    if block:
        out.append(Run(" "))
    _inline_into(child, base, out, heading, (strong, em, code, href))
    if block:
        out.append(Run(" "))
