"""Post ↔ YAML front matter: the keys and order of FORMAT.md, and the file text around them.

Pure text: no file I/O, no HTML parser. ``front_matter`` maps a `Post` to the ordered mapping,
``dumps``/``loads`` turn (mapping, body) into file text and back with PyYAML's safe dumper and
loader (never string formatting), and ``content_hash`` fingerprints a file for re-sync.

``app_links``: one map per `AppLink`, keys in the order ``type, url, app_store_id, app_name,
package``, holding only that platform's own non-empty keys (``APP_LINK_KEYS``): ios has
``url, app_store_id, app_name``, android ``url, app_name, package``, web ``url``.

``description`` fallback: the first prose paragraph of the body's `Document` (headings, images,
quotes, lists, code and link cards skipped), as plain text, cut at the last word boundary so that
with a trailing ``…`` it is at most 300 characters. It, ``wordCount`` and derived ``keywords`` are
computed from the document, never from the rendered body, so they are the same for
``--body markdown`` and ``--body html``.

``_archive`` (what re-sync needs; written by ``dumps_with_hash``)::

    _archive:
      fetchedFrom: <the URL fetched after redirects, or the input file, as given>
      etag: <the ETag response header, verbatim>           # only when the server sent one
      lastModified: <the Last-Modified header, verbatim>    # only when the server sent one
      contentHash: sha256:<64 hex>                          # content_hash() of this very file

Site-generator keys come last (after ``_archive``), each only when known, so that Jekyll, Hugo
and their plugins read the post without help (`site_keys`): ``date`` (``datePublished``, the same
quoted ISO 8601 UTC string, which Jekyll's and Hugo's date parsers both read, time of day and
zone included), ``last_modified_at`` (Jekyll) or ``lastmod`` (Hugo) from ``dateModified``,
``tags`` (the post's Medium tags only; keywords derived from the text are never tags),
``canonical_url`` (the canonical URL of the original, for jekyll-seo-tag) and, in Hugo,
``draft: true`` for a draft. In a Hugo site ``url`` is not written: Hugo takes it as the page's
own permalink and refuses an ``http`` one.

Every value comes from the source, none from our own run (no fetch time, no tool version), so
re-archiving an unchanged post renders the same bytes and the store leaves the file alone.
``contentHash`` is the sha256 of the file's text with the ``contentHash`` line itself removed;
a file whose ``content_hash`` no longer matches its stored ``contentHash`` was edited by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Literal

import yaml

from . import urls
from .cleanup import clean_text
from .dates import date_string
from .document import Document, first_paragraph_text, text_of
from .errors import FrontMatterError
from .keywords import count_words, derive_keywords
from .model import AppLink, Post

__all__ = [
    "APP_LINK_KEYS",
    "app_link_map",
    "clean_values",
    "content_hash",
    "date_string",
    "dumps",
    "dumps_hashed",
    "dumps_with_hash",
    "front_matter",
    "has_liquid",
    "load_meta",
    "loads",
    "site_keys",
    "split",
    "without_live_liquid",
]

Generator = Literal["jekyll", "hugo"]
#: The keys `site_keys` writes, for either generator.
SITE_KEYS = ("date", "last_modified_at", "lastmod", "tags", "canonical_url", "draft")

#: Each platform's own keys, in output order (``type`` always comes first).
APP_LINK_KEYS: dict[str, tuple[str, ...]] = {
    "ios": ("url", "app_store_id", "app_name"),
    "android": ("url", "app_name", "package"),
    "web": ("url",),
}
_ALL_APP_LINK_KEYS = ("url", "app_store_id", "app_name", "package")
DESCRIPTION_MAX = 300
HASH_PREFIX = "sha256:"
_DELIMITER = "---"
_YAML_WIDTH = 1 << 30  # never fold long lines
_OPEN_RE = re.compile(r"---[ \t]*\r?\n")
_CLOSE_RE = re.compile(r"^---[ \t]*(?:\r?\n|\Z)", re.M)

try:  # libyaml's loader is ~10x faster; it resolves exactly the same safe tags.
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, except that a value YAML cannot build is kept as its text, not raised:
    an unquoted timestamp out of range (``2020-13-45``, ``2021-02-30``, or a ``datetime``
    PyYAML itself cannot make) and an integer too long for ``int()`` (Python 3.11+ refuses over
    4,300 digits). The date readers (`dates`) then treat such text as "no date"."""

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError, TypeError):
            return str(node.value)

    def construct_yaml_int(self, node: Any) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)

