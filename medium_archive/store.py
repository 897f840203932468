"""The Jekyll site on disk: where each post's file lives, the index by post id, atomic writes.

A site root holds ``_posts/YYYY-MM-DD-<slug>.md``, ``_drafts/<slug>.md`` and
``assets/<post-id>/``. A post is known by its Medium post id, never by its file name: ``write``
renames a post's file when its date or slug changes, gives a second post with the same date and
slug a ``-<post-id>`` suffix, and leaves a file untouched (mtime kept) when its bytes would not
change. Every write is atomic (temp file in the same directory, fsync, ``os.replace``) and no
path outside the root is ever written. This module never fetches, parses HTML or renders posts.

Thread safety: one lock per `Site` covers the index, the collision decision and the write
itself, so concurrent writers of different posts (batch import threads) never pick the same
file. The index is built on first use and kept up to date by ``write``; ``index()`` rescans.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from . import urls
from .errors import StoreError
from .frontmatter import date_string, load_meta, loads
from .model import Post

__all__ = ["ArchivedFile", "Problem", "Site", "WriteResult", "write_atomic"]

POSTS_DIR = "_posts"
DRAFTS_DIR = "_drafts"
ASSETS_DIR = "assets"
#: File name endings scanned as posts (Jekyll's Markdown and HTML posts).
POST_SUFFIXES = (".md", ".markdown", ".html")
_MAX_FRONT_MATTER_LINES = 5000
_FILE_MODE = 0o644

WriteStatus = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class ArchivedFile:
    """One archived post as the index sees it: its file and key front-matter values."""

    post_id: str
    path: str
    is_based_on_url: str = ""
    url: str = ""
    title: str = ""
    date_published: str = ""
    date_modified: str = ""
    archive: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """A file the index could not read: its relative path and a one-line reason."""

    path: str
    message: str


@dataclass(frozen=True)
class WriteResult:
    """What ``Site.write`` did: created, updated (maybe renamed from previous_path) or unchanged."""

    status: WriteStatus
    path: str
    previous_path: str | None = None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; no temp file is left behind, even on Ctrl-C."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    done = False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else _FILE_MODE
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def read_front_matter(path: Path) -> dict[str, Any]:
    """The front matter of a file, reading only up to its closing ``---`` line."""
    lines: list[str] = []
    with open(path, encoding="utf-8", newline="") as fh:
        first = fh.readline().removeprefix("\ufeff")
        if first.rstrip("\r\n") != "---":
            raise StoreError("no front matter: the file does not start with a '---' line")
        for line in fh:
            if line.rstrip("\r\n").rstrip(" \t") == "---":
                return load_meta("".join(lines).replace("\r\n", "\n"))
            lines.append(line)
            if len(lines) > _MAX_FRONT_MATTER_LINES:
                break
    raise StoreError("front matter is not closed: no second '---' line")


def post_id_of(meta: Mapping[str, Any]) -> str | None:
    """The post id of front matter: ``identifier``, else from ``url``, else ``isBasedOnUrl``."""
    identifier = meta.get("identifier")
    if isinstance(identifier, str) and urls.POST_ID_RE.match(identifier):
        return identifier
    for key in ("url", "isBasedOnUrl"):
        value = meta.get(key)
        if isinstance(value, str) and value:
            found = urls.post_id_from_url(value)
            if found:
                return found
    return None


def _text(meta: Mapping[str, Any], key: str) -> str:
    value = date_string(meta.get(key))
    return value if isinstance(value, str) else ""


def archived_file(post_id: str, rel_path: str, meta: Mapping[str, Any]) -> ArchivedFile:
    """The index entry of a file from its front matter."""
    archive = meta.get("_archive")
    return ArchivedFile(
        post_id=post_id,
        path=rel_path,
        is_based_on_url=_text(meta, "isBasedOnUrl"),
        url=_text(meta, "url"),
        title=_text(meta, "title"),
        date_published=_text(meta, "datePublished"),
        date_modified=_text(meta, "dateModified"),
        archive=dict(archive) if isinstance(archive, Mapping) else {},
    )


def _utc_day(date_published: str) -> str:
    text = date_published.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise StoreError(
            f"datePublished {date_published!r} is not an ISO date; cannot name the post's file"
        ) from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.timezone.utc)
    return stamp.date().isoformat()


def post_slug(post: Post) -> str:
    """The URL's slug without the post id, else the slugified title, else the post id."""
    slug = urls.slug_from_url(post.url, post.id) if post.url else ""
    if slug and slug != post.id:
        return slug
    return urls.slugify(post.title) or post.id


def with_suffix_id(rel_path: str, post_id: str) -> str:
    """``_posts/2016-01-03-foo.md`` → ``_posts/2016-01-03-foo-<post_id>.md``."""
    path = PurePosixPath(rel_path)
    return str(path.with_name(f"{path.stem}-{post_id}{path.suffix}"))


