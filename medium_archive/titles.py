"""The title, the subtitle and the description: the cascade that finds and cleans them.

The title is the state's, else JSON-LD's headline, og:title or ``<title>`` with Medium's
suffixes stripped; the subtitle is the one shown under the title, else the stored preview
unless Medium generated it from the first paragraph; the description follows FORMAT.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.etree

from .pagedata import Element, ParsedPage, as_str, element_text, ld_person, state_ref
from .text import is_truncation, norm

TITLE_SEPARATORS = (" | ", " – ", " — ", " - ")
MEDIUM_SUFFIXES = (" | Medium", " – Medium", " — Medium", " - Medium")
_BY_SUFFIX_RE = re.compile(r"\s+\|\s+by\s+.*$")
#: The text blocks of a body: paragraphs, headings, quotes, code, list items.
_TEXT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "blockquote", "pre", "li")
_XML_SPACE = " \t\r\n"  # what XPath's normalize-space() strips
# First-match queries are written ``/descendant::*[test][1]``, not ``(//*[test])[1]``: the same
# node, but libxml2 builds the whole ``//*`` node-set first (about 1.5 times the time).
_GRAF_TITLE_XPATH = lxml.etree.XPath(
    '/descendant::*[contains(@class, "graf--title") and'  # the cheap contains() first
    ' contains(concat(" ", @class, " "), " graf--title ")'
    ' or self::h1 and contains(@class, "pw-post-title")][1]'
)
_FIRST_HEADING_XPATH = lxml.etree.XPath(
    '/descendant::*[self::h1 or self::h2 or self::h3][contains(@class, "graf--first")][1]'
)
_SUBTITLE_XPATH = lxml.etree.XPath(  # one contains() per element: both classes hold "subtitle"
    '/descendant::*[@name="subtitle" or contains(@class, "subtitle") and'
    ' (contains(@class, "pw-subtitle-paragraph") or'
    ' contains(concat(" ", @class, " "), " graf--subtitle "))][1]'
)
_FIRST_PARAGRAPH_XPATH = lxml.etree.XPath(
    '/descendant::p[contains(@class, "graf--p") or @id][normalize-space()][1]'
)


def in_body_title(page: ParsedPage) -> Element | None:
    """The title element inside the article (graf--title, pw-post-title, first h1, E1/E2 first)."""
    found = _GRAF_TITLE_XPATH(page.tree)
    if found:
        return found[0]
    found = page.tree.xpath("(//article//h1)[1]")
    if found:
        return found[0]
    found = _FIRST_HEADING_XPATH(page.tree)
    return found[0] if found else None


def clean_title(raw: str, names: list[str], reference: str = "") -> str:
    """Strip Medium's suffixes: ``– Author – Medium``, ``| by X | Pub | Medium``, ``– Pub``..."""
    title = norm(raw)
    for suffix in MEDIUM_SUFFIXES:
        if title.endswith(suffix):
            title = title[: -len(suffix)].rstrip()
            break
    title = _BY_SUFFIX_RE.sub("", title)
    if reference and title != reference and title.startswith(reference):
        rest = title[len(reference) :]
        if any(rest.startswith(sep) for sep in TITLE_SEPARATORS):
            return reference
    for name in names:
        for sep in TITLE_SEPARATORS:
            tail = sep + name
            if name and title.endswith(tail) and len(title) > len(tail):
                return title[: -len(tail)].rstrip()
    return title


def title_names(page: ParsedPage) -> list[str]:
    """Author and publication names that may appear as title suffixes."""
    names = [norm(page.meta.get("author")), norm(as_str(ld_person(page).get("name")))]
    site = norm(page.meta.get("og:site_name"))
    if site and site != "Medium":
        names.append(site)
    publisher = page.ld.get("publisher")
    if isinstance(publisher, dict):
        names.append(norm(as_str(publisher.get("name"))))
    names.append(norm(as_str(state_ref(page, "collection").get("name"))))
    return [n for n in names if n]


def extract_title(page: ParsedPage, title_el: Element | None) -> str:
    """The clean title: state title, then JSON-LD headline, og:title, <title>, in-body title."""
    if page.state is not None:
        state_title = norm(as_str(page.state.post.get("title")))
        if state_title:
            return state_title
    reference = element_text(title_el) if title_el is not None else ""
    names = title_names(page)
    sources = [
        as_str(page.ld.get("headline")),
        page.meta.get("og:title", ""),
        page.meta.get("twitter:title", ""),
        page.title_tag,
    ]
    if page.modern:  # E4 JSON-LD headline may carry "- Author - Medium"; og:title is clean there
        sources = sources[1:] + sources[:1]
    for raw in sources:
        if raw and raw.strip():
            return clean_title(raw, names, reference)
    return reference


