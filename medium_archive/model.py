"""The typed data of an archived post.

`Post` is what extraction produces and what the writer consumes. Dictionaries appear only at the
YAML boundary (`frontmatter.py`). This module imports no third-party library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .document import Document

MEDIUM_FAVICON = "https://miro.medium.com/1*m-R_BkNf1Qjr1YbyOIJY2w.png"


@dataclass(frozen=True)
class Author:
    """One author: display name, absolute profile URL, avatar image URL ('' when unknown)."""

    name: str
    url: str = ""
    avatar: str = ""


@dataclass(frozen=True)
class Publisher:
    """The publication of a post, or Medium itself for a personal post."""

    name: str
    url: str
    favicon: str = ""
    domain: str = ""

    @property
    def is_medium(self) -> bool:
        return self.domain == "medium.com" and self.name == "Medium"


MEDIUM_PUBLISHER = Publisher(
    name="Medium", url="https://medium.com", favicon=MEDIUM_FAVICON, domain="medium.com"
)


@dataclass(frozen=True)
class AppLink:
    """The `al:*` meta tags of one platform (ios, android or web), values verbatim."""

    type: str
    url: str = ""
    app_store_id: str = ""
    app_name: str = ""
    package: str = ""


@dataclass(frozen=True)
class Post:
    """One Medium post, as extracted from a page, an export file or a feed item.

    Dates are strings in the form ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC), or ``YYYY-MM-DD`` where the
    source gives only a day. ``body`` is the post's content only, as a `document.Document`
    (read from Medium's paragraph model by `paragraphs.py`, or from the HTML by `body.py`).
    """

    id: str
    url: str
    title: str
    body: Document
    date_published: str
    date_modified: str = ""
    subtitle: str = ""
    description: str = ""
    authors: tuple[Author, ...] = ()
    publisher: Publisher = MEDIUM_PUBLISHER
    tags: tuple[str, ...] = ()
    language: str = ""
    app_links: tuple[AppLink, ...] = ()
    image: str = ""
    is_paywalled: bool = False
    truncated: bool = False
    draft: bool = False
    is_response: bool = False
    source: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)
