"""Entity and whitespace cleanup of text outside code (FORMAT.md, "Entity and text cleanup").

``clean_text`` decodes entity text until none is left (``&amp;comma;`` → ``,``) and turns
no-break, hair and thin spaces into plain spaces. It is idempotent: cleaning clean text changes
nothing. Code is never passed through it.
"""

from __future__ import annotations

import html
import re

#: An HTML character reference as text: named (``&comma;``), decimal or hex.
ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
#: No-break space, hair space, thin space, narrow no-break space, figure space.
_ODD_SPACES = str.maketrans(
    {"\u00a0": " ", "\u200a": " ", "\u2009": " ", "\u202f": " ", "\u2007": " "}
)
_ODD_SPACE_CHARS = tuple(chr(code) for code in _ODD_SPACES)
_MAX_ROUNDS = 8


def _unescape(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def decode_entities(text: str) -> str:
    """Decode character references repeatedly until no decodable one is left.

    Only complete references (with their ``;``) are decoded: ``html.unescape`` on the whole text
    would also read ``&lt`` without one, so that cleaning ``&amp;lt&lt;`` once (``&lt<``) and
    twice (``<<``) would differ.
    """
    for _ in range(_MAX_ROUNDS):
        if "&" not in text:
            break
        decoded = ENTITY_RE.sub(_unescape, text)
        if decoded == text:
            break
        text = decoded
    return text


def clean_text(text: str) -> str:
    """Entities decoded to a fixpoint, odd spaces made plain. Idempotent."""
    if "&" in text:  # else there is no entity (a hot path: called for every text node)
        text = decode_entities(text)
    if text.isascii():  # the common case; translate() walks the text char by char in Python
        return text
    for odd in _ODD_SPACE_CHARS:
        if odd in text:
            text = text.replace(odd, " ")
    return text


def has_entity_text(text: str) -> bool:
    """True when decodable entity text is left in ``text``."""
    return any(html.unescape(m.group(0)) != m.group(0) for m in ENTITY_RE.finditer(text))