class Site:
    """A Jekyll site rooted at ``root``: paths, the index by post id, atomic writes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.posts_dir = self.root / POSTS_DIR
        self.drafts_dir = self.root / DRAFTS_DIR
        self.problems: list[Problem] = []
        self._lock = threading.RLock()
        self._by_id: dict[str, ArchivedFile] | None = None
        self._by_path: dict[str, str] = {}

    # ------------------------------------------------------------ paths

    def assets_dir(self, post_id: str) -> Path:
        """``assets/<post-id>/`` (not created)."""
        if not urls.POST_ID_RE.match(post_id):
            raise StoreError(f"{post_id!r} is not a Medium post id; cannot name its assets folder")
        return self.root / ASSETS_DIR / post_id

    def path_for(self, post: Post) -> str:
        """The relative path a post belongs at: ``_posts/YYYY-MM-DD-<slug>.md`` or ``_drafts/…``."""
        slug = post_slug(post)
        if post.draft:
            return f"{DRAFTS_DIR}/{slug}.md"
        return f"{POSTS_DIR}/{_utc_day(post.date_published)}-{slug}.md"

    def resolve(self, rel_path: str | os.PathLike[str]) -> Path:
        """The absolute path of a path inside the site; `StoreError` if it would leave the root."""
        candidate = Path(rel_path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise StoreError(f"{rel_path}: outside the site root {self.root}; refusing to touch it")
        return resolved

    def relative(self, path: Path) -> str:
        """The POSIX path of ``path`` relative to the root."""
        return self.resolve(path).relative_to(self.root).as_posix()

    def post_files(self) -> Iterator[Path]:
        """Every post file in ``_posts`` and ``_drafts`` (sorted; dot files skipped)."""
        for folder in (self.posts_dir, self.drafts_dir):
            if not folder.is_dir():
                continue
            found = [
                p
                for p in folder.rglob("*")
                if p.suffix in POST_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(folder).parts)
                and p.is_file()
            ]
            yield from sorted(found)

    # ------------------------------------------------------------ index

    def index(self) -> dict[str, ArchivedFile]:
        """Rescan the site: post id → its file. Unreadable files go to ``self.problems``."""
        by_id: dict[str, ArchivedFile] = {}
        by_path: dict[str, str] = {}
        problems: list[Problem] = []
        for path in self.post_files():
            rel = path.relative_to(self.root).as_posix()
            try:
                meta = read_front_matter(path)
            except (StoreError, OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(rel, _one_line(exc)))
                continue
            post_id = post_id_of(meta)
            if post_id is None:
                problems.append(Problem(rel, "no post id in identifier, url or isBasedOnUrl"))
                continue
            if post_id in by_id:
                first = by_id[post_id].path
                problems.append(Problem(rel, f"post {post_id} is already archived in {first}"))
                continue
            by_id[post_id] = archived_file(post_id, rel, meta)
            by_path[rel] = post_id
        with self._lock:
            self._by_id, self._by_path, self.problems = by_id, by_path, problems
        return dict(by_id)

    def find(self, post_id: str) -> ArchivedFile | None:
        """The archived file of a post, or None (uses the cached index)."""
        with self._lock:
            return self._index().get(post_id)

    def _index(self) -> dict[str, ArchivedFile]:
        if self._by_id is None:
            self.index()
        assert self._by_id is not None
        return self._by_id

    # ------------------------------------------------------------ write

    def read(self, rel_path: str) -> str:
        """The text of a file in the site."""
        return self.resolve(rel_path).read_text(encoding="utf-8")

    def write(self, post_id: str, rel_path: str, text: str) -> WriteResult:
        """Write a post's file at ``rel_path`` (or its ``-<post-id>`` variant); see module doc."""
        data = text.encode("utf-8")
        with self._lock:
            by_id = self._index()
            existing = by_id.get(post_id)
            target = self._free_path(post_id, rel_path)
            path = self.resolve(target)
            if existing is not None and existing.path == target and _same_bytes(path, data):
                return WriteResult("unchanged", target)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
            previous = existing.path if existing is not None and existing.path != target else None
            if previous is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.resolve(previous).unlink()
                self._by_path.pop(previous, None)
            self._remember(post_id, target, text)
            status: WriteStatus = "created" if existing is None else "updated"
            return WriteResult(status, target, previous)

    def _free_path(self, post_id: str, rel_path: str) -> str:
        """``rel_path``, or its ``-<post-id>`` variant when another post (or file) holds it."""
        candidate = PurePosixPath(rel_path).as_posix()
        self.resolve(candidate)  # reject paths escaping the root early
        occupant = self._by_path.get(candidate)
        if occupant == post_id or (occupant is None and not self.resolve(candidate).exists()):
            return candidate
        suffixed = with_suffix_id(candidate, post_id)
        occupant = self._by_path.get(suffixed)
        if occupant not in (None, post_id) or (
            occupant is None and self.resolve(suffixed).exists()
        ):
            raise StoreError(f"{suffixed}: already holds another file; move it away and retry")
        return suffixed

    def _remember(self, post_id: str, rel_path: str, text: str) -> None:
        assert self._by_id is not None
        try:
            meta = loads(text)[0]
        except StoreError:
            meta = {}
        self._by_id[post_id] = archived_file(post_id, rel_path, meta)
        self._by_path[rel_path] = post_id


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except FileNotFoundError:
        return False


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
