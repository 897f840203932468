"""lxml parsing shared by the page and body readers: text lxml can parse, parsers, URL checks.

lxml's parser objects must not be shared between threads: `parser` gives each thread its own
(made once per thread and options, on first use).
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import lxml.etree
import lxml.html

from .cleanup import clean_text
from .urls import absolute, strip_tracking

_XML_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_UNSAFE_C0 = bytes(c for c in range(32) if chr(c) not in "\t\n\r")
_LOCAL = threading.local()


def xml_safe(text: str) -> str:
    """``text`` without the characters lxml refuses to parse: NUL and other C0 controls, lone
    surrogates (undecodable bytes read with ``surrogateescape``), U+FFFE/U+FFFF."""
    data = _xml_safe_utf8(text)
    return text if data is not None else _XML_UNSAFE_RE.sub("", text)


def xml_safe_utf8(text: str) -> bytes:
    """`xml_safe` ``text`` encoded as UTF-8: what lxml parses fastest (given a ``str`` holding
    non-ASCII characters, it converts the string's internal form itself, more slowly)."""
    data = _xml_safe_utf8(text)
    return data if data is not None else _XML_UNSAFE_RE.sub("", text).encode("utf-8")


def _xml_safe_utf8(text: str) -> bytes | None:
    """``text`` as UTF-8 when it holds no character lxml refuses, else None."""
    # The common clean page is told apart with C-speed byte operations (a regex scan of a
    # whole page costs several times more): lone surrogates do not encode, C0 bytes delete.
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if (
        len(data.translate(None, _XML_UNSAFE_C0)) == len(data)
        and "\ufffe" not in text
        and "\uffff" not in text
    ):
        return data
    return None


def html_parser(**options: Any) -> lxml.html.HTMLParser:
    """A new lxml.html parser, its elements all plain `lxml.html.HtmlElement`: its own lookup
    asks Python for each element's class (for form-field classes nothing here uses), a cost paid
    for every element the extraction touches. Use `parser` for one that is reused."""
    new = lxml.html.HTMLParser(**options)
    new.set_element_class_lookup(
        lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return new


def parser(encoding: str | None = None) -> lxml.html.HTMLParser:
    """This thread's `html_parser` (for ``encoding``, None: text), made on first use."""
    parsers: dict[str | None, lxml.html.HTMLParser] | None = getattr(_LOCAL, "parsers", None)
    if parsers is None:
        parsers = _LOCAL.parsers = {}
    found = parsers.get(encoding)
    if found is None:
        found = parsers[encoding] = html_parser(encoding=encoding) if encoding else html_parser()
    return found


@functools.lru_cache(maxsize=4096)  # the page URL and repeated links: parsed once
def parsable_url(url: str) -> bool:
    """True when ``urllib`` can split the URL (``http://[`` is a broken IPv6 host: ValueError)."""
    try:
        urlsplit(url).hostname  # noqa: B018 - the property parses the host
    except ValueError:
        return False
    return True


def absolute_or_empty(url: str, base: str) -> str:
    """`urls.absolute`, '' for a URL (or base) that cannot be parsed."""
    if not parsable_url(url) or not parsable_url(base):
        return ""
    return absolute(url, base)


def clean_href(href: str | None, base: str) -> str:
    """Absolute URL without Medium's ``?source=`` tracking; a real fragment is kept."""
    href = clean_text((href or "").strip())
    if not href or href.lower().startswith(("javascript:", "data:")):
        return ""
    if href.startswith(("mailto:", "tel:")):
        return href
    full = absolute_or_empty(href, base)
    if not full:
        return ""
    parts = urlsplit(full)
    if parts.query:
        stripped = urlsplit(strip_tracking(full))
        fragment = "" if parts.fragment.startswith(".") else parts.fragment
        full = urlunsplit((parts.scheme, parts.netloc, parts.path, stripped.query, fragment))
    elif parts.fragment.startswith("."):
        full = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return full
