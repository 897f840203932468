"""The import list: lenient line parsing, duplicates, errors with line numbers, streaming."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from medium_archive.sources.urllist import (
    ListEntry,
    ListProblem,
    clean_line,
    count_entries,
    iter_list,
)

URL = "https://medium.com/@ada/archiving-your-writing-5a3c2e1f9b7d"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (URL, URL),
        (f"   {URL}  \n", URL),
        (f"<{URL}>", URL),
        (f"{URL}.", URL),
        (f"({URL}),", URL),
        (f'"{URL}";', URL),
        (f"{URL}  # read later", URL),
        (f"{URL}#comments", f"{URL}#comments"),
        ("\ufeff" + URL, URL),
        ("", ""),
        ("   \n", ""),
        ("# a comment", ""),
        ("   # indented comment", ""),
    ],
)
def test_clean_line(line: str, expected: str) -> None:
    assert clean_line(line) == expected


def test_entries_are_numbered_by_line_and_skip_blanks_and_comments() -> None:
    lines = ["# my reading list\n", "\n", f"{URL}\n", "  \n", "https://medium.com/p/1cb97e3ab041\n"]
    entries = list(iter_list(lines))
    assert [(e.line, e.source) for e in entries] == [
        (3, URL),
        (5, "https://medium.com/p/1cb97e3ab041"),
    ]
    assert all(isinstance(e, ListEntry) for e in entries)
    assert [e.post_id for e in entries if isinstance(e, ListEntry)] == [
        "5a3c2e1f9b7d",
        "1cb97e3ab041",
    ]


def test_the_same_post_in_other_url_shapes_is_a_duplicate_of_its_first_line() -> None:
    lines = [
        URL,
        "https://medium.com/p/5a3c2e1f9b7d",
        "http://MEDIUM.com/@ada/archiving-your-writing-5a3c2e1f9b7d/?source=rss----abc---4",
        f"<{URL}?utm_source=twitter>",
        "https://medium.com/@ada/another-post-1cb97e3ab041",
    ]
    entries = [e for e in iter_list(lines) if isinstance(e, ListEntry)]
    assert [e.duplicate_of for e in entries] == [None, 1, 1, 1, None]


def test_urls_without_post_id_are_deduplicated_by_canonical_url() -> None:
    lines = ["https://blog.example.com/about", "https://blog.example.com/about/?source=x"]
    entries = [e for e in iter_list(lines) if isinstance(e, ListEntry)]
    assert [e.duplicate_of for e in entries] == [None, 1]
    assert entries[0].post_id is None


def test_bad_lines_are_errors_with_their_line_number() -> None:
    lines = [URL, "not a url", "ftp://example.com/post-5a3c2e1f9b7e", "saved/page.html"]
    items = list(iter_list(lines))
    errors = [i for i in items if isinstance(i, ListProblem)]
    assert [e.line for e in errors] == [2, 3, 4]
    assert str(errors[0]) == "line 2: not an http(s) URL or an existing file: not a url"
    assert "not ftp: URLs" in errors[1].reason


def test_existing_files_are_entries_when_file_exists_says_so() -> None:
    existing = {"saved/page.html"}
    lines = ["saved/page.html", "./saved/page.html", "saved/other.html"]
    items = list(iter_list(lines, file_exists=lambda p: p.lstrip("./") in existing))
    assert isinstance(items[0], ListEntry) and items[0].is_file
    assert isinstance(items[1], ListEntry) and items[1].duplicate_of == 1
    assert isinstance(items[2], ListProblem)


def test_the_list_is_read_lazily() -> None:
    pulled = 0

    def endless() -> Iterator[str]:
        nonlocal pulled
        for n in itertools.count():
            pulled += 1
            yield f"https://medium.com/p/{n:012x}"

    first = list(itertools.islice(iter_list(endless()), 3))
    assert [e.line for e in first] == [1, 2, 3]
    assert pulled == 3


def test_count_entries_counts_only_inputs() -> None:
    assert count_entries(["# x", "", URL, " ", "junk", f"<{URL}>"]) == 3
