"""Offline repair of archive files written by any tool (the seed's format included).

``repair_text`` fixes, without fetching anything:

- front matter: every string cleaned with ``cleanup.clean_text`` (entities to a fixpoint, odd
  spaces made plain); ``datePublished``/``dateModified`` kept as strings (a YAML timestamp becomes
  ``YYYY-MM-DDTHH:MM:SS.mmmZ``); ``app_links`` regrouped to one map per platform, ios, android,
  web in that order, each with only its own keys (``app_store_id`` is iOS's, ``package`` is
  Android's, an ``http(s)`` url is the web's, an app url and ``app_name`` belong to the type they
  were listed with); the site generator's keys that the file itself determines added when missing
  (``date``, ``last_modified_at``/``lastmod``, ``canonical_url``, Hugo's ``draft``; not ``tags``,
  since a file's ``keywords`` may have been derived from its text), and in a Hugo site ``url``
  dropped (Hugo refuses it; the address stays in ``canonical_url``); re-dumped with
  ``frontmatter.dumps``. A file whose ``_archive.contentHash``
  matched before the repair gets a fresh one; a hand-edited file keeps its stale one.
- body, outside code only: Markdown fenced code blocks, indented code blocks (after a blank
  line) and inline code spans are left byte for byte; in an HTML body (``<article>…``) the text
  outside ``<pre>``, ``<code>``, ``<script>`` and ``<style>`` is cleaned and its ``<`` escaped
  again as HTML requires (``&lt;``); tags, attributes and comments are left alone. In Markdown
  text, a ``<`` that decoding turned into something tag-like is written ``\\<`` so it is not
  taken for raw HTML.

Repair is idempotent: repairing a repaired file changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import frontmatter, urls
from .cleanup import clean_text
from .errors import FrontMatterError, SiteNotWritable, StoreError
from .store import Site, read_post_text, write_atomic
from .text import one_line as _one_line

__all__ = [
    "RepairResult",
    "regroup_app_links",
    "repair_body",
    "repair_file",
    "repair_site",
    "repair_text",
]

_PLATFORMS = ("ios", "android", "web")
_DATE_KEYS = ("datePublished", "dateModified", "date", "last_modified_at", "lastmod")


@dataclass(frozen=True)
class RepairResult:
    """One file's repair: whether it changed (or would, with check), or why it could not be read."""

    path: Path
    changed: bool
    error: str | None = None
    #: The file needed repair but could not be written (``error`` says why).
    write_failed: bool = False


# ---------------------------------------------------------------- front matter


def regroup_app_links(links: Any) -> Any:
    """App links as one map per platform (ios, android, web); see the module docstring."""
    if not isinstance(links, list):
        return links
    grouped: dict[str, dict[str, Any]] = {p: {} for p in _PLATFORMS}
    others: list[Any] = []
    for entry in links:
        if not isinstance(entry, Mapping):
            others.append(entry)
            continue
        kind = str(entry.get("type", ""))
        if kind and kind not in grouped:
            others.append(entry)
            continue
        for key, value in entry.items():
            platform = _platform_of(key, value, kind, grouped)
            if platform is not None and value not in (None, ""):
                grouped[platform].setdefault(key, value)
    regrouped: list[Any] = [
        frontmatter.app_link_map({"type": p, **values}) for p, values in grouped.items() if values
    ]
    as_given = [frontmatter.app_link_map(dict(e)) for e in links if isinstance(e, Mapping)]
    if len(as_given) == len(regrouped) and all(m in regrouped for m in as_given):
        return as_given + others  # already one map per platform: the page's order is kept
    return regrouped + others


def _platform_of(key: str, value: Any, kind: str, grouped: Mapping[str, Any]) -> str | None:
    if key == "app_store_id":
        return "ios"
    if key == "package":
        return "android"
    if key == "url" and isinstance(value, str) and re.match(r"https?://", value):
        return "web"
    if key in ("url", "app_name"):
        if kind in ("ios", "android"):
            return kind
        return next((p for p in ("ios", "android") if key not in grouped[p]), None)
    return None  # 'type' and keys no platform has


