"""Recognising a bot-challenge page (Cloudflare "Just a moment...") served instead of the content.

Pure string checks on the page text, no parsing: `fetch.py` uses it on every response and
`extract.py` on every page, so it must be cheap and never fail.
"""

from __future__ import annotations

import re

#: Markers that only Cloudflare's challenge / interstitial pages carry.
_STRONG_MARKERS = (
    "window._cf_chl_opt",
    "_cf_chl_opt={",
    "/cdn-cgi/challenge-platform/",
    "cf-browser-verification",
    "cf_chl_prog",
    "__cf_chl_tk=",
    "__cf_chl_f_tk=",
)
#: Substrings that every strong marker contains one of: three scans of a page instead of seven.
_MARKER_HINTS = ("cf_chl", "challenge-platform", "cf-browser-verification")
assert all(any(hint in marker for hint in _MARKER_HINTS) for marker in _STRONG_MARKERS)
#: Titles of the challenge page (any ASCII case); only trusted with a Cloudflare mention.
_TITLE_RE = re.compile(
    r"<title>(?:just a moment\.\.\.|attention required! \| cloudflare)</title>",
    re.ASCII | re.IGNORECASE,
)
_CLOUDFLARE_RE = re.compile("cloudflare", re.ASCII | re.IGNORECASE)
#: How much of the page to look at: challenge pages are small and the markers come early.
_SCAN_LIMIT = 60_000


def is_challenge_page(text: str) -> bool:
    """True when ``text`` is a Cloudflare bot challenge rather than the requested page."""
    head = text[:_SCAN_LIMIT]
    if any(hint in head for hint in _MARKER_HINTS) and any(m in head for m in _STRONG_MARKERS):
        return True
    # Case-insensitive searches, not ``head.lower()``: no copy of the page head per check.
    return _TITLE_RE.search(head) is not None and _CLOUDFLARE_RE.search(head) is not None
