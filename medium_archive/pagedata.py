"""A served page read once: its lxml tree, head, JSON-LD and the embedded post state.

`build_page` parses the HTML once (`parse_html`) and gathers what every field extractor reads
into a `ParsedPage`: meta tags, first link per rel, ``<title>``, JSON-LD, and the post as Medium
embedded it in a script (``var GLOBALS``, ``window["obvInit"]``, ``window.__APOLLO_STATE__``),
with the post's id and canonical URL. A broken source reads as missing.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import lxml.etree
import lxml.html
import orjson

from . import htmlparse
from .errors import NotAPost
from .htmlparse import parsable_url
from .text import norm
from .urls import POST_ID_RE, post_id_from_url, strip_tracking

JsonDict = dict[str, Any]
Element = Any  # lxml.html.HtmlElement (lxml ships no type hints)

APP_URL_ID_RE = re.compile(r"^medium:/{1,2}p/([0-9a-f]{8,12})$")
#: A run of backslashes before ``xNN``: a JS ``\\xNN`` escape when the run is odd (the last
#: backslash escapes the x). Opening with the literal backslash lets the regex engine skip to
#: each one instead of trying every position of a large script.
_HEX_ESCAPE_RE = re.compile(r"(\\+)x([0-9a-fA-F]{2})")


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
class ParsedPage:
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


def parse_html(text: str) -> Element:
    """Parse a page with lxml.html, as UTF-8 bytes (faster than a ``str``, and the same tree).

    Characters lxml refuses (NUL, C0 controls, lone surrogates from undecodable bytes) are
    dropped first; a page with nothing to parse is `NotAPost`.
    """
    try:
        return lxml.html.document_fromstring(
            htmlparse.xml_safe_utf8(text), parser=htmlparse.parser("utf-8")
        )
    except lxml.etree.ParserError as error:
        raise NotAPost(
            f"the page has no HTML document to read ({error}); "
            "save the whole page or archive the post's URL"
        ) from error


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


def build_page(html: str, url: str) -> ParsedPage:
    """Parse the page once and read its head, JSON-LD and embedded state."""
    tree = parse_html(html)
    meta_items, links, title_tag, scripts = read_head(tree)
    meta: dict[str, str] = {}
    for key, value in meta_items:
        meta.setdefault(key, value)
    modern = 'data-rh="true"' in html or "pw-post-" in html or "__APOLLO_STATE__" in html
    page = ParsedPage(
        html, url, tree, meta, meta_items, links, title_tag, read_json_ld(tree), scripts, modern
    )
    page.post_id = extract_id(page)
    page.state = read_state(scripts, page.post_id)
    if not page.post_id and page.state is not None:
        page.post_id = post_id_or_empty(page.state.post.get("id"))
    page.canonical = extract_url(page)
    return page


def extract_id(page: ParsedPage) -> str:
    """Post id: app links, JSON-LD identifier, canonical suffix, then the URL hint."""
    for key in ("al:ios:url", "al:android:url", "twitter:app:url:iphone"):
        match = APP_URL_ID_RE.match(page.meta.get(key, "").strip())
        if match:
            return match.group(1)
    found = post_id_or_empty(page.ld.get("identifier"))
    if found:
        return found
    for candidate in (
        page.links.get("canonical", ""),
        page.meta.get("og:url", ""),
        page.meta.get("al:web:url", ""),
        as_str(page.ld.get("url")),
    ):
        pid = post_id_from_url(candidate) if parsable_url(candidate) else None
        if pid:
            return pid
    return ""


def extract_url(page: ParsedPage) -> str:
    """Canonical URL without tracking query or fragment."""
    state_url = ""
    if page.state is not None:
        state_url = as_str(page.state.post.get("mediumUrl"))
    candidates = (
        page.links.get("canonical", ""),
        page.meta.get("og:url", ""),
        page.meta.get("al:web:url", ""),
        as_str(page.ld.get("url")),
        as_str(page.ld.get("mainEntityOfPage")),
        state_url,
        page.url if page.url.startswith(("http://", "https://")) else "",
    )
    usable = [
        c.strip()
        for c in candidates
        if c.strip().startswith(("http://", "https://")) and parsable_url(c.strip())
    ]
    if page.post_id:
        # An imported story's rel=canonical names the original on another site: it carries no
        # post id, so the Medium URL that does (og:url, al:web:url, mediumUrl) is the post's.
        for candidate in usable:
            if post_id_from_url(candidate) == page.post_id:
                return strip_tracking(candidate)
    return strip_tracking(usable[0]) if usable else ""


def element_text(el: Element) -> str:
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


def as_str(value: Any) -> str:
    """A JSON value's string, stripped; '' for any other value."""
    return value.strip() if isinstance(value, str) else ""


def post_id_or_empty(value: Any) -> str:
    text = as_str(value).lower()
    return text if POST_ID_RE.match(text) else ""


def state_ref(page: ParsedPage, key: str) -> JsonDict:
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


def ld_person(page: ParsedPage) -> JsonDict:
    author = page.ld.get("author")
    if isinstance(author, list):
        author = author[0] if author else {}
    return author if isinstance(author, dict) else {}
