"""One writing run per site, across processes; temp files left by a killed run removed.

Every command that writes a site (``archive``, ``import``, ``sync``, ``repair``) holds
`site_lock` for its whole run: a lock on ``<site>/.medium-archive.lock`` (an OS file lock through
the ``filelock`` library, released by the OS when the process dies, even by SIGKILL). A second
run on the same site waits for the first to end (saying so once), so it takes the site's index
only after the first run's posts are all on disk: two imports of one list write each post once.
The lock file is a dot file, which Jekyll and Hugo leave out of the built site.

While the lock is held no other run of ours writes the site, so `remove_stale_temp_files` may
delete the temp files `store.write_atomic` leaves when a run is killed mid-write: only names of
that pattern, only older than `STALE_TEMP_SECONDS`, only in ``_posts``, ``_drafts`` and
``assets``.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import StoreError

__all__ = ["LOCK_NAME", "STALE_TEMP_SECONDS", "remove_stale_temp_files", "site_lock"]

LOCK_NAME = ".medium-archive.lock"
WAITING = "waiting for another medium-archive run on this site to finish…"
#: A temp file untouched this long belongs to a run that died (a write takes milliseconds).
STALE_TEMP_SECONDS = 10 * 60
#: The folders that hold our temp files (`store.write_atomic` writes beside the final file).
TEMP_DIRS = ("_posts", "_drafts", "assets")
#: ``tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp")``: a dot, the file's name, a dot,
#: eight random characters from ``[a-z0-9_]``, ``.tmp``.
_TEMP_NAME_RE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


@contextlib.contextmanager
def site_lock(root: Path, *, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the site's lock for the duration; wait (calling ``on_wait`` once) while another
    process holds it. The site folder is created if missing. `StoreError` when the lock file
    cannot be created (a read-only site)."""
    lock = FileLock(str(root / LOCK_NAME))
    try:
        root.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait is not None:
                on_wait(WAITING)
            lock.acquire(poll_interval=0.1)
    except OSError as exc:
        raise StoreError(
            f"{root}: cannot create the lock file {LOCK_NAME} ({exc.strerror or exc}); "
            "make the site writable (check its permissions)"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def remove_stale_temp_files(root: Path, *, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Delete our temp files older than ``older_than`` seconds under the site's post and asset
    folders (never following a symlink out of them); return the paths removed."""
    removed: list[Path] = []
    cutoff = time.time() - older_than
    for name in TEMP_DIRS:
        top = root / name
        if top.is_symlink() or not top.is_dir():
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            for file in files:
                if not _TEMP_NAME_RE.fullmatch(file):
                    continue
                path = Path(folder) / file
                with contextlib.suppress(OSError):
                    info = path.lstat()
                    if path.is_symlink() or info.st_mtime > cutoff:
                        continue
                    path.unlink()
                    removed.append(path)
    return removed
