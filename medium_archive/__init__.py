"""medium-archive: Medium posts as Markdown files with YAML front matter in a Jekyll site."""

from __future__ import annotations

from .errors import (
    Blocked,
    ExtractError,
    FetchError,
    FrontMatterError,
    InvalidInput,
    MediumArchiveError,
    NotAPost,
    PostGone,
    SourceError,
    StoreError,
)
from .model import AppLink, Author, Post, Publisher

__version__ = "0.1.0"

__all__ = [
    "AppLink",
    "Author",
    "Blocked",
    "ExtractError",
    "FetchError",
    "FrontMatterError",
    "InvalidInput",
    "MediumArchiveError",
    "NotAPost",
    "Post",
    "PostGone",
    "Publisher",
    "SourceError",
    "StoreError",
    "__version__",
]
