"""Re-sync archived posts with Medium: find them, re-fetch them, update the changed ones.

``sync_site`` plans from the site index (every post file with a post id, the earlier tool's
files included: their id comes from ``isBasedOnUrl``), then runs one `Syncer` per post through
the batch runner and yields an `Outcome` per post:

- ``conflict``: the file carries ``_archive.contentHash`` and its text no longer hashes to it, so
  somebody edited it by hand; it is left alone (no request is made) unless ``force``. Files
  without a ``contentHash`` (other tools') cannot tell, and are never conflicts.
- ``not modified``: the archive held validators (``etag``/``lastModified``) and Medium answered
  304; nothing is parsed or written.
- ``unchanged``: the post renders to the same front matter and body as the file holds (the
  ``_archive`` map and ``sourcePath`` aside, so a new ETag alone does not rewrite a file); the
  file is left byte for byte, mtime too.
- ``updated``: rewritten atomically through `Site.write` (renamed when its date or slug changed,
  the old name removed). ``changes`` names the front-matter keys that differ, ``path`` when the
  file moves, and ``body +A -R lines``. With ``dry_run`` the same outcome is returned and nothing
  is written.
- ``gone`` (404/410): the archived file is kept, never deleted; ``failed``: any other error.

The post is fetched from its ``isBasedOnUrl`` when that is a URL (and that value is kept in the
rewritten file); a post archived from a saved file is fetched from its canonical ``url``.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import archive, fetch, frontmatter, urls
from .archive import BodyFormat, Options, Outcome, Prepared, Status
from .batch import DEFAULT_GRACE, Done, WriteGate, run_batch
from .errors import MediumArchiveError, PostGone, SiteNotWritable, StoreError
from .store import ArchivedFile, Site, with_suffix_id

__all__ = ["SyncSettings", "Syncer", "body_format_of", "describe_changes", "plan", "sync_site"]

#: Keys that say how and when the file was archived, not what the post is: not compared.
VOLATILE_KEYS = frozenset({"_archive", "sourcePath"})
_NO_POST_ID = "no post id"

SyncItem = ArchivedFile | Outcome


@dataclass(frozen=True)
class SyncSettings:
    """How ``sync`` runs."""

    jobs: int = 4
    force: bool = False
    dry_run: bool = False
    #: None keeps each file's own body format (Markdown, or HTML in ``<article>``).
    body_format: BodyFormat | None = None
    #: Images under ``assets/<post-id>/``; None: as the archived file already does.
    images: bool | None = None
    #: Resolve embeds over the network (never in a dry run); ``gist_base`` as in `Options`.
    embeds: bool = False
    gist_base: str = ""


# ---------------------------------------------------------------- planning


def plan(site: Site, paths: Iterable[Path | str] | None = None) -> Iterator[SyncItem]:
    """The posts to sync: every archived post of the site, or the files named.

    A file the index could not read becomes a FAILED outcome (files without any post id are not
    Medium posts and are passed over, unless named). A relative path is taken from the current
    directory, or from the site root when no such file exists there.
    """
    index = site.index()
    problems = {p.path: p.message for p in site.problems}
    if paths is None:
        for problem_path, message in sorted(problems.items()):
            if not message.startswith(_NO_POST_ID):
                yield Outcome(problem_path, Status.FAILED, error=f"{problem_path}: {message}")
        yield from sorted(index.values(), key=lambda f: f.path)
        return
    by_path = {f.path: f for f in index.values()}
    for given in paths:
        try:
            rel = _relative(site, Path(given))
        except StoreError as exc:
            yield Outcome(str(given), Status.FAILED, error=str(exc))
            continue
        if rel in by_path:
            yield by_path[rel]
        elif rel in problems:
            yield Outcome(str(given), Status.FAILED, error=f"{given}: {problems[rel]}")
        else:
            reason = "no such file" if not site.resolve(rel).is_file() else "not a post file"
            where = " or ".join(f"{site.relative(f)}/" for f in site.post_folders())
            message = f"{given}: {reason} in the site's {where}; nothing to sync"
            yield Outcome(str(given), Status.FAILED, error=message)


def _relative(site: Site, given: Path) -> str:
    candidate = given.expanduser()
    if not candidate.is_absolute() and not candidate.exists():
        candidate = site.root / candidate
    return site.relative(candidate.absolute())


# ---------------------------------------------------------------- comparing


def body_format_of(body: str) -> BodyFormat:
    """The body format of an archived file: HTML when the body is an ``<article>``."""
    return "html" if body.lstrip().startswith("<article") else "markdown"


def _comparable(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {k: frontmatter.date_string(v) for k, v in meta.items() if k not in VOLATILE_KEYS}


def _line_changes(old: str, new: str) -> tuple[int, int]:
    added = removed = 0
    old_lines, new_lines = old.strip("\n").splitlines(), new.strip("\n").splitlines()
    for line in difflib.unified_diff(old_lines, new_lines, lineterm="", n=0):
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("+"):
            added += 1
        elif line.startswith("-"):
            removed += 1
    return added, removed


def describe_changes(
    old_meta: Mapping[str, Any], old_body: str, new_meta: Mapping[str, Any], new_body: str
) -> tuple[str, ...]:
    """What differs: front-matter keys (in the new file's order), then ``body +A -R lines``."""
    old, new = _comparable(old_meta), _comparable(new_meta)
    keys = [k for k in new if old.get(k) != new[k]] + [k for k in old if k not in new]
    changes = list(keys)
    if old_body.strip("\n") != new_body.strip("\n"):
        added, removed = _line_changes(old_body, new_body)
        changes.append(f"body +{added} -{removed} lines")
    return tuple(changes)


# ---------------------------------------------------------------- one post


def fetch_url_of(known: ArchivedFile) -> str:
    """Where a post is re-fetched from: its ``isBasedOnUrl`` if a URL, else its canonical URL."""
    for candidate in (known.is_based_on_url, known.url, str(known.archive.get("fetchedFrom", ""))):
        if candidate and urls.is_http_url(candidate):
            return candidate
    return f"https://medium.com/p/{known.post_id}"


class Syncer:
    """The work function of one sync: one archived file in, one `Outcome` out."""

    def __init__(
        self,
        *,
        site: Site,
        session: Any,
        settings: SyncSettings,
        gate: WriteGate,
        fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
    ) -> None:
        self.site = site
        self.session = session
        self.settings = settings
        self.gate = gate
        self.fetch_page = fetch_page

    def __call__(self, item: SyncItem) -> Outcome:
        if isinstance(item, Outcome):
            return item
        try:
            return self.sync(item)
        except PostGone as exc:
            message = f"{exc}; the archived file {item.path} is kept"
            return Outcome(item.path, Status.GONE, item.post_id, item.path, error=message)
        except SiteNotWritable:
            raise  # the end of the run, not this post's failure (see `batch.run_batch`)
        except MediumArchiveError as exc:
            return Outcome(item.path, Status.FAILED, item.post_id, item.path, error=str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            message = f"{item.path}: cannot read the file ({exc})"
            return Outcome(item.path, Status.FAILED, item.post_id, item.path, error=message)

    def outcome(self, known: ArchivedFile, status: Status, **kw: Any) -> Outcome:
        return Outcome(known.path, status, known.post_id, known.path, **kw)

    def sync(self, known: ArchivedFile) -> Outcome:
        text = self.site.read(known.path)
        meta, body = frontmatter.loads(text)
        edited = is_edited(meta, text)
        if edited and not self.settings.force:
            message = (
                f"{known.path}: edited by hand since it was archived; left alone "
                "(sync --force overwrites it with the post from Medium)"
            )
            return self.outcome(known, Status.CONFLICT, error=message)
        validators = {} if edited else known.archive
        url = fetch_url_of(known)
        page = self.fetch_page(
            self.session,
            url,
            etag=validators.get("etag") or None,
            last_modified=validators.get("lastModified") or None,
        )
        if page.not_modified:
            return self.outcome(known, Status.NOT_MODIFIED)
        source = known.is_based_on_url or url
        loaded = archive.load_fetched(
            page.text, page.final_url, source, page.etag or "", page.last_modified or ""
        )
        # Embeds: fetched again (a dry run fetches none), else as the archived file recorded.
        fetch_embeds = self.settings.embeds and not self.settings.dry_run
        embed_options = Options(embeds=fetch_embeds, gist_base=self.settings.gist_base)
        archive_map = meta.get("_archive")
        recorded = archive_map.get("embeds") if isinstance(archive_map, Mapping) else None
        loaded = archive.resolve_embeds(
            loaded,
            session=self.session,
            options=embed_options,
            known=recorded if isinstance(recorded, Mapping) else None,
        )
        images = self.settings.images
        if images is None:
            images = self.site.uses_local_images(body, known.post_id)
        if images:  # a dry run only links images already saved: it downloads nothing
            loaded = archive.localize(
                loaded, site=self.site, session=self.session, download=not self.settings.dry_run
            )
        body_format = self.settings.body_format or body_format_of(body)
        prepared = archive.prepare_post(
            loaded, site=self.site, options=Options(body_format=body_format), source=source
        )
        changes = self.changes(known, meta, body, prepared)
        if not changes:
            return self.outcome(known, Status.UNCHANGED, warnings=prepared.warnings)
        if self.settings.dry_run:
            return self.outcome(known, Status.UPDATED, changes=changes, warnings=prepared.warnings)
        with self.gate.writing():
            if self.site.read(known.path) != text:
                message = f"{known.path}: changed on disk while syncing; left alone, sync again"
                return self.outcome(known, Status.CONFLICT, error=message)
            result = self.site.write(
                prepared.post_id, prepared.rel_path, prepared.text_at, prepared.meta
            )
        return Outcome(
            known.path,
            Status.UPDATED if result.status != "unchanged" else Status.UNCHANGED,
            known.post_id,
            result.path,
            warnings=prepared.warnings,
            changes=changes,
        )

    def changes(
        self, known: ArchivedFile, meta: Mapping[str, Any], body: str, prepared: Prepared
    ) -> tuple[str, ...]:
        found = describe_changes(meta, body, prepared.meta, prepared.body)
        target = prepared.rel_path
        if known.path not in (target, with_suffix_id(target, known.post_id)):
            found = (f"path -> {target}", *found)
        return found


def uses_local_images(body: str, post_id: str) -> bool:
    """True when an archived body links images saved under ``assets/<post-id>/``."""
    return f"/assets/{post_id}/" in body


def is_edited(meta: Mapping[str, Any], text: str) -> bool:
    """True when the file holds a ``contentHash`` its text no longer matches."""
    archive_map = meta.get("_archive")
    stored = archive_map.get("contentHash") if isinstance(archive_map, Mapping) else None
    return bool(stored) and stored != frontmatter.content_hash(text)


def _internal_error(item: SyncItem, exc: Exception) -> Outcome:
    if isinstance(item, Outcome):
        return item
    message = f"{item.path}: unexpected error: {exc!r}"
    return Outcome(item.path, Status.FAILED, item.post_id, item.path, error=message)


def sync_site(
    site: Site,
    *,
    session: Any,
    paths: Iterable[Path | str] | None = None,
    settings: SyncSettings = SyncSettings(),
    stop: threading.Event | None = None,
    grace: float = DEFAULT_GRACE,
    fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
) -> Iterator[Done[SyncItem, Outcome]]:
    """Sync every archived post of ``site`` (or the files named); yield each one as it ends.

    After ``stop`` is set, posts in hand are finished (for up to ``grace`` seconds), no new one
    is started, and no file is left half written.
    """
    gate = WriteGate()
    work = Syncer(site=site, session=session, settings=settings, gate=gate, fetch_page=fetch_page)
    try:
        yield from run_batch(
            plan(site, paths),
            work,
            jobs=settings.jobs,
            stop=stop,
            on_error=_internal_error,
            grace=grace,
        )
    finally:
        gate.close()