def repair_meta(
    meta: Mapping[str, Any], generator: frontmatter.Generator = "jekyll"
) -> dict[str, Any]:
    """Front matter with strings cleaned, dates as strings, app links regrouped, and the site
    generator's keys added (see the module docstring)."""
    fixed: dict[str, Any] = frontmatter.clean_values(dict(meta))
    for key in _DATE_KEYS:
        if key in fixed:
            fixed[key] = frontmatter.date_string(fixed[key])
    if "app_links" in fixed:
        fixed["app_links"] = regroup_app_links(fixed["app_links"])
    added = frontmatter.site_keys(fixed, generator)
    if generator == "hugo" and "url" in fixed:
        url = fixed.pop("url")
        if isinstance(url, str) and urls.is_http_url(url) and "canonical_url" not in fixed:
            added["canonical_url"] = urls.canonical_url(url)
    for key, value in added.items():
        fixed.setdefault(key, value)
    return fixed


# ---------------------------------------------------------------- body

_HTML_PROTECTED_RE = re.compile(
    r"<(pre|code|script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->|<[^<>]*>", re.S | re.I
)
_HTML_BODY_RE = re.compile(
    r"\s*<(?:article|div|section|html|body|main|p|h[1-6]|figure)\b[^<>]*>", re.I
)
_MD_FENCE_OPEN_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
#: An inline code span; a backslash-escaped backtick (``\\```) neither opens one nor is part of
#: the run that does.
_MD_INLINE_CODE_RE = re.compile(
    r"(?:(?<=\\`)|(?<!`))(?<!(?<!\\)\\)(`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)\1(?!`)", re.S
)
_MD_RAW_TAG_RE = re.compile(r"<(pre|code)\b[^>]*>.*?</\1\s*>|<[A-Za-z/!?][^<>\n]*>", re.S | re.I)
_TAG_LIKE_LT_RE = re.compile(r"(?<!\\)<(?=[A-Za-z/!?])")


def _is_html_body(body: str) -> bool:
    return _HTML_BODY_RE.match(body) is not None


def _clean_html_text(text: str) -> str:
    """Cleaned HTML text with ``<`` escaped again (an ``&`` left can start no entity)."""
    return clean_text(text).replace("<", "&lt;")