#: At most this many values in a front matter once its YAML aliases are expanded: a few
#: aliases are fine (Jekyll reads them), an "alias bomb" (each alias doubling the last) is
#: refused before anything walks it.
MAX_EXPANDED_VALUES = 100_000
#: Where a YAML alias (``*name``) can start; a ``*`` inside a word, as in Medium's image URLs
#: (``…/1*aV4t….jpeg``), is none (substring tests: this runs for every file of the index).
_ALIAS_MARKS = (" *", "\t*", "\n*", "[*", ",*", "{*")


# ---------------------------------------------------------------- Post -> mapping


def front_matter(
    post: Post,
    *,
    source_path: str,
    body_markdown: str,
    archive: Mapping[str, Any] | None = None,
    generator: Generator = "jekyll",
) -> dict[str, Any]:
    """The front matter of ``post``: FORMAT.md's keys in FORMAT.md's order, then known extras,
    then the site generator's own keys (see the module doc).

    ``body_markdown`` is the rendered body (either format): only Liquid markers are looked for in
    it; every value that comes from the text is computed from ``post.body``.
    """
    text = clean_text(text_of(post.body))
    meta: dict[str, Any] = {
        "author": [_author_map(a.name, a.url, a.avatar) for a in post.authors],
        "related": [],
        "publisher": {
            "url": post.publisher.url,
            "name": post.publisher.name,
            "favicon": post.publisher.favicon,
            "domain": post.publisher.domain,
        },
        "keywords": list(post.tags) if post.tags else derive_keywords(text),
        "description": post.subtitle or post.description or description_of(post.body),
        "inLanguage": post.language,
        "app_links": [app_link_map(link) for link in post.app_links],
        "isBasedOnUrl": urls.shown_source(post.source) or post.url,
        "title": post.title,
        "datePublished": post.date_published,
        "dateModified": post.date_modified or post.date_published,
        "sourcePath": source_path,
        "published": not post.draft,
        "inFeed": True,
        "hasPage": False,
        "inNav": False,
        "_context": "http://schema.org",
        "_type": "MediaObject",
    }
    meta = clean_values(meta)
    meta.update(clean_values(_extras(post, body_markdown, text)))
    if generator == "hugo":
        meta.pop("url", None)
    if archive is not None:
        meta["_archive"] = dict(archive)
    canonical = urls.canonical_url(post.url) if post.url else ""
    meta.update(site_keys(meta, generator, tags=clean_values(list(post.tags)), canonical=canonical))
    return meta


def site_keys(
    meta: Mapping[str, Any],
    generator: Generator,
    *,
    tags: list[str] | None = None,
    canonical: str = "",
) -> dict[str, Any]:
    """The site generator's keys derived from schema.org front matter (see the module doc).

    ``tags``: the post's Medium tags (None or empty: no ``tags`` key); ``canonical``: the
    original's canonical URL, else the front matter's ``url`` (or a URL ``isBasedOnUrl``).
    """
    keys: dict[str, Any] = {}
    published = date_string(meta.get("datePublished"))
    modified = date_string(meta.get("dateModified"))
    if isinstance(published, str) and published:
        keys["date"] = published
    if isinstance(modified, str) and modified:
        keys["lastmod" if generator == "hugo" else "last_modified_at"] = modified
    if tags:
        keys["tags"] = list(tags)
    if not canonical:
        for key in ("url", "isBasedOnUrl"):
            value = meta.get(key)
            if isinstance(value, str) and urls.is_http_url(value):
                canonical = urls.canonical_url(value)
                break
    if canonical:
        keys["canonical_url"] = canonical
    if generator == "hugo" and meta.get("published") is False:
        keys["draft"] = True
    return keys


def _author_map(name: str, url: str, avatar: str) -> dict[str, Any]:
    return {"name": name, "url": url, "avatar": {"url": avatar} if avatar else {}}


def app_link_map(link: AppLink | Mapping[str, Any]) -> dict[str, Any]:
    """One platform's app-link map: ``type`` first, then only that platform's non-empty keys."""
    values = link if isinstance(link, Mapping) else vars(link)
    kind = str(values.get("type", ""))
    keys = APP_LINK_KEYS.get(kind, _ALL_APP_LINK_KEYS)
    out: dict[str, Any] = {"type": kind}
    out.update((k, values[k]) for k in keys if values.get(k))
    return out


