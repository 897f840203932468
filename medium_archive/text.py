"""Plain-text helpers shared by the readers: normalised text, truncation, one-line messages."""

from __future__ import annotations

import re
from typing import Any

from .cleanup import clean_text

_SPACE_RE = re.compile(r"\s+")


def norm(text: Any) -> str:
    """Entities decoded, odd spaces made plain, whitespace collapsed, trimmed ('' for a value
    that is not a string: JSON from a page can hold anything)."""
    if not isinstance(text, str):
        return ""
    return _SPACE_RE.sub(" ", clean_text(text)).strip()


def is_truncation(preview: str, text: str) -> bool:
    """True when ``preview`` is ``text`` or a start of it cut with ``…`` or ``...`` (both
    compared `norm`-alised)."""
    preview, text = norm(preview), norm(text)
    if not preview or not text:
        return False
    if preview == text:
        return True
    if not preview.endswith(("…", "...")):
        return False
    stem = preview.rstrip(".…").rstrip()
    return bool(stem) and text.startswith(stem)


def one_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