def visible_subtitle(page: ParsedPage, title_el: Element | None) -> str:
    """Text of the subtitle element shown under the title, or ''."""
    found = _SUBTITLE_XPATH(page.tree)  # one pass over the page; the cheap tests first
    if found:
        return element_text(found[0])
    if title_el is None:
        return ""
    following = title_next_block(page, title_el)
    if following is None:
        return ""
    title_class = title_el.get("class") or ""
    if "graf" not in title_class and title_el.tag == "h1" and following.tag == "h2":
        return element_text(following)  # E4: h2 right after the title h1
    if (
        "graf--title" not in title_class
        and following.tag in ("h3", "h4")
        and "graf" in (following.get("class") or "")
    ):
        stored = stored_subtitle(page)
        text = element_text(following)
        if stored and (text == stored or is_truncation(stored, text)):
            return text  # E1/E2: heading right after the title, stored as the subtitle
    return ""


def title_next_block(page: ParsedPage, title_el: Element) -> Element | None:
    """`next_block` of the title, looked for once per page."""
    if page.after_title is None or page.after_title[0] is not title_el:
        page.after_title = (title_el, next_block(title_el))
    return page.after_title[1]


def next_block(title_el: Element) -> Element | None:
    """The first text block (paragraph, heading, quote, list item, code) after the title."""
    for el in title_el.itersiblings():
        block = el if el.tag in _TEXT_BLOCKS else None
        if block is not None and element_text(block) and is_body_block(block):
            return block
        if block is None and element_text(el):
            break
    seen = 0
    for el in _following(title_el, _TEXT_BLOCKS):  # the first 12 blocks with text
        if not el.text_content().strip(_XML_SPACE):  # XPath's normalize-space() is empty
            continue
        if is_body_block(el):
            return el
        seen += 1
        if seen == 12:
            break
    return None


def _following(el: Element, tags: tuple[str, ...]) -> Iterator[Element]:
    """XPath's ``following::*`` with those tags, lazily: the blocks after ``el`` (not inside
    it) in document order, so a search that ends early does not walk the whole page."""
    node = el
    while node is not None:
        for sibling in node.itersiblings():
            yield from sibling.iter(*tags)
        node = node.getparent()


def is_body_block(el: Element) -> bool:
    """Body blocks carry a paragraph name/id or graf classes; byline chrome does not."""
    if el.get("name") or el.get("id") or "graf" in (el.get("class") or ""):
        return True
    if "pw-post-body-paragraph" in (el.get("class") or ""):
        return True
    return el.tag in ("blockquote", "li") and bool(el.xpath(".//*[@id or @name]"))


def stored_subtitle(page: ParsedPage) -> str:
    """Medium's stored preview subtitle: state ``content.subtitle``, else og:description."""
    state = page.state
    if state is not None:
        if state.kind == "apollo":
            preview = state.resolve(state.post.get("previewContent"))
            return norm(as_str(preview.get("subtitle")))
        content = state.post.get("content")
        virtuals = state.post.get("virtuals")
        for holder in (content, virtuals):
            if isinstance(holder, dict) and as_str(holder.get("subtitle")):
                return norm(holder["subtitle"])
        return ""
    return norm(page.meta.get("og:description") or page.meta.get("twitter:description"))


def first_text_block(page: ParsedPage, title_el: Element | None) -> str:
    if title_el is not None:
        block = title_next_block(page, title_el)
        return element_text(block) if block is not None else ""
    found = _FIRST_PARAGRAPH_XPATH(page.tree)
    return element_text(found[0]) if found else ""


def extract_subtitle(page: ParsedPage, title_el: Element | None) -> str:
    """Visible subtitle, else the stored preview unless it is auto-generated, else ''."""
    shown = visible_subtitle(page, title_el)
    if shown:
        return shown
    stored = stored_subtitle(page)
    if not stored:
        return ""
    first = first_text_block(page, title_el)
    if first and is_truncation(stored, first):
        return ""
    if not first:
        return ""
    return stored


def extract_description(page: ParsedPage, subtitle: str, first_block: str) -> str:
    """FORMAT.md description: the subtitle, else a page description that is not a truncation."""
    if subtitle:
        return subtitle
    for key in ("og:description", "description", "twitter:description"):
        text = norm(page.meta.get(key))
        auto = text.endswith("…") or (first_block and is_truncation(text, first_block))
        if text and not auto:
            return text
    return ""
