"""The domain errors of medium-archive: one small hierarchy.

Every message reads well after ``Error: `` on one line: it says what went wrong and what to do.
Nothing here imports click or does I/O.
"""

from __future__ import annotations


class MediumArchiveError(Exception):
    """Base class: anything medium-archive reports to the user."""


class InvalidInput(MediumArchiveError):
    """The input is neither an http(s) URL nor an existing file."""


class FetchError(MediumArchiveError):
    """A page could not be fetched (network error, HTTP error, too large, not HTML)."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class PostGone(FetchError):
    """The post answered 404 or 410: it was deleted or never existed."""


class Blocked(FetchError):
    """Medium (or Cloudflare in front of it) answered with a bot challenge instead of the page."""


class NotAPost(MediumArchiveError):
    """The page is Medium's but not a single post (a profile, tag archive, publication home)."""


class ExtractError(MediumArchiveError):
    """A required field could not be found in a page that looked like a post."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class StoreError(MediumArchiveError):
    """The site directory cannot be read or written, or an archived file cannot be parsed."""


class FrontMatterError(MediumArchiveError):
    """File text whose front matter cannot be read: no ``---`` lines, YAML that does not load
    or is no mapping, an alias bomb."""


class SourceError(MediumArchiveError):
    """A list, feed or account export could not be read."""


class CookieFileError(InvalidInput):
    """A ``--cookies`` file cannot be read or is not a Netscape cookies.txt file."""


class SiteNotWritable(StoreError):
    """The site cannot take any more writes (disk full, quota, read-only, permission denied):
    the run stops at once instead of failing post after post."""
