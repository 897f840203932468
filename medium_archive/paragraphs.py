"""Medium's own paragraph model, embedded in a page, read as a `Document`.

Most Medium pages embed the post as Medium stores it: a list of paragraphs, each with a ``type``,
its exact ``text`` and ``markups`` (ranges over the text, counted in UTF-16 code units), plus
image, iframe, link-card and code-block metadata, and the ``sections`` that start at given
paragraph indexes. Two shapes are read:

- obvInit / GLOBALS JSON (2015-2018 pages, ``value.content.bodyModel``): numeric types and
  markup types, objects inline;
- the Apollo state (2019+ pages, the post's ``content(…)`` → ``bodyModel``): named types,
  paragraphs (and, in Apollo v2, everything else) as references to resolve.

Paragraph types (checked on the corpus pages against the HTML Medium rendered from them):

=========  ================  =============================================================
obvInit    Apollo            block
=========  ================  =============================================================
1          P                 paragraph
2          H2                heading, level 2 (the title of older posts; ``graf--h2``)
3          H3                heading, level 2 (``graf--h3``, Medium's big header)
13         H4                heading, level 3 (``graf--h4``, Medium's small header)
4          IMG               image (``metadata.id``) with the text as its caption
6          BQ                quote
7          PQ                pull quote
8          PRE               code block (``codeBlockMetadata.lang`` on newer pages)
9          ULI               unordered list item
10         OLI               ordered list item
11         IFRAME            embed (``iframe.mediaResourceId`` / ``iframe.mediaResource``)
14         MIXTAPE_EMBED     link card (``mixtapeMetadata.href``, else the text's link)
=========  ================  =============================================================

Markup types: 1 / STRONG, 2 / EM, 3 / A (``href``; a user mention has ``userId``), 10 / CODE.
The text is split at every markup boundary, so overlapping and adjacent markups become flat runs.
The post's title and subtitle, which Medium keeps as the first paragraphs, are left out.

Pure: JSON values in, a document out; no HTML parsing, no network.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from .cleanup import clean_text
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
    code_language,
    merge_runs,
    tidy_breaks,
    tidy_runs,
)
from .htmlparse import clean_href
from .text import norm
from .urls import urlsplit

JsonDict = dict[str, Any]
Resolve = Callable[[Any], JsonDict]

#: Paragraph type → (kind, heading level). obvInit numbers and Apollo names.
_TYPES: dict[Any, tuple[str, int]] = {
    1: ("P", 0),
    "P": ("P", 0),
    2: ("H", 2),
    "H2": ("H", 2),
    3: ("H", 2),
    "H3": ("H", 2),
    13: ("H", 3),
    "H4": ("H", 3),
    4: ("IMG", 0),
    "IMG": ("IMG", 0),
    6: ("BQ", 0),
    "BQ": ("BQ", 0),
    7: ("PQ", 0),
    "PQ": ("PQ", 0),
    8: ("PRE", 0),
    "PRE": ("PRE", 0),
    9: ("ULI", 0),
    "ULI": ("ULI", 0),
    10: ("OLI", 0),
    "OLI": ("OLI", 0),
    11: ("IFRAME", 0),
    "IFRAME": ("IFRAME", 0),
    14: ("MIXTAPE", 0),
    "MIXTAPE_EMBED": ("MIXTAPE", 0),
}
_MARKUPS: dict[Any, str] = {
    1: "STRONG",
    "STRONG": "STRONG",
    2: "EM",
    "EM": "EM",
    3: "A",
    "A": "A",
    10: "CODE",
    "CODE": "CODE",
}
_FILLER_ALTS = frozenset({"image for post", "image", "photo", "for post"})
_IMAGE_ID_RE = re.compile(r"^[0-9]\*[\w.-]+$")
_MEDIA_ID_RE = re.compile(r"^[0-9a-f]{16,40}$")
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
_BLANKS_RE = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Model:
    """The paragraphs and section starts of a post's body model, and how to follow the
    references inside its paragraphs (metadata, markups, iframes)."""

    paragraphs: tuple[JsonDict, ...]
    section_starts: frozenset[int]
    resolve: Resolve
    #: Consecutive quotes of one kind form one ``<blockquote>`` (how 2019+ pages render them;
    #: 2015-2018 pages give each its own).
    grouped_quotes: bool = False

    def images_known(self) -> bool:
        """Every image paragraph names its image (a model without image metadata is a
        summary, not the body)."""
        return all(
            _image_id(self.resolve(p.get("metadata")))
            for p in self.paragraphs
            if _kind(p)[0] == "IMG"
        )

    def names(self) -> set[str]:
        """The paragraphs' names (the ``name``/``id`` the HTML gives each paragraph)."""
        return {p["name"] for p in self.paragraphs if isinstance(p.get("name"), str)}


