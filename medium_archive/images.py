"""Images kept locally: a post's content images saved under ``assets/<post-id>/``.

`localize_images` downloads every `document.Image` of the post's body (and the lead
``image``) through ``fetch.fetch_bytes`` with the caller's session, so the same retries and
per-host pacing apply as for pages, and points its ``src`` at the site path
``/assets/<post-id>/<file>``. File names come from the image URL alone (a Medium image id
``1*abc.png`` becomes ``1-abc.png``; other names get a short hash of the URL), so a second run
finds the files already there and fetches nothing. An image that cannot be saved keeps its remote
URL and yields one warning; no empty or partial file is ever left (``store.write_atomic``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from . import fetch
from .document import Document, Image
from .errors import FetchError, MediumArchiveError
from .model import Post
from .store import Site, write_atomic

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
#: Magic numbers, for servers that send ``application/octet-stream``.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
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
) -> tuple[Post, tuple[str, ...]]:
    """The post with its images saved under ``assets/<post-id>/`` and linked there; warnings.

    Each distinct URL is fetched at most once, and not at all when its file is already there.
    A failed image keeps its remote URL and adds ``image <url> not saved: <reason>; kept the
    remote link``. With ``download=False`` only images already saved are linked; nothing is
    fetched and the others keep their remote URL silently.
    """
    try:
        folder = site.assets_dir(post.id)
    except MediumArchiveError as exc:
        return post, (f"images not saved: {exc}",)
    results: dict[str, Saved] = {}

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
) -> Saved:
    """Download one image into ``folder`` unless a file for it is there already."""
    stem, url_ext = file_stem(url)
    existing = find_existing(folder, stem, url_ext)
    if existing is not None:
        return Saved(url, site_path(site, existing))
    try:
        blob = fetch.fetch_bytes(session, url, timeout=timeout, max_bytes=max_bytes)
    except FetchError as exc:
        return Saved(url, reason=fetch_reason(url, exc))
    media = image_type(blob.content_type, blob.data)
    if not blob.data:
        return Saved(url, reason="the server sent an empty body")
    if media is None:
        sent = blob.content_type.split(";", 1)[0].strip() or "no content type"
        return Saved(url, reason=f"not an image (the server sent {sent!r})")
    path = site.resolve(folder / (stem + extension_for(media, url_ext)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, blob.data)
    except OSError as exc:
        return Saved(url, reason=f"cannot write {path.name} ({exc.strerror or exc})")
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


def image_type(content_type: str, data: bytes) -> str | None:
    """The image media type of a response, or None when it is not an image."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media.startswith("image/"):
        return media
    if media in ("", "application/octet-stream", "binary/octet-stream"):
        return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
    return None


def extension_for(media: str, url_ext: str) -> str:
    """The URL's extension when it agrees with the media type, else the media type's."""
    if url_ext and URL_EXTENSIONS.get(url_ext) == EXTENSIONS_MEDIA.get(media, media):
        return url_ext
    if media in EXTENSIONS:
        return EXTENSIONS[media]
    return url_ext or ".img"


def site_path(site: Site, path: Path) -> str:
    """The site-absolute URL path of a file in the site: ``/assets/<post-id>/<file>``."""
    return "/" + site.relative(path)


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


__all__ = ["Saved", "localize_images", "save_image", "rewrite_figure_images"]
