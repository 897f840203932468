"""Re-sync archived posts with Medium: find them, re-fetch them, update the changed ones.

``sync_site`` plans from the site index (every post file with a post id, the earlier tool's
files included: their id comes from ``isBasedOnUrl``), then runs each post through the pipeline
(`pipeline.Runner.sync`) and yields an `Outcome` per post:

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

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from . import fetch
from .archive import Outcome, Status
from .batch import DEFAULT_GRACE, Done
from .changes import body_format_of, describe_changes, fetch_url_of, is_edited
from .errors import StoreError
from .items import SyncedItem, Work
from .pipeline import Settings, run_items
from .store import ArchivedFile, Site

__all__ = [
    "SYNC",
    "body_format_of",
    "describe_changes",
    "fetch_url_of",
    "is_edited",
    "plan",
    "sync_site",
]

#: How ``sync`` runs unless told: each file keeps its body format and its images as archived.
SYNC = Settings(keep_body_format=True, keep_images=True)
_NO_POST_ID = "no post id"

SyncItem = ArchivedFile | Outcome


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
    settings: Settings = SYNC,
    stop: threading.Event | None = None,
    grace: float = DEFAULT_GRACE,
    fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
) -> Iterator[Done[SyncItem, Outcome]]:
    """Sync every archived post of ``site`` (or the files named); yield each one as it ends:
    the pipeline (`pipeline.Runner.sync`) fed by the site's index.

    After ``stop`` is set, posts in hand are finished (for up to ``grace`` seconds), no new one
    is started, and no file is left half written.
    """
    yield from run_items(
        plan(site, paths),
        _work,
        site=site,
        session=session,
        settings=settings,
        on_error=_internal_error,
        stop=stop,
        grace=grace,
        fetch_page=fetch_page,
        index=False,
    )


def _work(item: SyncItem) -> Work:
    return item if isinstance(item, Outcome) else SyncedItem(item)
