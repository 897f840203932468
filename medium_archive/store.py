"""The site on disk: where each post's file lives, the index by post id, atomic writes.

Two layouts (``Site.generator``, detected by `detect_generator` unless given):

- ``jekyll``: ``_posts/YYYY-MM-DD-<slug>.md``, ``_drafts/<slug>.md`` and images in
  ``assets/<post-id>/`` (linked site-absolute, ``/assets/<post-id>/<file>``);
- ``hugo``: one page bundle per post, drafts included, ``content/posts/<slug>/index.md``, with
  the post's images beside it (linked relatively, ``<file>``); a second post with the same slug
  gets ``content/posts/<slug>-<post-id>/``, and a bundle that moves takes its images along.
 A post is known by its Medium post id, never by its file name: ``write``
renames a post's file when its date or slug changes, gives a second post with the same date and
slug a ``-<post-id>`` suffix, and leaves a file untouched (mtime kept) when its bytes would not
change. Every write is atomic (temp file in the same directory, fsync, ``os.replace``) and no
path outside the root is ever written. This module never fetches or parses HTML; a rendered
post's file text is dumped again only when another post holds its path (``sourcePath`` then
names the ``-<post-id>`` variant). Reading post files for the index is siteindex.py's.

Thread safety: one lock per `Site` covers the index, the collision decision and the write
itself, so concurrent writers of different posts (batch import threads) never pick the same
file. The index is built on first use and kept up to date by ``write``; ``index()`` rescans.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol

from . import dates, urls
from .errors import FrontMatterError, SiteNotWritable, StoreError
from .frontmatter import dumps_hashed
from .model import Post
from .siteindex import (
    INDEX_KEYS,
    ArchivedFile,
    Problem,
    archived_file,
    index_meta_of,
    not_yaml_front_matter,
    post_id_of,
    read_front_matter,
)
from .text import one_line

__all__ = [
    "GENERATORS",
    "INDEX_KEYS",
    "MAX_POST_BYTES",
    "ArchivedFile",
    "Generator",
    "Problem",
    "RenderedPost",
    "Site",
    "WriteResult",
    "detect_generator",
    "post_path",
    "archived_file",
    "post_id_of",
    "read_front_matter",
    "read_post_text",
    "write_atomic",
    "write_error",
]

POSTS_DIR = "_posts"
DRAFTS_DIR = "_drafts"
ASSETS_DIR = "assets"
#: Where a Hugo site's posts go: one page bundle each, ``content/posts/<slug>/index.md``.
HUGO_POSTS_DIR = "content/posts"
BUNDLE_INDEX = "index.md"
Generator = Literal["jekyll", "hugo"]
GENERATORS: tuple[Generator, ...] = ("jekyll", "hugo")
#: A Hugo site's own config file at its root (``config.*`` counts only beside ``content/``).
HUGO_CONFIGS = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json")
HUGO_LEGACY_CONFIGS = ("config.toml", "config.yaml", "config.yml", "config.json")
#: File name endings scanned as posts (Jekyll's Markdown and HTML posts).
POST_SUFFIXES = (".md", ".markdown", ".html")
_FILE_MODE = 0o644

WriteStatus = Literal["created", "updated", "unchanged"]


class RenderedPost(Protocol):
    """A post rendered for the site (`archive.Prepared`): its file text at ``rel_path`` and
    that text's ``contentHash``, and the front matter and body it was dumped from."""

    @property
    def post_id(self) -> str: ...
    @property
    def rel_path(self) -> str: ...
    @property
    def meta(self) -> Mapping[str, Any]: ...
    @property
    def body(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def content_hash(self) -> str: ...


@dataclass(frozen=True)
class WriteResult:
    """What ``Site.write`` did: created, updated (maybe renamed from previous_path) or unchanged."""

    status: WriteStatus
    path: str
    previous_path: str | None = None


#: Write errors after which no other write can succeed either: the run stops (`SiteNotWritable`).
FATAL_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def write_error(exc: OSError, path: Path | str) -> StoreError:
    """A write's `OSError` as one line: `SiteNotWritable` when no other write can succeed."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return SiteNotWritable(f"cannot write {path}: {reason}; free some space and run again")
    if exc.errno in FATAL_WRITE_ERRNOS:
        return SiteNotWritable(
            f"cannot write {path}: {reason}; make the site writable and run again"
        )
    return StoreError(f"cannot write {path}: {reason}")


#: Existing post files larger than this are not read (no post comes near it); they are left alone.
MAX_POST_BYTES = 32 << 20


def read_post_text(path: Path) -> str:
    """The text of an existing post file, or `StoreError` (one line) when it is no text post:
    unreadable, larger than `MAX_POST_BYTES`, binary (NUL bytes) or not UTF-8. Never changes it."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_POST_BYTES + 1)
    except OSError as exc:
        raise StoreError(f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > MAX_POST_BYTES:
        raise StoreError(f"over {MAX_POST_BYTES >> 20} MB: too large to be a post file; left alone")
    if b"\0" in data:
        raise StoreError("a binary file (NUL bytes), not a post; left alone")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreError(f"not UTF-8 text (bad byte at offset {exc.start}); left alone") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; no temp file is left behind, even on Ctrl-C.

    An `OSError` becomes a one-line `StoreError` (`SiteNotWritable` for a full disk or a
    read-only site); the file is then as it was.
    """
    try:
        _write_atomic(path, data)
    except OSError as exc:
        raise write_error(exc, path) from None


def _write_atomic(path: Path, data: bytes) -> None:
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


def _utc_day(date_published: str) -> str:
    day = dates.utc_day(date_published)
    if not day:
        raise StoreError(
            f"datePublished {date_published!r} is not a readable date; cannot name the post's file"
        )
    return day


def post_slug(post: Post) -> str:
    """The URL's slug without the post id, else the slugified title, else the post id."""
    slug = urls.slug_from_url(post.url, post.id) if post.url else ""
    if slug and slug != post.id:
        return slug
    return urls.slugify(post.title) or post.id


def with_suffix_id(rel_path: str, post_id: str) -> str:
    """``_posts/2016-01-03-foo.md`` → ``_posts/2016-01-03-foo-<post_id>.md``; a page bundle's
    folder takes the suffix: ``content/posts/foo/index.md`` → ``…/foo-<post_id>/index.md``."""
    path = PurePosixPath(rel_path)
    if path.name == BUNDLE_INDEX and path.parent.name:
        return str(path.parent.with_name(f"{path.parent.name}-{post_id}") / path.name)
    return str(path.with_name(f"{path.stem}-{post_id}{path.suffix}"))


def post_path(post: Post, generator: Generator = "jekyll") -> str:
    """The relative path a post belongs at, a pure function of the post: ``_posts/YYYY-MM-DD-
    <slug>.md`` or ``_drafts/<slug>.md`` (Hugo: ``content/posts/<slug>/index.md``, drafts too).
    """
    slug = post_slug(post)
    if generator == "hugo":
        return f"{HUGO_POSTS_DIR}/{slug}/{BUNDLE_INDEX}"
    if post.draft:
        return f"{DRAFTS_DIR}/{slug}.md"
    return f"{POSTS_DIR}/{_utc_day(post.date_published)}-{slug}.md"


def detect_generator(root: Path) -> Generator:
    """``hugo`` for a Hugo site (a ``hugo.*`` config, or ``config.*`` or ``config/`` beside a
    ``content/`` folder), else ``jekyll`` (a missing or empty folder included)."""
    root = Path(root)
    if any((root / name).is_file() for name in HUGO_CONFIGS):
        return "hugo"
    if (root / "content").is_dir() and (
        any((root / name).is_file() for name in HUGO_LEGACY_CONFIGS)
        or (root / "config" / "_default").is_dir()
    ):
        return "hugo"
    return "jekyll"


def is_empty_folder(root: Path) -> bool:
    """True when ``root`` does not exist or holds only dot files (``.git``, ``.DS_Store``)."""
    try:
        return not any(not entry.name.startswith(".") for entry in Path(root).iterdir())
    except FileNotFoundError:
        return True


class Site:
    """A Jekyll or Hugo site rooted at ``root``: paths, the index by post id, atomic writes.

    ``before_first_write``, when set, runs once (under the lock) before the first post file is
    written: the CLI plants its starter site there, so a run that archives nothing plants nothing.
    """

    def __init__(
        self,
        root: Path,
        generator: Generator | None = None,
        *,
        before_first_write: Callable[[], None] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.generator: Generator = generator or detect_generator(self.root)
        self.posts_dir = self.root / POSTS_DIR
        self.drafts_dir = self.root / DRAFTS_DIR
        self.problems: list[Problem] = []
        self.before_first_write = before_first_write
        self._lock = threading.RLock()
        self._by_id: dict[str, ArchivedFile] | None = None
        self._by_path: dict[str, str] = {}

    @property
    def is_hugo(self) -> bool:
        return self.generator == "hugo"

    # ------------------------------------------------------------ paths

    def assets_dir(self, post_id: str) -> Path:
        """``assets/<post-id>/`` (not created)."""
        if not urls.POST_ID_RE.match(post_id):
            raise StoreError(f"{post_id!r} is not a Medium post id; cannot name its assets folder")
        return self.root / ASSETS_DIR / post_id

    def path_for(self, post: Post) -> str:
        """The relative path a post belongs at (`post_path`; reads nothing from disk)."""
        return post_path(post, self.generator)

    def resolve(self, rel_path: str | os.PathLike[str]) -> Path:
        """The absolute path of a path inside the site; `StoreError` if it would leave the root."""
        candidate = Path(rel_path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise StoreError(f"{rel_path}: outside the site root {self.root}; refusing to touch it")
        return resolved

    def check_contained(self) -> None:
        """`StoreError` (one line) when ``_posts``, ``_drafts`` or ``assets`` leads out of the
        site (a symlink to a folder elsewhere): every command that writes refuses such a site
        before it starts, rather than write (or fail) post by post outside the root."""
        for name in (POSTS_DIR, DRAFTS_DIR, ASSETS_DIR):
            folder = self.root / name
            if not folder.is_symlink() and not folder.exists():
                continue
            try:
                self.resolve(name)
            except StoreError:
                target = os.path.realpath(folder)
                raise StoreError(
                    f"{folder} leads out of the site (to {target}); refusing to write there: "
                    f"replace the link with a real {name} folder inside the site"
                ) from None

    def relative(self, path: Path) -> str:
        """The POSIX path of ``path`` relative to the root."""
        return self.resolve(path).relative_to(self.root).as_posix()

    def image_folder(self, post: Post) -> Path:
        """Where a post's images are saved (not created): ``assets/<post-id>/``, or in Hugo the
        folder of the post's bundle (where it is archived, else where it will be written: that
        path is claimed for the post, so that no other post of this run takes it)."""
        if not self.is_hugo:
            return self.assets_dir(post.id)
        if not urls.POST_ID_RE.match(post.id):
            raise StoreError(f"{post.id!r} is not a Medium post id; cannot name its bundle")
        with self._lock:
            existing = self._index().get(post.id)
            if existing is not None:
                rel = existing.path
            else:
                rel, _ = self._free_path(post.id, self.path_for(post))
                self._by_path.setdefault(rel, post.id)
            return self.resolve(rel).parent

    def image_link(self, path: Path) -> str:
        """How a post's body links an image saved at ``path``: ``/assets/<post-id>/<file>``, or
        in Hugo the file name (relative to the bundle, so it survives a bundle's move)."""
        if self.is_hugo:
            return path.name
        return "/" + self.relative(path)

    def uses_local_images(self, body: str, post_id: str) -> bool:
        """True when an archived body links images saved in the site (``--images``)."""
        if self.is_hugo:
            return _RELATIVE_IMAGE_RE.search(body) is not None
        return f"/assets/{post_id}/" in body

    def post_folders(self) -> tuple[Path, ...]:
        """The folders holding posts: ``_posts`` and ``_drafts``, or Hugo's ``content/posts``."""
        if self.is_hugo:
            return (self.root / HUGO_POSTS_DIR,)
        return (self.posts_dir, self.drafts_dir)

    def post_files(self) -> Iterator[Path]:
        """Every post file in ``_posts`` and ``_drafts`` (Hugo: ``content/posts``; sorted; dot
        files skipped)."""
        for folder in self.post_folders():
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
        with self._lock:  # a write must not slip in between the scan and the swap
            by_id: dict[str, ArchivedFile] = {}
            by_path: dict[str, str] = {}
            problems: list[Problem] = []
            for path in self.post_files():
                rel = path.relative_to(self.root).as_posix()
                try:
                    if self.is_hugo and not_yaml_front_matter(path):
                        continue  # TOML/JSON front matter (hugo new): the user's own page
                    meta = read_front_matter(path, INDEX_KEYS)
                except (StoreError, FrontMatterError, OSError, UnicodeDecodeError) as exc:
                    problems.append(Problem(rel, one_line(exc)))
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
        """The text of a post file in the site (`read_post_text`)."""
        return read_post_text(self.resolve(rel_path))

    def write(self, post_id: str, rel_path: str, text: str) -> WriteResult:
        """Write a post's file text at ``rel_path`` (or its ``-<post-id>`` variant); see module
        doc. The index entry is read back from ``text``."""
        with self._lock:
            existing = self._index().get(post_id)
            target, path = self._free_path(post_id, rel_path)
            result = self._put(existing, target, path, text)
            if result.status != "unchanged":
                self._remember(post_id, target, index_meta_of(text))
            return result

    def write_post(self, post: RenderedPost) -> WriteResult:
        """Write a rendered post (`RenderedPost`) at its path (or its ``-<post-id>`` variant,
        when another post or file holds it: then the file is dumped again, naming its own path
        in ``sourcePath``). The index entry comes from its front matter and hash."""
        with self._lock:
            existing = self._index().get(post.post_id)
            target, path = self._free_path(post.post_id, post.rel_path)
            text, digest = post.text, post.content_hash
            if target != post.rel_path:
                text, digest = dumps_hashed({**post.meta, "sourcePath": target}, post.body)
            result = self._put(existing, target, path, text)
            if result.status != "unchanged":
                archive = {**dict(post.meta.get("_archive") or {}), "contentHash": digest}
                kept = {k: post.meta[k] for k in INDEX_KEYS if k in post.meta}
                self._remember(post.post_id, target, {**kept, "_archive": archive})
            return result

    def _put(
        self, existing: ArchivedFile | None, target: str, path: Path, text: str
    ) -> WriteResult:
        """Write ``text`` at ``target`` (under the lock), the post's old file removed when it
        moved; unchanged bytes are left alone."""
        data = text.encode("utf-8")
        if existing is not None and existing.path == target and _same_bytes(path, data):
            return WriteResult("unchanged", target)
        if self.before_first_write is not None:
            hook, self.before_first_write = self.before_first_write, None
            hook()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(exc, path.parent) from None
        write_atomic(path, data)
        previous = existing.path if existing is not None and existing.path != target else None
        if previous is not None:
            old = self.resolve(previous)
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
            if old.name == BUNDLE_INDEX and path.name == BUNDLE_INDEX:
                _carry_bundle(old.parent, path.parent)
            self._by_path.pop(previous, None)
        status: WriteStatus = "created" if existing is None else "updated"
        return WriteResult(status, target, previous)

    def _free_path(self, post_id: str, rel_path: str) -> tuple[str, Path]:
        """``rel_path``, or its ``-<post-id>`` variant when another post (or file) holds it, and
        where that is on disk (`StoreError` for a path escaping the root)."""
        candidate = PurePosixPath(rel_path).as_posix()
        path = self.resolve(candidate)
        occupant = self._by_path.get(candidate)
        if occupant == post_id or (occupant is None and not path.exists()):
            return candidate, path
        suffixed = with_suffix_id(candidate, post_id)
        path = self.resolve(suffixed)
        occupant = self._by_path.get(suffixed)
        if occupant not in (None, post_id) or (occupant is None and path.exists()):
            raise StoreError(f"{suffixed}: already holds another file; move it away and retry")
        return suffixed, path

    def _remember(self, post_id: str, rel_path: str, meta: Mapping[str, Any]) -> None:
        assert self._by_id is not None
        self._by_id[post_id] = archived_file(post_id, rel_path, meta)
        self._by_path[rel_path] = post_id


#: A Markdown image or ``<img src>`` whose target is a relative path (a bundle's own file).
_RELATIVE_IMAGE_RE = re.compile(
    r"!\[[^\]\n]*\]\((?![a-z][a-z0-9+.-]*:|/|#)[^)\s]+\)"
    r"|<img [^>]*src=\"(?![a-z][a-z0-9+.-]*:|/)"
)


def _carry_bundle(old: Path, new: Path) -> None:
    """Move the other files of a page bundle that moved (its images) beside its new index, and
    remove the old folder when that leaves it empty; a file the new bundle has already stays."""
    try:
        entries = list(old.iterdir())
    except FileNotFoundError:
        return
    for entry in entries:
        target = new / entry.name
        if not entry.is_file():
            continue
        if not target.exists():
            os.replace(entry, target)
        elif target.is_file() and _same_bytes(target, entry.read_bytes()):
            entry.unlink()
    with contextlib.suppress(OSError):
        old.rmdir()  # only when empty: a file of the user's own is left where it was


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except FileNotFoundError:
        return False
