"""Keywords derived from a post's text, for posts whose source gives no tags.

The method (deterministic, no model, no randomness):

1. the text is lowercased and split into words: runs of letters and digits, where a hyphen
   between two such runs is kept (``real-time``, ``state-of-the-art``) and an apostrophe splits
   (``i've`` → ``i``, ``ve``);
2. words shorter than 3 characters, words made only of digits, and English stop words
   (``STOP_WORDS``, a small inline list) are dropped;
3. the rest is ranked by frequency, most frequent first; ties keep the order of first
   occurrence in the text;
4. the first ``n`` words are returned (default 10).

Only ``frontmatter.front_matter`` uses it, and only when the post has no Medium tags.
"""

from __future__ import annotations

import re

__all__ = ["STOP_WORDS", "count_words", "derive_keywords", "words"]

#: Words: letter/digit runs, hyphenated compounds kept whole.
_WORD_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*")  # nothing can fail after a run: no backtracking

_STOP_WORDS_TEXT = """
    about above after again against all also although always among and any anyone anything are
    aren around because been before being below between both but can cannot could couldn did
    didn does doesn doing done don down during each either else enough etc even ever every
    everything few for from further get gets getting give given goes going gone got had hadn has
    hasn have haven having her here hers herself him himself his how however into isn its itself
    just last least less let like likely made make makes making many may maybe might mine more
    most much must myself need needs never new next nor not nothing now off often once one only
    onto other others our ours ourselves out over own per perhaps put quite rather really said
    same say says see seem seems several shall she should shouldn since some someone something
    still such sure take than that the their theirs them themselves then there these they thing
    things this those though through thus too two under until upon use used uses using very via
    want was wasn way ways well were weren what whatever when where whether which while who whom
    whose why will with within without won would wouldn yet you your yours yourself yourselves
"""
#: Common English words that say nothing about a post's subject.
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def words(text: str) -> list[str]:
    """The lowercased words of ``text`` in order (hyphenated words kept whole)."""
    return _WORD_RE.findall(text.lower())


def count_words(text: str) -> int:
    """How many words `words` finds in ``text`` (counted in the text as written: lowercasing
    can split a word, ``İ`` becoming ``i`` and a combining dot)."""
    return len(_WORD_RE.findall(text))


def _is_keyword(word: str) -> bool:
    return len(word) >= 3 and not word.isdigit() and word not in STOP_WORDS


def derive_keywords(text: str, n: int = 10) -> list[str]:
    """Up to ``n`` keywords of ``text``: most frequent non-stop words, ties by first occurrence."""
    counts: dict[str, int] = {}
    for word in words(text):
        if _is_keyword(word):
            counts[word] = counts.get(word, 0) + 1
    # dicts keep insertion (first occurrence) order and sorted() is stable.
    ranked = sorted(counts, key=lambda w: -counts[w])
    return ranked[: max(n, 0)]
