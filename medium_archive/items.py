"""What a source hands the pipeline: one item per post, saying what it is.

Every source is an adapter that turns its own entries into these (or into an `Outcome` it has
already decided: an invalid list line, a duplicate, a skipped draft); `pipeline.Runner` takes
them all the same way (skip if known, fetch, parse, embeds and images, write):

- `FetchItem`: a URL to fetch and parse (a list's URL, an account listing's post, a feed item
  with only a snippet);
- `SavedItem`: a saved page (or export post) on disk, to read and parse;
- `ParsedItem`: a post already parsed from an export or a feed, optionally enriched from its
  live page;
- `SyncedItem`: an archived file to fetch again with its validators and compare.
"""

from __future__ import annotations

from dataclasses import dataclass

from .archive import Outcome
from .model import Post
from .store import ArchivedFile


@dataclass(frozen=True)
class FetchItem:
    """A URL to fetch: ``source`` names the input in the outcome and is what is fetched."""

    source: str
    #: The post id the URL names: a post already archived is skipped without a request.
    post_id: str | None = None
    #: The post's ``isBasedOnUrl`` when it is not ``source`` (a feed's snippet: the feed).
    based_on: str = ""
    #: A plain request (no conditional headers, no validators kept), as for a feed's snippet.
    plain: bool = False
    #: Added to the message of a fetch or parse failure.
    failure_note: str = ""
    #: Why the URL may not be fetched: the post fails with this (unless already archived).
    refused: str = ""


@dataclass(frozen=True)
class SavedItem:
    """A saved ``.html`` page (or account-export post) to read and parse."""

    source: str


@dataclass(frozen=True)
class ParsedItem:
    """A post already parsed by its source (an export file, a feed item's full content)."""

    source: str
    post: Post
    #: The post id its source names it by (the post's own by default).
    post_id: str = ""
    #: Fetch the post's live page for what the export lacks (``--enrich``).
    enrich: bool = False


@dataclass(frozen=True)
class SyncedItem:
    """An archived file to fetch again (conditionally) and update when the post changed."""

    known: ArchivedFile

    @property
    def source(self) -> str:
        return self.known.path


Item = FetchItem | SavedItem | ParsedItem | SyncedItem
#: An item, or the outcome its source already decided (the runner passes it through).
Work = Item | Outcome
