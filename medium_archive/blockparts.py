"""Parts of a body block read from the HTML: a code block's exact text and language, and a
figure's image at full resolution (never a blurred placeholder)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .cleanup import clean_text
from .htmlparse import absolute_or_empty, parsable_url

#: Width in Medium image URLs: ``/max/800/``, ``/resize:fit:1400/``, ``/fit/c/800/600/``.
_WIDTH_RE = re.compile(r"/(?:max|resize:fit:|fit/c/|fit/t/)/?(\d+)")
_PLACEHOLDER_RE = re.compile(r"/max/(?:30|60)/|[?&]q=20\b|/freeze/max/(?:30|60)/")
_SRCSET_RE = re.compile(r"(\S+)\s+(\d+)w")
_IMAGE_ID_RE = re.compile(r"^[01]\*[\w.-]+$")


# --- code --------------------------------------------------------------------------------------


def code_text(pre: Any) -> str:
    """The exact text of a ``pre``: ``<br>`` as newline, markup dropped, entities decoded once."""
    out: list[str] = []

    def walk(el: Any) -> None:
        if el.text:
            out.append(el.text)
        for child in el:
            if isinstance(child.tag, str):
                if child.tag == "br":
                    out.append("\n")
                elif child.tag not in ("script", "style", "button"):
                    walk(child)
            if child.tail:
                out.append(child.tail)

    walk(pre)
    return "".join(out)


def code_lang(pre: Any) -> str:
    for el in pre.iter():
        if not isinstance(el.tag, str):
            continue
        lang = el.get("data-code-block-lang") or el.get("data-lang") or ""
        if not lang:
            match = re.search(r"\b(?:language|lang)-([\w+#-]+)", el.get("class") or "")
            lang = match.group(1) if match else ""
        if lang:
            return lang.strip().lower()
    return ""


# --- images ------------------------------------------------------------------------------------


def _image_candidates(el: Any) -> Iterator[tuple[int, str]]:
    """``(width, url)`` for every image URL in a figure; width 0 when unknown."""
    for node in el.iter("img", "source"):
        for attr in ("srcset", "data-srcset"):
            for url, width in _SRCSET_RE.findall(node.get(attr) or ""):
                yield int(width), url
        for attr in ("data-src", "src"):
            url = (node.get(attr) or "").strip()
            if url:
                match = _WIDTH_RE.search(url)
                yield (int(match.group(1)) if match else 0), url


def best_image_url(el: Any, base: str) -> str:
    """The full-resolution image URL of a figure, never a blurred placeholder."""
    image_id = next((n.get("data-image-id") for n in el.iter() if n.get("data-image-id")), None)
    candidates: list[tuple[bool, int, str]] = []
    for width, url in _image_candidates(el):
        url = clean_text(url)
        if url.startswith("//"):
            url = "https:" + url
        if not url.startswith(("http://", "https://")) or _PLACEHOLDER_RE.search(url):
            continue
        candidates.append((not url.endswith(".webp"), width, url))
    # The best (not webp, then widest; the first of equals): the sort is stable, and only the
    # URLs tried are parsed (a srcset lists many).
    candidates.sort(key=lambda c: c[:2], reverse=True)
    best = next((c for c in candidates if parsable_url(c[2])), None)
    if best is not None:
        return best[2]
    if image_id and _IMAGE_ID_RE.match(image_id):
        host = "miro.medium.com" if "miro.medium.com" in base else "cdn-images-1.medium.com"
        return f"https://{host}/max/2000/{image_id}"
    for _width, url in _image_candidates(el):
        if not _PLACEHOLDER_RE.search(url) and base.startswith("http"):
            return absolute_or_empty(url, base)
    return ""
