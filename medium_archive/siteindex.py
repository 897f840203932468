"""Reading a site's post files: the index entries (`ArchivedFile`) and what cannot be read.

Owns reading a post file's front matter quickly (only up to its closing ``---``; with ``keys``,
only those top-level blocks parsed when the YAML is plainly laid out), and the post id a front
matter names. Never writes; `store.Site` builds its index from these.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import urls
from .errors import FrontMatterError, StoreError
from .frontmatter import date_string, load_meta, split

#: The top-level keys the index keeps (see `ArchivedFile`).
INDEX_KEYS = frozenset(
    {
        "identifier",
        "url",
        "canonical_url",
        "isBasedOnUrl",
        "title",
        "datePublished",
        "dateModified",
        "_archive",
    }
)


@dataclass(frozen=True)
class ArchivedFile:
    """One archived post as the index sees it: its file and key front-matter values."""

    post_id: str
    path: str
    is_based_on_url: str = ""
    url: str = ""
    title: str = ""
    date_published: str = ""
    date_modified: str = ""
    archive: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """A file the index could not read: its relative path and a one-line reason."""

    path: str
    message: str


def read_front_matter(path: Path, keys: Collection[str] | None = None) -> dict[str, Any]:
    """The front matter of a file, reading only up to its closing ``---`` line.

    With ``keys``, only those top-level keys are returned: when the YAML is plainly laid out (every
    line at column 0 a ``key:`` line, a ``- `` item or a comment, and no quoted scalar continued
    on an unindented line) just their blocks are parsed, which is several times faster; any doubt
    or error falls back to parsing the whole front matter.
    """
    yaml_text = _front_matter_text(path)
    if keys is None:
        return load_meta(yaml_text)
    return _load_keys(yaml_text, keys)


def _load_keys(yaml_text: str, keys: Collection[str]) -> dict[str, Any]:
    """The top-level ``keys`` of front-matter YAML: just their blocks parsed when that is safe."""
    selected = _select_top_level(yaml_text, keys)
    if selected is not None:
        with contextlib.suppress(FrontMatterError):
            return load_meta(selected)
    return {k: v for k, v in load_meta(yaml_text).items() if k in keys}


_OPEN_RE = re.compile(r"\ufeff?---[ \t]*\r?\n")
_CLOSE_RE = re.compile(r"^---[ \t]*(?:\r?\n|\r?$)", re.M)
_CHUNK = 16384
_MAX_FRONT_MATTER_CHARS = 1 << 20


def _front_matter_text(path: Path) -> str:
    """The text between the opening and closing ``---`` lines, read in chunks, body unread."""
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read(_CHUNK)
        opening = _OPEN_RE.match(text)
        if opening is None:
            raise StoreError("no front matter: the file does not start with a '---' line")
        while True:
            closing = _CLOSE_RE.search(text, opening.end())
            if closing is not None and (closing.group(0).endswith("\n") or len(text) % _CHUNK):
                return text[opening.end() : closing.start()]
            more = fh.read(_CHUNK)
            if not more or len(text) > _MAX_FRONT_MATTER_CHARS:
                if closing is not None:
                    return text[opening.end() : closing.start()]
                raise StoreError("front matter is not closed: no second '---' line")
            text += more


_TOP_LINE_RE = re.compile(r"^(?![ \t#\r\n-])[^\n]+\n?", re.M)
_KEY_LINE_RE = re.compile(r"([A-Za-z_][\w-]*):(?:[ \t]+([^\n]*?))?[ \t]*\r?\n?$")
_BAD_DASH_RE = re.compile(r"^-(?![ \t\r\n]|$)", re.M)
_CLOSED_QUOTE_RE = re.compile(r"""(?:'(?:[^']|'')*'|"(?:[^"\\]|\\.)*")[ \t]*(?:#[^\n]*)?\s*$""")


def _select_top_level(yaml_text: str, keys: Collection[str]) -> str | None:
    """The YAML of just the top-level ``keys`` blocks, or None when the layout is not plain."""
    if _BAD_DASH_RE.search(yaml_text):
        return None  # '---'-like or '-x' at column 0
    tops = list(_TOP_LINE_RE.finditer(yaml_text))
    head = yaml_text[: tops[0].start()] if tops else yaml_text
    if any(line.strip() and not line.lstrip().startswith("#") for line in head.splitlines()):
        return None  # content before the first key: not a plain mapping
    out: list[str] = []
    for i, top in enumerate(tops):
        match = _KEY_LINE_RE.match(top.group(0))
        if match is None:
            return None
        block_end = tops[i + 1].start() if i + 1 < len(tops) else len(yaml_text)
        value = match.group(2) or ""
        if value[:1] in ("[", "{") and not value.endswith(("]", "}")):
            return None
        if value[:1] in ("'", '"') and not _CLOSED_QUOTE_RE.match(value):
            rest = yaml_text[top.start() + match.start(2) : block_end]
            if not _CLOSED_QUOTE_RE.match(rest):
                return None  # a quoted scalar continued at column 0: ambiguous
        if match.group(1) in keys:
            out.append(yaml_text[top.start() : block_end])
    return "".join(out)


def post_id_of(meta: Mapping[str, Any]) -> str | None:
    """The post id of front matter: ``identifier``, else from ``url`` (``canonical_url`` in a
    Hugo site, which has no ``url``), else ``isBasedOnUrl``."""
    identifier = meta.get("identifier")
    if isinstance(identifier, str) and urls.POST_ID_RE.match(identifier):
        return identifier
    for key in ("url", "canonical_url", "isBasedOnUrl"):
        value = meta.get(key)
        if isinstance(value, str) and value:
            found = urls.post_id_from_url(value)
            if found:
                return found
    return None


def _text(meta: Mapping[str, Any], key: str) -> str:
    value = date_string(meta.get(key))
    return value if isinstance(value, str) else ""


def archived_file(post_id: str, rel_path: str, meta: Mapping[str, Any]) -> ArchivedFile:
    """The index entry of a file from its front matter."""
    archive = meta.get("_archive")
    return ArchivedFile(
        post_id=post_id,
        path=rel_path,
        is_based_on_url=_text(meta, "isBasedOnUrl"),
        url=_text(meta, "url") or _text(meta, "canonical_url"),
        title=_text(meta, "title"),
        date_published=_text(meta, "datePublished"),
        date_modified=_text(meta, "dateModified"),
        archive=dict(archive) if isinstance(archive, Mapping) else {},
    )


def index_meta_of(text: str) -> dict[str, Any]:
    """The keys the index keeps of file text (parsing all of it is most of a write's CPU)."""
    try:
        return _load_keys(split(text)[0], INDEX_KEYS)
    except FrontMatterError:
        return {}


def not_yaml_front_matter(path: Path) -> bool:
    """True for a file whose front matter is TOML (``+++``) or JSON (``{``), not ours."""
    with open(path, "rb") as fh:
        head = fh.read(8).removeprefix(b"\xef\xbb\xbf")
    return head.startswith((b"+++", b"{"))
