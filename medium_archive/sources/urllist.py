"""A list of inputs for ``import``: one post URL or saved ``.html`` path per line.

Owns reading such a list leniently and lazily: blank lines and ``#`` comments are skipped;
surrounding whitespace, Markdown ``<…>`` brackets and trailing punctuation are tolerated; the same
post named twice (other URL shapes, tracking parameters) is flagged as a duplicate of its first
line; a line that is neither an http(s) URL nor an existing file becomes a `ListProblem` with its
line number. Pure and streaming: nothing is fetched or read, and the only state kept is one short
key per distinct post (to spot duplicates), so a list of any length starts at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from ..archive import Outcome, Status
from ..errors import SourceError
from ..items import FetchItem, SavedItem, Work
from ..urls import canonical_url, is_http_url, post_id_from_url

#: The longest line a list may have (a URL is rarely over 2,000 characters): anything longer is
#: not a list (a binary file, ``/dev/zero``), and reading it whole would take unbounded memory.
MAX_LINE = 64 * 1024

#: Characters tolerated (and dropped) at the end of a line: prose punctuation around a URL.
_TRAILING = ".,;:!?'\")]}>"
#: Characters tolerated (and dropped) at the start of a line.
_LEADING = "<([{'\""
#: A comment after the input: whitespace then ``#`` (a URL fragment has no space before ``#``).
_INLINE_COMMENT = re.compile(r"\s+#.*$")


@dataclass(frozen=True)
class ListEntry:
    """One input named by the list.

    ``source`` is the cleaned URL or path to archive; ``key`` identifies the post for
    de-duplication; ``duplicate_of`` is the line number of the first entry with the same key.
    """

    line: int
    source: str
    key: str
    post_id: str | None = None
    is_file: bool = False
    duplicate_of: int | None = None


@dataclass(frozen=True)
class ListProblem:
    """A line that names nothing archivable (not an exception: a list's entry, reported as
    ``invalid`` and skipped)."""

    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}: {self.text}"


def file_exists_never(path: str) -> bool:
    """The harmless default for ``file_exists``: no line is a file."""
    return False


def clean_line(text: str) -> str:
    """The input on one line, without whitespace, comments, ``<…>`` brackets or punctuation.

    Returns "" for a blank or comment line.
    """
    text = text.strip().lstrip("\ufeff")
    if not text or text.startswith("#"):
        return ""
    text = _INLINE_COMMENT.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = text.strip().lstrip(_LEADING).rstrip(_TRAILING)
    return text


def key_for_url(url: str) -> tuple[str, str | None]:
    """The de-duplication key of a URL (its post id when it has one) and that post id."""
    post_id = post_id_from_url(canonical_url(url))
    if post_id:
        return f"post:{post_id}", post_id
    return f"url:{canonical_url(url)}", None


def key_for_path(path: str) -> str:
    """The de-duplication key of a saved file: its absolute, normalised path."""
    return "file:" + os.path.normcase(os.path.abspath(os.path.expanduser(path)))


def parse_line(
    number: int, text: str, *, file_exists: Callable[[str], bool] = file_exists_never
) -> ListEntry | ListProblem | None:
    """One line as a `ListEntry`, a `ListProblem`, or None for a blank or comment line."""
    source = clean_line(text)
    if not source:
        return None
    if is_http_url(source):
        key, post_id = key_for_url(source)
        return ListEntry(number, source, key, post_id)
    if file_exists(os.path.expanduser(source)):
        return ListEntry(number, source, key_for_path(source), is_file=True)
    scheme = source.split("://", 1)[0] if "://" in source else ""
    if scheme:
        reason = f"only http(s) URLs and saved .html files can be archived, not {scheme}: URLs"
    else:
        reason = "not an http(s) URL or an existing file"
    return ListProblem(number, text.strip(), reason)


def iter_list(
    lines: Iterable[str], *, file_exists: Callable[[str], bool] = file_exists_never
) -> Iterator[ListEntry | ListProblem]:
    """The entries of a list, lazily, numbered from 1; later mentions of a post are flagged.

    ``file_exists`` decides whether a non-URL line names a saved page (pass ``os.path.isfile``);
    the default treats no line as a file, so the function stays pure.
    """
    first_line: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        item = parse_line(number, text, file_exists=file_exists)
        if item is None:
            continue
        if isinstance(item, ListEntry):
            first = first_line.setdefault(item.key, number)
            if first != number:
                item = ListEntry(
                    number, item.source, item.key, item.post_id, item.is_file, duplicate_of=first
                )
        yield item


def bounded_lines(stream: TextIO, limit: int = MAX_LINE) -> Iterator[str]:
    """The lines of a text stream, none read past ``limit`` characters: a longer line, or one
    holding NUL characters, raises `SourceError` (one line) and reading stops there."""
    number = 0
    while True:
        text = stream.readline(limit + 1)
        if not text:
            return
        number += 1
        if len(text) > limit and not text.endswith("\n"):
            raise SourceError(
                f"line {number} of the list is over {limit // 1024} KB long: not a list of "
                "URLs (a binary file, or an endless stream?)"
            )
        if "\0" in text:
            raise SourceError(f"line {number} of the list holds binary data: not a list of URLs")
        yield text


def count_entries(lines: Iterable[str]) -> int:
    """How many non-blank, non-comment lines a list has (a cheap total for progress display)."""
    return sum(1 for text in lines if clean_line(text))


def to_item(entry: ListEntry | ListProblem) -> Work:
    """What the pipeline makes of a list's entry (or an account listing's): a URL to fetch, a
    saved file to read, or the outcome of an invalid or repeated line."""
    if isinstance(entry, ListProblem):
        return Outcome(entry.text, Status.INVALID, error=str(entry))
    if entry.duplicate_of is not None:
        note = f"line {entry.line}: same post as line {entry.duplicate_of}; archived once"
        return Outcome(entry.source, Status.DUPLICATE, entry.post_id or "", warnings=(note,))
    if entry.is_file:
        return SavedItem(entry.source)
    return FetchItem(entry.source, entry.post_id)


def unexpected(entry: ListEntry | ListProblem, exc: Exception) -> Outcome:
    """The outcome of an entry whose work failed in a way nothing expected (a bug)."""
    source = entry.text if isinstance(entry, ListProblem) else entry.source
    return Outcome(source, Status.FAILED, error=f"{source}: unexpected error: {exc!r}")