def _extras(post: Post, body: str, text: str) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if post.url:
        extras["url"] = urls.canonical_url(post.url)
    if urls.POST_ID_RE.match(post.id):
        extras["identifier"] = post.id
    if post.subtitle:
        extras["alternativeHeadline"] = post.subtitle
    if post.image:
        extras["image"] = post.image
    count = count_words(text)
    if count:
        extras["wordCount"] = count
    if post.is_paywalled:
        extras["isAccessibleForFree"] = False
    if has_liquid(body):
        extras["render_with_liquid"] = False
    return extras


def liquid_count(text: str) -> int:
    """How many Liquid tag or output openings (``{%``, ``{{``) ``text`` holds."""
    return text.count("{{") + text.count("{%")


def has_liquid(text: str) -> bool:
    """True when Jekyll would run Liquid in ``text`` (it does so in code blocks too)."""
    return "{{" in text or "{%" in text


def without_live_liquid(meta: Mapping[str, Any], body: str, before: str = "") -> dict[str, Any]:
    """``meta`` with ``render_with_liquid: false`` (before ``_archive``) when ``body`` holds more
    Liquid than ``before`` did: a text change (decoding ``&#123;%`` …) must never make a post run
    Liquid it did not run before. Liquid already in ``before`` is left as the site has it."""
    if liquid_count(body) <= liquid_count(before) or meta.get("render_with_liquid") is False:
        return dict(meta)
    out = {k: v for k, v in meta.items() if k not in ("render_with_liquid", "_archive")}
    out["render_with_liquid"] = False
    if "_archive" in meta:
        out["_archive"] = meta["_archive"]
    return out


def clean_values(value: Any) -> Any:
    """``value`` with every string in it (keys excepted) passed through ``clean_text``."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {k: clean_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_values(v) for v in value]
    return value


# ---------------------------------------------------------------- body text

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[`~]*[ \t]*$", re.M | re.S)
_HTML_BLOCK_END_RE = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre|figure|div)\s*>|<br\s*/?>", re.I)
_TAG_RE = re.compile(r"<[^>]*>")
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Two literal-led branches, not ``<?https?://…``: the engine then skips to a "<" or an "h".
_AUTOLINK_RE = re.compile(r"<https?://\S+>?|https?://\S+>?")
#: ``**``, ``__``, a ``*``/``_`` not between word characters, a backtick. Written to open with
#: the literal (``\*\*|__|(?<!\w)[*_]|[*_](?!\w)|`` scans several times slower, same matches).
_EMPHASIS_RE = re.compile(r"\*(?:\*|(?<!\w\*)|(?!\w))|_(?:_|(?<!\w_)|(?!\w))|`")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")
_SKIP_BLOCK_RE = re.compile(  # headings, quotes, images, lists, rules, HTML, tables, link cards
    r"^\s*(?:#|>|!\[|[-*+] |\d+[.)] |\* \* \*|<|\|)|^\s*\[[^\]]*\]\([^)]*\)\s*$"
)


def _looks_like_html(body: str) -> bool:
    return body.lstrip().startswith("<")


def _blocks(body: str) -> list[str]:
    """Paragraph-sized blocks of a Markdown (or HTML) body, code blocks removed."""
    if _looks_like_html(body):
        body = _HTML_BLOCK_END_RE.sub("\n\n", body)
        body = re.sub(r"<(pre|code|script|style)\b.*?</\1\s*>", " ", body, flags=re.S | re.I)
        body = _TAG_RE.sub(" ", body)
    else:
        if "```" in body or "~~~" in body:  # a fence needs one of them (the regex tries each line)
            body = _FENCE_RE.sub("\n", body)
    return [b.strip() for b in re.split(r"\n[ \t]*\n", body) if b.strip()]


def _inline_text(block: str) -> str:
    text = block
    if "](" in text:  # each pattern is skipped when the text cannot match it (a hot path)
        text = _IMAGE_RE.sub(r"\1", text)
        text = _LINK_RE.sub(r"\1", text)
    if "http" in text:
        text = _AUTOLINK_RE.sub(" ", text)
    if "*" in text or "_" in text or "`" in text:
        text = _EMPHASIS_RE.sub("", text)
    if "\\" in text:
        text = _ESCAPE_RE.sub(r"\1", text)
    return " ".join(clean_text(text).split())


def first_paragraph(body: str, limit: int = DESCRIPTION_MAX) -> str:
    """The first prose paragraph of ``body``, cut at a word boundary to at most ``limit`` chars."""
    html_body = _looks_like_html(body)
    for block in _blocks(body):
        if not html_body and _SKIP_BLOCK_RE.match(block):
            continue
        text = _inline_text(block)
        if text:
            return cut_words(text, limit)
    return ""


def description_of(doc: Document, limit: int = DESCRIPTION_MAX) -> str:
    """The description fallback: the document's first prose paragraph as plain text, cut at a
    word boundary to at most ``limit`` characters."""
    return cut_words(clean_text(first_paragraph_text(doc)), limit)


def cut_words(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` chars, else cut at the last space and ended with ``…``."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:.-–—") + "…"


# ---------------------------------------------------------------- file text

_LINE_BREAKS = ("\x85", "\u2028", "\u2029")


class _SafeDumper(yaml.SafeDumper):
    """``yaml.safe_dump``'s dumper, except for one PyYAML flaw (checked by the round-trip tests).

    With ``allow_unicode`` PyYAML writes NEL, LS and PS raw inside quoted scalars, where the
    loader folds them like newlines (``'\x85x'`` loads as ``' x'``); such strings are written
    double-quoted, where they are escaped (``\\N``, ``\\L``, ``\\P``).
    """

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if any(ch in data for ch in _LINE_BREAKS):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_SafeDumper.add_representer(str, _SafeDumper.represent_str)

_NON_BMP_RE = re.compile("[\U00010000-\U0010ffff]")
_PLAIN_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: libyaml's safe dumper; PyYAML's own when built without libyaml (then both write the same).
_LibyamlDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _FastSafeDumper(_LibyamlDumper):  # type: ignore[misc]
    """`_SafeDumper` with libyaml's emitter (several times faster): the same bytes for the values
    `_libyaml_writes_same` accepts (libyaml escapes astral characters and writes ``''`` keys
    differently, so such metadata goes through the Python emitter)."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if any(ch in data for ch in _LINE_BREAKS):
            node: yaml.ScalarNode = self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
            return node
        plain: yaml.ScalarNode = super().represent_str(data)
        return plain


