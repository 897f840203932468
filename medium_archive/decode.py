"""Bytes to text: the charset of a fetched or saved page, as a browser would choose it.

Pure, no network: fetch.py decodes what it downloads with it, and a saved ``.html`` file is
read with it too. The encoding is found by w3lib (the library Scrapy uses), in the WHATWG
order: a byte-order mark, else the ``Content-Type`` header's charset, else a ``<meta>`` or
``<?xml …?>`` declaration, else UTF-8. Labels map to the codecs browsers use (Latin-1 and ASCII
decode as windows-1252); undecodable bytes become U+FFFD instead of failing.
"""

from __future__ import annotations

import codecs

from w3lib.encoding import html_to_unicode, http_content_type_encoding, to_unicode


def decode_body(data: bytes, content_type: str = "") -> str:
    """Decode an HTML/XML body: BOM, else header charset, else ``<meta>``/``<?xml>``, else UTF-8.

    ``content_type``: the response's ``Content-Type`` header ("" for a saved file).
    """
    return html_to_unicode(content_type or None, data)[1]


def decode_text(data: bytes, content_type: str = "") -> str:
    """Decode a text resource of any type (a script, a raw file): the header's charset, else
    UTF-8; a UTF-8 byte-order mark is dropped. Its content is never searched for a declaration
    (a script may hold HTML with another page's ``<meta charset>``)."""
    if data[:3] == codecs.BOM_UTF8:
        data = data[3:]
    return to_unicode(data, http_content_type_encoding(content_type) or "utf-8")