def _clean_outside(text: str, protected: re.Pattern[str], clean: Any) -> str:
    """``clean`` applied to the stretches of ``text`` between matches of ``protected``."""
    out: list[str] = []
    pos = 0
    for match in protected.finditer(text):
        out.append(clean(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(clean(text[pos:]))
    return "".join(out)


def _clean_markdown_prose(text: str) -> str:
    def prose(piece: str) -> str:
        return _TAG_LIKE_LT_RE.sub(r"\\<", clean_text(piece)) if "&" in piece else clean_text(piece)

    def outside_tags(piece: str) -> str:
        return _clean_outside(piece, _MD_RAW_TAG_RE, prose)

    return _clean_outside(text, _MD_INLINE_CODE_RE, outside_tags)


def _markdown_chunks(body: str) -> Iterator[tuple[bool, str]]:
    """``(is_code, text)`` runs of a Markdown body: fenced and indented code blocks are code."""
    lines = body.splitlines(keepends=True)
    i = 0
    prose: list[str] = []
    previous_blank = True
    while i < len(lines):
        line = lines[i]
        fence = _MD_FENCE_OPEN_RE.match(line)
        indented = previous_blank and (line.startswith("    ") or line.startswith("\t"))
        if fence or (indented and line.strip()):
            if prose:
                yield False, "".join(prose)
                prose = []
            j = _code_end(lines, i, fence.group(1) if fence else None)
            yield True, "".join(lines[i:j])
            previous_blank = not lines[j - 1].strip() if fence is None else False
            i = j
            continue
        prose.append(line)
        previous_blank = not line.strip()
        i += 1
    if prose:
        yield False, "".join(prose)


def _code_end(lines: list[str], start: int, fence: str | None) -> int:
    """Index just after the code block starting at ``lines[start]``."""
    if fence is not None:
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        for j in range(start + 1, len(lines)):
            if close.match(lines[j].rstrip("\n")):
                return j + 1
        return len(lines)  # unclosed fence: code to the end, as CommonMark says
    j = start
    while j < len(lines) and (
        lines[j].startswith("    ") or lines[j].startswith("\t") or not lines[j].strip()
    ):
        j += 1
    while j > start + 1 and not lines[j - 1].strip():
        j -= 1  # trailing blank lines belong to the prose again
    return j


def repair_body(body: str) -> str:
    """Entity and odd-space cleanup of a Markdown or HTML body, outside code only."""
    if _is_html_body(body):
        return _clean_outside(body, _HTML_PROTECTED_RE, _clean_html_text)
    return "".join(
        text if is_code else _clean_markdown_prose(text) for is_code, text in _markdown_chunks(body)
    )


# ---------------------------------------------------------------- files


def repair_text(text: str, generator: frontmatter.Generator = "jekyll") -> str:
    """The repaired file text; `FrontMatterError` when it has no loadable front matter.

    Decoding can turn ``&#123;% include x %&#125;`` into live Liquid: the repaired front matter
    then says ``render_with_liquid: false`` (`frontmatter.without_live_liquid`).
    """
    meta, body = frontmatter.loads(text)
    new_body = repair_body(body)
    fixed = frontmatter.without_live_liquid(repair_meta(meta, generator), new_body, before=body)
    archive = meta.get("_archive")
    stored_hash = archive.get("contentHash") if isinstance(archive, Mapping) else None
    if stored_hash and stored_hash == frontmatter.content_hash(text):
        return frontmatter.dumps_with_hash(fixed, new_body)
    return frontmatter.dumps(fixed, new_body)


def repair_file(
    path: Path, *, check: bool, generator: frontmatter.Generator = "jekyll"
) -> RepairResult:
    """Repair one file in place (atomically); with ``check``, only say whether it would change.

    A file that cannot be read as a post (binary, not UTF-8, huge, no or broken front matter,
    a YAML alias bomb) is an error result and is left byte for byte. A write that fails is an
    error result with ``write_failed``; `SiteNotWritable` (disk full, read-only site) is raised.
    """
    path = Path(path)
    try:
        original = read_post_text(path)
        repaired = repair_text(original, generator)
    except (StoreError, FrontMatterError) as exc:
        return RepairResult(path, False, _one_line(exc))
    if repaired == original:
        return RepairResult(path, False)
    if not check:
        try:
            write_atomic(path, repaired.encode("utf-8"))
        except SiteNotWritable:
            raise
        except StoreError as exc:
            return RepairResult(path, True, _one_line(exc), write_failed=True)
    return RepairResult(path, True)


def repair_site(
    site: Site, paths: Iterable[Path | str] | None = None, *, check: bool = False
) -> Iterator[RepairResult]:
    """Repair the given files, else every post of the site; nothing outside the root is written.

    A relative path is taken from the current directory (as the command line gives it), or from
    the site root when no such file exists there.
    """
    if paths is None:
        for path in site.post_files():
            try:  # a post file that is a link out of the site is not followed
                site.resolve(path)
            except StoreError as exc:
                yield RepairResult(path, False, str(exc))
                continue
            yield repair_file(path, check=check, generator=site.generator)
        return
    for given in paths:
        candidate = Path(given)
        if not candidate.is_absolute() and not candidate.exists():
            candidate = site.root / candidate
        try:
            path = site.resolve(candidate.absolute())
        except StoreError as exc:
            yield RepairResult(Path(given), False, str(exc))
            continue
        yield repair_file(path, check=check, generator=site.generator)
