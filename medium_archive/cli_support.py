"""The command line's inputs: the site a command works on, a list of URLs, the ``--failed`` list.

Each turns what the user gave into what the library takes, or into a one-line usage error.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import click

from .console import note_planted
from .errors import MediumArchiveError
from .sources.urllist import bounded_lines, count_entries
from .store import Generator, Site, detect_generator, is_empty_folder

HUGO_HTML_BODY = (
    "--body html: Hugo omits raw HTML from Markdown files unless the site sets "
    "markup.goldmark.renderer.unsafe = true, so a Hugo site gets Markdown bodies; "
    "drop --body html (or use --generator jekyll)"
)


def open_site(
    site_root: Path,
    generator: str | None = None,
    *,
    body_format: str | None = None,
    starter: bool = False,
    must_exist: bool = False,
) -> Site:
    """The site a command works on; a usage error (one line) when it cannot be one.

    ``must_exist``: commands that only update what is there (sync, repair) need the folder.
    Every site is checked for ``_posts``/``_drafts``/``assets`` links leading out of it. With
    ``starter``, a new or empty folder gets the starter Jekyll site when the first post is
    written (`console.announce_starter` says so).
    """
    if site_root.exists() and not site_root.is_dir():
        raise click.UsageError(f"--site {site_root}: not a directory")
    if must_exist and not site_root.is_dir():
        raise click.UsageError(f"--site {site_root}: no such directory; give the site's root")
    chosen: Generator = "hugo" if generator == "hugo" else "jekyll"
    empty = starter and is_empty_folder(site_root)
    site = Site(site_root, chosen if generator else detect_generator(site_root))
    try:
        site.check_contained()
    except MediumArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    if site.is_hugo and body_format == "html":
        raise click.UsageError(HUGO_HTML_BODY)
    if empty and not site.is_hugo:
        from .starter import plant

        def plant_starter() -> None:
            note_planted(site, plant(site.root))

        site.before_first_write = plant_starter
    return site


def open_list(path: str) -> TextIO:
    """The list as text: stdin for ``-``; a BOM is dropped and bad bytes replaced."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
    try:
        return open(path, encoding="utf-8-sig", errors="replace")  # noqa: SIM115 - closed by ctx
    except OSError as exc:
        raise click.BadParameter(f"{path}: {exc.strerror}", param_hint="LIST") from exc


def list_total(path: str) -> int | None:
    """How many inputs a list file names (a quick streaming pass), None for stdin or a pipe,
    or for a file that is no list (reading it then says why, in one line)."""
    if path == "-" or not Path(path).is_file():
        return None
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            return count_entries(bounded_lines(fh))
    except (OSError, MediumArchiveError):
        return None


class FailedList:
    """``--failed``: the inputs that failed, written to a temp file beside the target and moved
    over it when the run ends, so ``import failed.txt --failed failed.txt`` reads the whole old
    list first. When that same file is the list being imported and the run did not get through
    it (Ctrl-C, --fail-fast, a full disk), the old list is kept: nothing untried is lost."""

    def __init__(self, path: str, source: str) -> None:
        self.path = Path(path)
        self.same_as_source = _same_file(path, source)
        try:
            fd, tmp = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
            )
        except OSError as exc:
            raise click.BadParameter(
                f"{path}: cannot write there ({exc.strerror or exc})", param_hint="--failed"
            ) from None
        self.tmp = Path(tmp)
        self.file = os.fdopen(fd, "w", encoding="utf-8")

    def write(self, text: str) -> None:
        self.file.write(text)

    def finish(self, *, complete: bool) -> str | None:
        """Move the list into place (None), or discard it and say why the old one was kept."""
        try:
            self.file.close()
            if complete or not self.same_as_source:
                if self.path.exists():
                    os.chmod(self.tmp, self.path.stat().st_mode & 0o777)
                os.replace(self.tmp, self.path)
                return None
        except OSError as exc:
            self.discard()
            return f"could not write the failed list {self.path} ({exc.strerror or exc})"
        self.discard()
        return f"{self.path} left as it was (the run did not get through it)"

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def _same_file(a: str, b: str) -> bool:
    try:
        return b != "-" and os.path.samefile(a, b)
    except OSError:
        return False
