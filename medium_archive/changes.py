"""What re-syncing a post compares: an archived file against the post rendered again.

Pure functions of front matter and text (no I/O): the body format a file was written in, whether
it was edited by hand since it was archived (``_archive.contentHash``), what differs
(`describe_changes`), and where an archived post is fetched again from (`fetch_url_of`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from . import frontmatter, urls
from .archive import BodyFormat
from .store import ArchivedFile

#: Keys that say how and when the file was archived, not what the post is: not compared.
VOLATILE_KEYS = frozenset({"_archive", "sourcePath"})


def body_format_of(body: str) -> BodyFormat:
    """The body format of an archived file: HTML when the body is an ``<article>``."""
    return "html" if body.lstrip().startswith("<article") else "markdown"


def _comparable(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {k: frontmatter.date_string(v) for k, v in meta.items() if k not in VOLATILE_KEYS}


def _line_changes(old: str, new: str) -> tuple[int, int]:
    added = removed = 0
    old_lines, new_lines = old.strip("\n").splitlines(), new.strip("\n").splitlines()
    for line in difflib.unified_diff(old_lines, new_lines, lineterm="", n=0):
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("+"):
            added += 1
        elif line.startswith("-"):
            removed += 1
    return added, removed


def describe_changes(
    old_meta: Mapping[str, Any], old_body: str, new_meta: Mapping[str, Any], new_body: str
) -> tuple[str, ...]:
    """What differs: front-matter keys (in the new file's order), then ``body +A -R lines``."""
    old, new = _comparable(old_meta), _comparable(new_meta)
    keys = [k for k in new if old.get(k) != new[k]] + [k for k in old if k not in new]
    changes = list(keys)
    if old_body.strip("\n") != new_body.strip("\n"):
        added, removed = _line_changes(old_body, new_body)
        changes.append(f"body +{added} -{removed} lines")
    return tuple(changes)


def fetch_url_of(known: ArchivedFile) -> str:
    """Where a post is re-fetched from: its ``isBasedOnUrl`` if a URL, else its canonical URL."""
    for candidate in (known.is_based_on_url, known.url, str(known.archive.get("fetchedFrom", ""))):
        if candidate and urls.is_http_url(candidate):
            return candidate
    return f"https://medium.com/p/{known.post_id}"


def is_edited(meta: Mapping[str, Any], text: str) -> bool:
    """True when the file holds a ``contentHash`` its text no longer matches."""
    archive_map = meta.get("_archive")
    stored = archive_map.get("contentHash") if isinstance(archive_map, Mapping) else None
    return bool(stored) and stored != frontmatter.content_hash(text)


def recorded_embeds_of(meta: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``_archive.embeds`` of a file's front matter, if any."""
    archive_map = meta.get("_archive")
    recorded = archive_map.get("embeds") if isinstance(archive_map, Mapping) else None
    return recorded if isinstance(recorded, Mapping) else None