def _inline_only(ref: Any) -> JsonDict:
    return ref if isinstance(ref, dict) else {}


def _following(resolve: Resolve) -> Resolve:
    """Apollo: follow a reference (v3 ``{"__ref": …}``, v2 ``{"type": "id", "id": …}``); any
    other object is inline (an image metadata's own ``id`` is not a reference)."""

    def follow(ref: Any) -> JsonDict:
        if not isinstance(ref, dict):
            return {}
        if "__ref" in ref or (ref.get("type") == "id" and "id" in ref):
            return resolve(ref)
        return ref

    return follow


# --- finding the model ---------------------------------------------------------------------------


def find_model(kind: str, post: JsonDict, resolve: Resolve) -> Model | None:
    """The body model of an embedded post state (``kind`` ``obvinit`` or ``apollo``), or None
    when the state holds none. Apollo: the ``content(…)`` entry with the most paragraphs."""
    if kind == "obvinit":
        content = post.get("content")
        model = content.get("bodyModel") if isinstance(content, dict) else None
        return _model(model, _inline_only, grouped=False)
    resolve = _following(resolve)
    best: Model | None = None
    for key, content in post.items():
        if not key.startswith("content") or not isinstance(content, dict):
            continue
        found = _model(resolve(resolve(content).get("bodyModel")), resolve, grouped=True)
        if found is not None and (best is None or len(found.paragraphs) > len(best.paragraphs)):
            best = found
    return best


def _model(model: Any, resolve: Resolve, *, grouped: bool) -> Model | None:
    if not isinstance(model, dict):
        return None
    raw = model.get("paragraphs")
    if not isinstance(raw, list) or not raw:
        return None
    # Kept in place (a broken one as {}), so that section start indexes still point right.
    paragraphs = tuple(p if isinstance(p, dict) else {} for p in (resolve(ref) for ref in raw))
    starts: set[int] = set()
    sections = model.get("sections")
    for ref in sections if isinstance(sections, list) else ():
        section = resolve(ref)
        index = section.get("startIndex") if isinstance(section, dict) else None
        if isinstance(index, int) and not isinstance(index, bool) and index > 0:
            starts.add(index)
    return Model(paragraphs, frozenset(starts), resolve, grouped) if any(paragraphs) else None


# --- reading it ----------------------------------------------------------------------------------


def read_model(
    model: Model,
    *,
    url: str,
    title: str = "",
    subtitles: Iterable[str] = (),
) -> Document:
    """The `Document` of a body model. ``url`` is the post's URL (links and Medium's media
    proxy are made absolute against it); ``title`` and ``subtitles`` (the post's subtitle as
    extracted) let the leading paragraphs that repeat them be left out."""
    skip = _title_paragraphs(model.paragraphs, title, [s for s in subtitles if s])
    blocks: list[Block] = []
    for index, paragraph in enumerate(model.paragraphs):
        if index in model.section_starts:
            blocks.append(Break())
        if index in skip:
            continue
        block = _block(paragraph, url, model.resolve)
        if block is None:
            continue
        previous = blocks[-1] if blocks else None
        if isinstance(block, Code) and isinstance(previous, Code):
            # One code block of several PRE paragraphs (a line or a few each), as Medium shows it.
            blocks[-1] = Code(previous.text + "\n" + block.text, previous.lang or block.lang)
            continue
        if (
            model.grouped_quotes
            and isinstance(block, Quote)
            and isinstance(previous, Quote)
            and previous.pull == block.pull
        ):
            block = replace(block, continued=True)
        blocks.append(block)
    return Document(tuple(tidy_breaks(blocks)))


def _key(value: Any) -> int | str | None:
    """A type code as a lookup key (JSON from a page can hold anything)."""
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _kind(paragraph: JsonDict) -> tuple[str, int]:
    return _TYPES.get(_key(paragraph.get("type")), ("", 0))


def _text(paragraph: JsonDict) -> str:
    text = paragraph.get("text")
    return text if isinstance(text, str) else ""


def _matches(text: str, wanted: str) -> bool:
    """``text`` is ``wanted``, or one is a cut (``…``) or a prefix of the other."""
    a, b = norm(text).casefold(), norm(wanted).casefold()
    if not a or not b:
        return False
    if a == b:
        return True
    a, b = a.rstrip("…. "), b.rstrip("…. ")
    return bool(a) and bool(b) and (a.startswith(b) or b.startswith(a))


