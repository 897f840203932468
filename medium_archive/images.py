"""Images kept locally: a post's content images saved under ``assets/<post-id>/``.

`localize_images` downloads every `document.Image` of the post's body (and the lead
``image``) through ``fetch.fetch_bytes`` with the caller's session, so the same retries and
per-host pacing apply as for pages, and points its ``src`` at the site path
``/assets/<post-id>/<file>`` (in a Hugo site: the file name, saved beside the post in its page
bundle; see `Site.image_folder`). File names come from the image URL alone (a Medium image id
``1*abc.png`` becomes ``1-abc.png``; other names get a short hash of the URL), so a second run
finds the files already there and fetches nothing. An image that cannot be saved keeps its remote
URL and yields one warning; no empty or partial file is ever left (``store.write_atomic``).

What is saved is checked, since the site will serve it: images come only from Medium's servers,
the host the post was fetched from and hosts the caller allows (`ALLOWED_HOSTS`, or
``allowed_hosts=``), never from a local or private address the page merely names (`hosts`); the
bytes must be a PNG, JPEG, GIF, WebP, AVIF/HEIF, BMP, ICO or TIFF image whatever the server calls
them (HTML served as ``image/png`` is refused); an SVG is saved only when it can carry no script
(no ``<script>``, ``on*`` handlers, ``javascript:`` or outside links, no styles, no DOCTYPE:
`svg_refusal`), else it keeps its remote link with a warning.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Collection
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.etree

from . import fetch, hosts
from .document import Document, Image
from .errors import FetchError, MediumArchiveError, SiteNotWritable, StoreError
from .model import Post
from .store import Site, write_atomic, write_error

#: Images are larger than pages: animated GIFs of a few tens of MB exist.
MAX_IMAGE_BYTES = 32 * 1024 * 1024
#: The extension written for each image media type.
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/avif": ".avif",
    "image/svg+xml": ".svg",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/x-icon": ".ico",
    "image/vnd.microsoft.icon": ".ico",
    "image/heif": ".heic",
}
#: Extensions accepted from a URL, with the media type each means.
URL_EXTENSIONS = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".ico": "image/x-icon",
}
#: Media types with aliases, mapped to the name `URL_EXTENSIONS` uses.
EXTENSIONS_MEDIA = {"image/pjpeg": "image/jpeg", "image/vnd.microsoft.icon": "image/x-icon"}
#: Magic numbers of the raster formats saved: the bytes, not the server, say what an image is.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
#: ISO-BMFF brands (``ftyp`` box) of AVIF and HEIF images.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"})
_OCTET_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
#: Hosts images are saved from besides Medium's and the post's own (tests add 127.0.0.1 here).
ALLOWED_HOSTS: frozenset[str] = frozenset()
#: SVG elements that run or pull in content; any one of them makes an SVG unsafe to serve.
_SVG_UNSAFE_ELEMENTS = frozenset(
    {
        "script",
        "foreignobject",
        "iframe",
        "embed",
        "object",
        "handler",
        "listener",
        "style",
        "link",
        "meta",
        "base",
        "audio",
        "video",
    }
)
#: Link targets an SVG may keep: its own fragments and raster images inlined as data.
_SVG_SAFE_LINK_RE = re.compile(
    r"#[\w.:-]*|data:image/(?:png|jpeg|gif|webp);base64,[\w+/=\s]*", re.I
)
#: ``javascript:`` and friends, looked for with spaces and control characters removed (browsers
#: ignore them inside a URL scheme).
_SCRIPT_URL_RE = re.compile(r"(?:java|vb)script:|data:text/html", re.I)
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f]+")
_MAX_SVG_BYTES = 2 * 1024 * 1024
#: A Medium image id as the last path segment: ``1*abc-DEF_g.png``, ``0*xyz``.
_MEDIUM_ID_RE = re.compile(r"^([0-9]\*[A-Za-z0-9_-]+)(\.[A-Za-z0-9]+)?$")
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_STEM = 80


@dataclasses.dataclass(frozen=True)
class Saved:
    """One image URL's fate: the site path it was saved at, or why it was not."""

    url: str
    site_path: str = ""
    reason: str = ""


