"""keywords.derive_keywords: the documented, deterministic method."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from medium_archive.keywords import STOP_WORDS, count_words, derive_keywords, words


def test_ranks_by_frequency_then_first_occurrence() -> None:
    text = "Zebra apple mango. Apple zebra apple. Mango kiwi."
    # apple 3, zebra 2, mango 2 (zebra seen first), kiwi 1
    assert derive_keywords(text) == ["apple", "zebra", "mango", "kiwi"]


def test_drops_stop_words_short_words_and_numbers() -> None:
    text = "The cat and the dog are on it 2016 2016 2016 ML ML ML"
    assert derive_keywords(text) == ["cat", "dog"]


def test_keeps_hyphenated_words_whole_and_lowercases() -> None:
    text = "Real-time rendering. REAL-TIME state-of-the-art. Rendering real-time."
    assert derive_keywords(text) == ["real-time", "rendering", "state-of-the-art"]


def test_apostrophe_splits_and_short_pieces_drop() -> None:
    assert words("I've") == ["i", "ve"]
    assert derive_keywords("I've we'll don't") == []


def test_limit_n() -> None:
    text = " ".join(f"word{chr(97 + i)}" for i in range(20))
    assert len(derive_keywords(text)) == 10
    assert derive_keywords(text, n=3) == ["worda", "wordb", "wordc"]
    assert derive_keywords(text, n=0) == []


def test_non_latin_words_are_kept() -> None:
    assert derive_keywords("Привет мир привет") == ["привет", "мир"]


def test_stop_words_are_lowercase_and_long_enough_to_matter() -> None:
    assert all(w == w.lower() and len(w) >= 3 for w in STOP_WORDS)


@given(st.text())
def test_deterministic_and_well_formed(text: str) -> None:
    first = derive_keywords(text)
    assert first == derive_keywords(text)
    assert len(first) == len(set(first)) <= 10
    assert all(len(w) >= 3 and w not in STOP_WORDS and w == w.lower() for w in first)


def test_count_words_counts_the_text_as_written() -> None:
    # İstanbul, is, real-time, I, ve, heard. Lowercased, "İ" would become "i" plus a combining
    # dot, splitting the first word in two.
    assert count_words("İstanbul is real-time, I've heard.") == 6
    assert len(words("İstanbul")) == 2
    assert count_words("") == 0