def _title_paragraphs(
    paragraphs: tuple[JsonDict, ...], title: str, subtitles: list[str]
) -> set[int]:
    """Indexes of the leading paragraphs that are the post's title and subtitle."""
    skip: set[int] = set()
    wanted = norm(title).casefold()
    in_title = True
    for index, paragraph in enumerate(paragraphs):
        kind, _level = _kind(paragraph)
        text = _text(paragraph)
        if kind in ("IMG", "IFRAME") or not text.strip():
            continue  # a cover image above the title, an empty paragraph
        name = paragraph.get("name")
        folded = norm(text).casefold() if in_title else ""
        # The title, or one of the headings it is split into ("Open Journalism Project:",
        # "Better Student Journalism").
        if (
            in_title
            and (kind == "H" or name == "title")
            and wanted
            and (_matches(text, title) or (len(folded) > 3 and folded in wanted))
        ):
            skip.add(index)
            continue
        in_title = False
        heading_like = kind in ("H", "PQ") or name == "subtitle"
        if heading_like and any(_matches(text, s) for s in subtitles):
            skip.add(index)
        break
    return skip


def _block(paragraph: JsonDict, url: str, resolve: Resolve) -> Block | None:
    kind, level = _kind(paragraph)
    text = _text(paragraph)
    if kind == "IMG":
        return _image(paragraph, url, resolve)
    if kind == "IFRAME":
        return _iframe(paragraph, url, resolve)
    if kind == "MIXTAPE":
        return _mixtape(paragraph, url, resolve)
    if kind == "PRE":
        if not text.strip("\n").strip():
            return None
        meta = resolve(paragraph.get("codeBlockMetadata"))
        lang = meta.get("lang") if isinstance(meta, dict) else None
        return Code(text.strip("\n"), code_language(lang if isinstance(lang, str) else ""))
    runs = runs_of(text, _markups(paragraph, resolve), url)
    if not runs:
        return None
    if kind == "H":
        return Heading(_flat_heading(runs), level)
    if kind == "BQ":
        return Quote(runs)
    if kind == "PQ":
        return Quote(runs, pull=True)
    if kind in ("ULI", "OLI"):
        return ListItem(runs, ordered=kind == "OLI")
    return Paragraph(runs)


def _flat_heading(runs: Inline) -> Inline:
    """A heading's runs without strong (a heading is bold already) and with line breaks made
    spaces, as the HTML reader has them."""
    out = [replace(r, strong=False, text=r.text.replace("\n", " ")) for r in runs]
    return merge_runs(out)


def _markups(paragraph: JsonDict, resolve: Resolve) -> list[JsonDict]:
    raw = paragraph.get("markups")
    if not isinstance(raw, list):
        return []
    return [m for m in (resolve(ref) for ref in raw) if isinstance(m, dict)]


def _image(paragraph: JsonDict, url: str, resolve: Resolve) -> Image | None:
    meta = resolve(paragraph.get("metadata"))
    image_id = _image_id(meta)
    if not image_id:
        return None
    width = meta.get("originalWidth")
    alt = meta.get("alt")
    alt = " ".join(clean_text(alt).split()) if isinstance(alt, str) else ""
    if alt.lower() in _FILLER_ALTS:
        alt = ""
    href = paragraph.get("href")
    return Image(
        image_url(image_id, width if isinstance(width, int) and not isinstance(width, bool) else 0),
        alt,
        runs_of(_text(paragraph), _markups(paragraph, resolve), url),
        clean_href(href, url) if isinstance(href, str) else "",
    )


def _image_id(meta: Any) -> str:
    image_id = meta.get("id") if isinstance(meta, dict) else None
    if not isinstance(image_id, str) or not _IMAGE_ID_RE.match(image_id.strip()):
        return ""
    return image_id.strip()


def image_url(image_id: str, width: int = 0) -> str:
    """The full-resolution URL of a Medium image id: Medium's CDN resized to the image's own
    width (2000 px when unknown), the form the HTML reader finds in a page's widest source."""
    return f"https://miro.medium.com/v2/resize:fit:{width if width > 0 else 2000}/{image_id}"


def _iframe(paragraph: JsonDict, url: str, resolve: Resolve) -> Embed | None:
    iframe = resolve(paragraph.get("iframe"))
    if not isinstance(iframe, dict):
        return None
    resource = resolve(iframe.get("mediaResource"))
    media_id = iframe.get("mediaResourceId") or (
        resource.get("id") if isinstance(resource, dict) else ""
    )
    media_id = media_id.strip() if isinstance(media_id, str) else ""
    title = resource.get("title") if isinstance(resource, dict) else ""
    src = resource.get("iframeSrc") if isinstance(resource, dict) else ""
    src = src.strip() if isinstance(src, str) else ""
    caption = runs_of(_text(paragraph), _markups(paragraph, resolve), url)
    title = " ".join(clean_text(title).split()) if isinstance(title, str) else ""
    if src.startswith("//"):
        src = "https:" + src
    if src.startswith(("http://", "https://")):
        return Embed(src, title=title, caption=caption, media_id=media_id, resolved=True)
    if not _MEDIA_ID_RE.match(media_id):
        return None
    return Embed(
        f"{_origin(url)}/media/{media_id}", title=title, caption=caption, media_id=media_id
    )