def localize_images(
    post: Post,
    *,
    site: Site,
    session: Any,
    timeout: float | tuple[float, float] = fetch.DEFAULT_TIMEOUT,
    max_bytes: int = MAX_IMAGE_BYTES,
    download: bool = True,
    fetched_from: str = "",
    allowed_hosts: Collection[str] | None = None,
) -> tuple[Post, tuple[str, ...]]:
    """The post with its images saved under ``assets/<post-id>/`` and linked there; warnings.

    Images are downloaded only from Medium's hosts, the host of ``fetched_from`` (the URL the
    post's page came from), the post's own public host and ``allowed_hosts`` (default
    `ALLOWED_HOSTS`); others keep their remote link, with a warning.

    Each distinct URL is fetched at most once, and not at all when its file is already there.
    A failed image keeps its remote URL and adds ``image <url> not saved: <reason>; kept the
    remote link``. With ``download=False`` only images already saved are linked; nothing is
    fetched and the others keep their remote URL silently.
    """
    try:
        folder = site.image_folder(post)
    except MediumArchiveError as exc:
        return post, (f"images not saved: {exc}",)
    results: dict[str, Saved] = {}
    own = {hosts.host_of(fetched_from)} - {""}
    named = {hosts.host_of(post.url)} - {""}
    allowed = frozenset(ALLOWED_HOSTS if allowed_hosts is None else allowed_hosts)

    def refusal(url: str) -> str:
        return hosts.refusal(url, fetched_from=own, named=named, allowed=allowed)

    def save(url: str) -> Saved:
        if url not in results:
            if download:
                results[url] = save_image(
                    url,
                    site=site,
                    folder=folder,
                    session=session,
                    timeout=timeout,
                    max_bytes=max_bytes,
                    refusal=refusal,
                )
            else:
                existing = find_existing(folder, *file_stem(url))
                results[url] = Saved(url, site_path(site, existing) if existing else "")
        return results[url]

    body = rewrite_figure_images(post.body, lambda url: save(url).site_path or url)
    image = post.image
    if image and is_http(image):
        image = save(image).site_path or image
    warnings = tuple(
        f"image {saved.url} not saved: {saved.reason}; kept the remote link"
        for saved in results.values()
        if saved.reason
    )
    if body is post.body and image == post.image:
        return post, warnings
    return dataclasses.replace(post, body=body, image=image), warnings


def save_image(
    url: str,
    *,
    site: Site,
    folder: Path,
    session: Any,
    timeout: float | tuple[float, float] = fetch.DEFAULT_TIMEOUT,
    max_bytes: int = MAX_IMAGE_BYTES,
    refusal: Callable[[str], str] | None = None,
) -> Saved:
    """Download one image into ``folder`` unless a file for it is there already.

    ``refusal(url)`` says why a host may not be downloaded from ("" when it may): checked for
    the URL before fetching and for where redirects led after.
    """
    stem, url_ext = file_stem(url)
    existing = find_existing(folder, stem, url_ext)
    if existing is not None:
        return Saved(url, site_path(site, existing))
    refused = refusal(url) if refusal is not None else ""
    if refused:
        return Saved(url, reason=f"not downloaded: {refused}")
    try:
        blob = fetch.fetch_bytes(
            session, url, timeout=timeout, max_bytes=max_bytes, redirect_refusal=refusal
        )
    except FetchError as exc:
        return Saved(url, reason=fetch_reason(url, exc))
    refused = refusal(blob.final_url) if refusal is not None and blob.final_url != url else ""
    if refused:
        return Saved(url, reason=f"redirected to {blob.final_url}: {refused}")
    if not blob.data:
        return Saved(url, reason="the server sent an empty body")
    media, why = checked_image(blob.content_type, blob.data)
    if media is None:
        return Saved(url, reason=why)
    path = site.resolve(folder / (stem + extension_for(media, url_ext)))
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(exc, path.parent) from exc
        write_atomic(path, blob.data)
    except SiteNotWritable:
        raise  # a full disk or a read-only site: the run stops (one line), not one warning a post
    except StoreError as exc:
        cause = exc.__cause__ or exc.__context__
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(exc)
        return Saved(url, reason=f"cannot write {path.name} ({reason})")
    return Saved(url, site_path(site, path))


def rewrite_figure_images(body: Document, new_src: Callable[[str], str]) -> Document:
    """``body`` with each image's ``src`` replaced by ``new_src(src)`` (http(s) ones only).

    Nothing else is touched; the same document is returned when no ``src`` changes.
    """
    changed = False
    blocks = []
    for block in body.blocks:
        if isinstance(block, Image) and is_http(block.src):
            replacement = new_src(block.src)
            if replacement != block.src:
                block = dataclasses.replace(block, src=replacement)
                changed = True
        blocks.append(block)
    return body.replace_blocks(blocks) if changed else body


def file_stem(url: str) -> tuple[str, str]:
    """The file name (without extension) for an image URL, and the URL's image extension.

    ``…/max/1400/1*abc.png`` → ``("1-abc", ".png")``; other URLs get an 8-hex hash of the URL
    (``…/photos/cat.jpg?w=2`` → ``("cat-1a2b3c4d", ".jpg")``) so two images never share a file.
    """
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    medium = _MEDIUM_ID_RE.match(name)
    if medium:
        ext = (medium.group(2) or "").lower()
        return _safe(medium.group(1)), ext if ext in URL_EXTENSIONS else ""
    base, dot, ext = name.rpartition(".")
    if not dot:
        base, ext = name, ""
    ext = f".{ext.lower()}" if ext else ""
    if ext not in URL_EXTENSIONS:
        base, ext = name, ""
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]
    return f"{_safe(base) or 'image'}-{digest}", ext


def _safe(text: str) -> str:
    return _UNSAFE_RE.sub("-", text).strip("-")[:_MAX_STEM].strip("-")