_FastSafeDumper.add_representer(str, _FastSafeDumper.represent_str)


def _libyaml_writes_same(value: Any) -> bool:
    """True when libyaml's emitter writes ``value`` exactly as PyYAML's does (checked by fuzzing):
    identifier keys, no character outside the Basic Multilingual Plane, plain scalar types."""
    if isinstance(value, str):
        return value.isascii() or _NON_BMP_RE.search(value) is None
    if isinstance(value, Mapping):
        return all(
            isinstance(k, str) and _PLAIN_KEY_RE.match(k) is not None and _libyaml_writes_same(v)
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return all(_libyaml_writes_same(v) for v in value)
    return value is None or isinstance(value, bool | int | float)


def dumps(meta: Mapping[str, Any], body: str) -> str:
    """File text: ``---``, the YAML of ``meta`` (key order kept), ``---``, a blank line, body.

    The body is stored with exactly one trailing newline (none when empty). Same input, same bytes.
    """
    dumper: Any = _FastSafeDumper if _libyaml_writes_same(meta) else _SafeDumper
    yaml_text = yaml.dump(
        dict(meta),
        Dumper=dumper,
        allow_unicode=True,
        default_flow_style=False,
        sort_keys=False,
        width=_YAML_WIDTH,
    )
    body = body.strip("\n")
    return f"{_DELIMITER}\n{yaml_text}{_DELIMITER}\n\n" + (body + "\n" if body else "")


def split(text: str) -> tuple[str, str]:
    """``(yaml_text, body)`` of file text; `FrontMatterError` when it has no front matter."""
    text = text.removeprefix("\ufeff")
    opening = _OPEN_RE.match(text)
    if opening is None:
        raise FrontMatterError("no front matter: the file does not start with a '---' line")
    closing = _CLOSE_RE.search(text, opening.end())
    if closing is None:
        raise FrontMatterError("front matter is not closed: no second '---' line")
    body = text[closing.end() :]
    body = body[2:] if body.startswith("\r\n") else body.removeprefix("\n")
    return text[opening.end() : closing.start()], body


def load_meta(yaml_text: str) -> dict[str, Any]:
    """The mapping of a front-matter YAML block; `FrontMatterError` naming the file line when it
    fails."""
    try:
        data = yaml.load(yaml_text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        where = _yaml_error_where(exc)
        raise FrontMatterError(f"front matter is not valid YAML{where}") from None
    except (ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        reason = _first_line(exc) if not isinstance(exc, RecursionError) else "nested too deep"
        message = f"front matter cannot be read as YAML ({reason}); fix it by hand"
        raise FrontMatterError(message) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise FrontMatterError(f"front matter is a YAML {kind}, not a mapping of keys")
    if any(mark in yaml_text for mark in _ALIAS_MARKS) or yaml_text.startswith("*"):
        _check_expanded_size(data)  # aliases: shared values, maybe exponentially many
    return data


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _check_expanded_size(data: Any) -> None:
    """`FrontMatterError` when ``data``, its shared values counted each time they are used, holds
    more than `MAX_EXPANDED_VALUES` values, or contains itself (a recursive alias)."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(value: Any) -> int:
        if not isinstance(value, dict | list):
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise FrontMatterError(
                "front matter has a YAML alias that contains itself; fix it by hand"
            )
        in_progress.add(key)
        children = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        total = 1
        for _, child in children:
            total += size(child)
            if total > MAX_EXPANDED_VALUES:
                raise FrontMatterError(
                    f"front matter expands its YAML aliases to over {MAX_EXPANDED_VALUES:,} "
                    "values (an alias bomb?); fix it by hand"
                )
        in_progress.discard(key)
        sizes[key] = total
        return total

    try:
        size(data)
    except RecursionError:
        raise FrontMatterError("front matter cannot be read as YAML (nested too deep)") from None


def _yaml_error_where(exc: yaml.YAMLError) -> str:
    """`` at line N: problem (context at line M); …`` with file line numbers (the '---' is 1)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 2}" if mark is not None else ""
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line != getattr(mark, "line", None):
        problem += f" ({context} at line {context_mark.line + 2})"
    return f"{where}: {problem}; fix it by hand"


def loads(text: str) -> tuple[dict[str, Any], str]:
    """``(meta, body)`` of file text written by ``dumps`` (or any tool using ``---`` YAML)."""
    yaml_text, body = split(text)
    return load_meta(yaml_text), body


# ---------------------------------------------------------------- content hash

_HASH_LINE_RE = re.compile(r"^  contentHash:[^\n]*\n", re.M)


def _without_hash_line(yaml_text: str) -> str:
    """The YAML text with the ``contentHash`` line of the top-level ``_archive`` map removed."""
    start = re.search(r"^_archive:[ \t]*\n", yaml_text, re.M)
    if start is None:
        return yaml_text
    end = re.compile(r"^\S", re.M).search(yaml_text, start.end())
    stop = end.start() if end else len(yaml_text)
    block = _HASH_LINE_RE.sub("", yaml_text[start.end() : stop], count=1)
    return yaml_text[: start.end()] + block + yaml_text[stop:]


def content_hash(text: str) -> str:
    """``sha256:<hex>`` of file text, the ``_archive.contentHash`` line left out."""
    try:
        yaml_text, body = split(text)
        text = f"{_DELIMITER}\n{_without_hash_line(yaml_text)}{_DELIMITER}\n\n{body}"
    except FrontMatterError:
        pass  # no front matter: hash the text as it is
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _with_archive(meta: Mapping[str, Any], archive: dict[str, Any]) -> dict[str, Any]:
    """``meta`` with ``_archive`` set: in its place, else before the site-generator keys."""
    if "_archive" in meta:
        return {**meta, "_archive": archive}
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if key in SITE_KEYS and "_archive" not in out:
            out["_archive"] = archive
        out[key] = value
    out.setdefault("_archive", archive)
    return out


def dumps_with_hash(meta: Mapping[str, Any], body: str) -> str:
    """``dumps`` with ``_archive.contentHash`` set to the hash of the resulting text."""
    return dumps_hashed(meta, body)[0]


def dumps_hashed(meta: Mapping[str, Any], body: str) -> tuple[str, str]:
    """``dumps`` with ``_archive.contentHash`` set to the hash of the resulting text, and that
    hash."""
    archive = dict(meta.get("_archive") or {})
    archive["contentHash"] = HASH_PREFIX + "0" * 64  # placeholder: the line is not hashed
    draft = _with_archive(meta, archive)
    text = dumps(draft, body)
    # The placeholder and the hash are plain scalars of one length: swap the line, dump once.
    line = f"\n  contentHash: {archive['contentHash']}\n"
    digest = content_hash(text)
    archive["contentHash"] = digest
    if text.count(line) == 1:
        return text.replace(line, f"\n  contentHash: {digest}\n"), digest
    return dumps(draft, body), digest