def _mixtape(paragraph: JsonDict, url: str, resolve: Resolve) -> Embed | None:
    meta = resolve(paragraph.get("mixtapeMetadata"))
    href = meta.get("href") if isinstance(meta, dict) else None
    markups = _markups(paragraph, resolve)
    if not isinstance(href, str) or not href.strip():
        href = next(
            (
                m.get("href")
                for m in markups
                if _MARKUPS.get(_key(m.get("type"))) == "A"
                and isinstance(m.get("href"), str)
                and m.get("href")
            ),
            "",
        )
    target = clean_href(href, url) if isinstance(href, str) else ""
    if not target:
        return None
    text = _text(paragraph)
    # The card's text is "<title>\n<description><domain>": its title is the first strong run,
    # else the first line.
    strong = next((m for m in markups if _MARKUPS.get(_key(m.get("type"))) == "STRONG"), None)
    title = ""
    if strong is not None:
        runs = runs_of(text, [strong], url)
        title = next((r.text for r in runs if r.strong), "")
    if not title:
        title = text.split("\n", 1)[0]
    title = " ".join(clean_text(title).split())
    media_id = meta.get("mediaResourceId") if isinstance(meta, dict) else ""
    return Embed(
        target,
        title=title,
        kind="link",
        resolved=True,
        media_id=media_id if isinstance(media_id, str) else "",
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return "https://medium.com"


# --- inline runs ---------------------------------------------------------------------------------


def _utf16_index(text: str) -> Callable[[int], int]:
    """A function from a UTF-16 offset into ``text`` to the Python index (an offset inside a
    surrogate pair falls back to the character's start; out-of-range offsets are clamped)."""
    size = len(text)
    if text.isascii() or _ASTRAL_RE.search(text) is None:
        return lambda offset: min(max(offset, 0), size)
    starts = [0]
    for ch in text:
        starts.append(starts[-1] + (2 if ord(ch) > 0xFFFF else 1))

    def index(offset: int) -> int:
        if offset <= 0:
            return 0
        return min(bisect.bisect_right(starts, offset) - 1, size)

    return index


def runs_of(text: str, markups: list[JsonDict], url: str) -> Inline:
    """The runs of a paragraph's text under its markups: the text split at every markup
    boundary, each piece with the marks of every markup covering it (the innermost link wins),
    then trimmed and tidied as the HTML reader's runs are."""
    if not text:
        return ()
    if not markups:
        return tidy_runs([Run(_spaces(clean_text(text)))])
    to_index = _utf16_index(text)
    spans: list[tuple[int, int, str, str]] = []
    for markup in markups:
        kind = _MARKUPS.get(_key(markup.get("type")))
        start, end = markup.get("start"), markup.get("end")
        if kind is None or not isinstance(start, int) or not isinstance(end, int):
            continue
        a, b = to_index(start), to_index(end)
        if a >= b:
            continue
        href = ""
        if kind == "A":
            href = _markup_href(markup, url)
            if not href:
                continue
        spans.append((a, b, kind, href))
    cuts = sorted({0, len(text), *(s[0] for s in spans), *(s[1] for s in spans)})
    runs: list[Run] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [s for s in spans if s[0] <= a and s[1] >= b]
        code = any(s[2] == "CODE" for s in covering)
        links = [s for s in covering if s[2] == "A"]
        href = max(links, key=lambda s: (s[0], -s[1]))[3] if links else ""
        piece = text[a:b] if code else clean_text(text[a:b])
        piece = _spaces(piece)
        runs.append(
            Run(
                piece,
                strong=any(s[2] == "STRONG" for s in covering),
                em=any(s[2] == "EM" for s in covering),
                code=code,
                href=href,
            )
        )
    return tidy_runs(runs)  # the HTML reader's tidying (edges, spaces out of emphasis)


def _spaces(text: str) -> str:
    """Runs of spaces and tabs as one space (a browser shows no more; line breaks are kept)."""
    return _BLANKS_RE.sub(" ", text) if "  " in text or "\t" in text else text


def _markup_href(markup: JsonDict, url: str) -> str:
    href = markup.get("href")
    if isinstance(href, str) and href.strip():
        return clean_href(href, url)
    user = markup.get("userId")
    if isinstance(user, str) and user.strip():
        return f"https://medium.com/u/{user.strip()}"
    return ""