def find_existing(folder: Path, stem: str, url_ext: str) -> Path | None:
    """A non-empty file already saved for ``stem`` (any image extension), else None."""
    for ext in dict.fromkeys([url_ext, *URL_EXTENSIONS]):
        if not ext:
            continue
        path = folder / (stem + ext)
        try:
            if path.is_file() and path.stat().st_size > 0:
                return path
        except OSError:
            continue
    return None


def checked_image(content_type: str, data: bytes) -> tuple[str | None, str]:
    """The media type to save a response as, from its bytes; or None and why not.

    The server must call it an image (or octet-stream / nothing) and the bytes must be one:
    a raster format recognised by its magic number, or an SVG that passes `svg_refusal`.
    """
    declared = content_type.split(";", 1)[0].strip().lower()
    if not declared.startswith("image/") and declared not in _OCTET_TYPES:
        return None, f"not an image (the server sent {declared!r})"
    sniffed = sniff_image(data)
    if sniffed is not None:
        return sniffed, ""
    if declared == "image/svg+xml" or (declared in _OCTET_TYPES and _looks_like_svg(data)):
        unsafe = svg_refusal(data)
        if unsafe:
            return None, f"an SVG image that {unsafe}: unsafe to serve from the site"
        return "image/svg+xml", ""
    kind = "HTML" if _looks_like_html(data) else "not a known image format"
    sent = declared or "no content type"
    return None, f"not an image (the server sent {sent!r}, but the bytes are {kind})"


def sniff_image(data: bytes) -> str | None:
    """The raster image type of ``data`` by its magic number, or None."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(len(data), 64), 4)}
        if brands & _AVIF_BRANDS:
            return "image/avif"
        if brands & _HEIF_BRANDS:
            return "image/heif"
    return None


def _looks_like_svg(data: bytes) -> bool:
    return b"<svg" in data[:4096].lower()


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head


def svg_refusal(data: bytes) -> str:
    """Why an SVG could run script or pull in content when opened from the site ("" if safe).

    Strict on purpose (a refused SVG keeps its remote link): well-formed XML with no DOCTYPE or
    entities, no processing instructions, no scripting or embedding elements, no styles, no
    ``on*`` attributes, no link but to its own fragments or inlined raster images, and no
    attribute that reads ``javascript:`` (an ``<animate to=…>`` or ``<set>`` can make one a link).
    """
    if len(data) > _MAX_SVG_BYTES:
        return "is too large to check"
    if b"<!doctype" in data.lower() or b"<!entity" in data.lower():
        return "declares a DOCTYPE or entities"
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = lxml.etree.fromstring(data, parser)
    except (lxml.etree.Error, ValueError):
        return "is not well-formed XML"
    if lxml.etree.QName(root).localname != "svg":
        return "is not an <svg> document"
    for node in root.iter():
        if not isinstance(node.tag, str):
            if isinstance(node, lxml.etree._ProcessingInstruction):
                return "holds a processing instruction"
            continue
        if lxml.etree.QName(node).localname.lower() in _SVG_UNSAFE_ELEMENTS:
            return f"holds a <{lxml.etree.QName(node).localname}> element"
        for name, value in node.attrib.items():
            local = lxml.etree.QName(name).localname.lower()
            if local.startswith("on"):
                return f"has an event handler ({local})"
            if _SCRIPT_URL_RE.search(_CONTROL_RE.sub("", value)):
                return "holds a javascript: link"
            if local in ("href", "src") and not _SVG_SAFE_LINK_RE.fullmatch(value.strip()):
                return "links to outside content"
            if local == "style" and ("url(" in value.lower() or "expression" in value.lower()):
                return "has a style that loads content"
    for pi in root.itersiblings(preceding=True):
        if isinstance(pi, lxml.etree._ProcessingInstruction):
            return "holds a processing instruction"
    return ""


def extension_for(media: str, url_ext: str) -> str:
    """The URL's extension when it agrees with the media type, else the media type's."""
    if url_ext and URL_EXTENSIONS.get(url_ext) == EXTENSIONS_MEDIA.get(media, media):
        return url_ext
    if media in EXTENSIONS:
        return EXTENSIONS[media]
    return url_ext or ".img"


def site_path(site: Site, path: Path) -> str:
    """How the post links a file saved in the site: ``/assets/<post-id>/<file>`` (Jekyll), or
    the file name beside the post in its bundle (Hugo); see `Site.image_link`."""
    return site.image_link(path)


def fetch_reason(url: str, exc: FetchError) -> str:
    """A short reason from a fetch error: ``HTTP 404``, ``timed out: …`` (no URL, no hint)."""
    if exc.status and not str(exc).startswith(f"{url}: blocked"):
        return f"HTTP {exc.status}"
    message = str(exc)
    if message.startswith(f"{url}: "):
        message = message[len(url) + 2 :]
    return message.split("; ", 1)[0]


def is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


__all__ = [
    "ALLOWED_HOSTS",
    "Saved",
    "localize_images",
    "rewrite_figure_images",
    "save_image",
    "svg_refusal",
]
