"""The shared parsing and text helpers: one lxml parser per thread, one truncation rule."""

from __future__ import annotations

import threading

import lxml.html

from medium_archive import htmlparse
from medium_archive.text import is_truncation, norm, one_line


def test_each_thread_gets_its_own_parser_and_keeps_it() -> None:
    here = htmlparse.parser()
    assert htmlparse.parser() is here
    assert htmlparse.parser("utf-8") is not here
    found: list[lxml.html.HTMLParser] = []
    worker = threading.Thread(target=lambda: found.append(htmlparse.parser()))
    worker.start()
    worker.join()
    assert found and found[0] is not here


def test_parsers_from_many_threads_give_the_same_tree() -> None:
    page = "<html><body>" + "".join(f"<p id='p{i}'>text {i}</p>" for i in range(200))
    texts: list[str] = []

    def parse() -> None:
        for _ in range(20):
            tree = lxml.html.document_fromstring(
                htmlparse.xml_safe_utf8(page), parser=htmlparse.parser("utf-8")
            )
            texts.append(tree.text_content())

    threads = [threading.Thread(target=parse) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(texts) == 80 and len(set(texts)) == 1


def test_truncation_is_an_ellipsis_cut_of_the_start() -> None:
    assert is_truncation("The first words of the para…", "The first words of the paragraph")
    assert is_truncation("The first words of the para...", "The first words of the paragraph")
    assert is_truncation("Same  text", "Same text")
    assert not is_truncation("The first words", "The first words of the paragraph")
    assert not is_truncation("…", "Anything at all")
    assert not is_truncation("", "")


def test_norm_and_one_line() -> None:
    assert norm(" a&amp;b\u00a0 c\n") == "a&b c"
    assert norm(None) == ""
    assert one_line(ValueError("first\nsecond")) == "first"
    assert one_line(ValueError()) == "ValueError"
