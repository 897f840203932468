"""A whole Medium account by its name: the list of its published posts, from Medium's GraphQL.

Owns telling which account an ``import`` argument names (`account_for`: ``@user``,
``medium.com/@user``, ``user.medium.com``; a custom domain's profile page is read by
`profile_username`), the listing query (`listing_payload`: our own minimal query on the field
``userResult(username:) { ... on User { homepagePostsConnection(paging: {limit, from}) } }``
that Medium's web app uses), reading one answer (`parse_listing`), and `iter_listing`, which
yields the posts as `AccountEntry` items for the batch runner, fetching each next page
(``from`` = ``pagingInfo.next.from``) only when the runner wants more, until ``next`` is null.

What the listing can tell: published posts (public and member-only), in the order of the
profile's home page. Drafts are never in it (they are private). Responses are in it only when
asked for (``includeDistributedResponses``, for ``--responses``).

Parsing is pure; the pages are fetched with `fetch.post_json` (the session's pacing, retries
and Retry-After). Anything but the expected answer (a bot challenge, GraphQL errors, another
shape, not JSON) is a `ListingError` with a one-line reason, so the caller can fall back to the
account's RSS feed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import fetch
from ..errors import Blocked, MediumArchiveError, SourceError
from ..urls import POST_ID_RE, host, is_http_url, post_id_from_url, strip_tracking, urlsplit
from .urllist import ListEntry, ListProblem

#: Posts asked for per page (what Medium's own profile page asks for).
PAGE_SIZE = 10
#: Pages at most: a guard against an endpoint that never says ``next: null``.
MAX_PAGES = 10_000
#: What Medium's RSS feeds hold at most: the latest posts only.
FEED_LIMIT = 10
FEED_LIMIT_NOTE = f"a feed holds only the {FEED_LIMIT} latest posts"

_HANDLE_RE = re.compile(r"@([A-Za-z0-9._-]+)")
_APP_PROFILE_RE = re.compile(r"^medium:/{1,2}@([A-Za-z0-9._-]+)/?$")
_APP_URL_KEYS = ("al:android:url", "al:ios:url")
_META_RE = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([a-zA-Z:_-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")

QUERY = """query AccountPosts($username: ID!, $limit: PaginationLimit, $from: String, \
$responses: Boolean) {
  userResult(username: $username) {
    __typename
    ... on User {
      id
      username
      name
      homepagePostsConnection(paging: {limit: $limit, from: $from}, \
includeDistributedResponses: $responses) {
        posts { id mediumUrl title firstPublishedAt }
        pagingInfo { next { from limit } }
      }
    }
  }
}"""


class ListingError(SourceError):
    """The GraphQL endpoint did not answer with the account's posts (one-line reason)."""


@dataclass(frozen=True)
class Account:
    """An account and where its GraphQL endpoint and feed are.

    ``origin`` is ``scheme://host[:port]``; ``subdomain`` is true when the account lives at the
    origin's root (``user.medium.com``, a custom domain), whose feed is ``<origin>/feed``, else
    at ``<origin>/@user`` with the feed ``<origin>/feed/@user``.
    """

    username: str
    origin: str
    subdomain: bool = False

    @property
    def label(self) -> str:
        return f"@{self.username}"

    @property
    def graphql_url(self) -> str:
        return f"{self.origin}/_/graphql"

    @property
    def feed_url(self) -> str:
        return f"{self.origin}/feed" if self.subdomain else f"{self.origin}/feed/@{self.username}"


@dataclass(frozen=True)
class ListedPost:
    post_id: str
    url: str
    title: str = ""


@dataclass(frozen=True)
class ListingPage:
    posts: list[ListedPost]
    next_from: str | None


@dataclass(frozen=True)
class AccountEntry(ListEntry):
    """A post named by an account's listing (``line`` is its place in the listing)."""


@dataclass(frozen=True)
class ListingStopped(ListProblem):
    """The listing failed after its first page: reported as one failed input."""

    def __str__(self) -> str:
        return self.reason


# --- what the argument names ----------------------------------------------------------------


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def account_for(arg: str, medium_origin: str = "https://medium.com") -> Account | None:
    """The account named by ``@user`` (on ``medium_origin``), ``<site>/@user[/…]`` without a
    post id, or a ``user.medium.com`` root; None for anything else (a post, a publication, a
    custom domain, whose root must be fetched to know)."""
    text = arg.strip()
    handle = _HANDLE_RE.fullmatch(text)
    if handle:
        return Account(handle.group(1), medium_origin.rstrip("/"))
    if not is_http_url(text):
        return None
    url = strip_tracking(text)
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if post_id_from_url(url) and len(segments) > 1:
        return None
    if segments and segments[0] == "feed":
        return None
    if segments and _HANDLE_RE.fullmatch(segments[0]):
        return Account(segments[0][1:], origin_of(url))
    name = host(url)
    if name.endswith(".medium.com") and not segments and name.count(".") == 2:
        return Account(name.split(".", 1)[0], origin_of(url), subdomain=True)
    return None


def profile_username(html: str) -> str | None:
    """The username of a Medium profile page (its ``al:*:url`` is ``medium://@user``), else None
    (a publication's home page says ``medium://<slug>``)."""
    for tag in _META_RE.findall(html[:200_000]):
        attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR_RE.findall(tag)}
        key = attrs.get("property") or attrs.get("name")
        if key in _APP_URL_KEYS:
            match = _APP_PROFILE_RE.match(attrs.get("content", "").strip())
            if match:
                return match.group(1)
    return None


# --- one page ---------------------------------------------------------------------------------


def listing_payload(
    account: Account, after: str | None, *, responses: bool = False, limit: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    """The request body: a JSON array holding one GraphQL operation."""
    variables: dict[str, Any] = {
        "username": account.username,
        "limit": limit,
        "from": after,
        "responses": responses,
    }
    return [{"operationName": "AccountPosts", "variables": variables, "query": QUERY}]


def _shape(what: str) -> ListingError:
    return ListingError(f"the answer is not the expected listing ({what})")


def parse_listing(data: bytes, account: Account) -> ListingPage:
    """One answer of the endpoint: ``[{"data": {"userResult": …}}]``. Raises `ListingError`."""
    try:
        answer = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        start = data[:200].decode("utf-8", "replace").lstrip()[:1]
        kind = "an HTML page" if start == "<" else "not JSON"
        raise ListingError(f"the answer is {kind}, not the GraphQL listing") from None
    if isinstance(answer, list):
        if not answer or not isinstance(answer[0], dict):
            raise _shape("an empty or odd array")
        answer = answer[0]
    if not isinstance(answer, dict):
        raise _shape("not an object")
    errors = answer.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else errors
        message = first.get("message") if isinstance(first, dict) else first
        text = " ".join(str(message).split())[:160]
        raise ListingError(f"GraphQL errors: {text}")
    result = (
        (answer.get("data") or {}).get("userResult")
        if isinstance(answer.get("data"), dict)
        else None
    )
    if not isinstance(result, dict):
        raise _shape("no data.userResult")
    typename = result.get("__typename", "User")
    if typename != "User":
        raise ListingError(f"no Medium account named {account.label} there ({typename})")
    connection = result.get("homepagePostsConnection")
    if not isinstance(connection, dict) or not isinstance(connection.get("posts"), list):
        raise _shape("no homepagePostsConnection.posts")
    posts = [_listed(item) for item in connection["posts"]]
    paging = connection.get("pagingInfo")
    if not isinstance(paging, dict) or "next" not in paging:
        raise _shape("no pagingInfo.next")
    following = paging["next"]
    if following is None:
        return ListingPage(posts, None)
    if not isinstance(following, dict) or following.get("from") in (None, ""):
        raise _shape("pagingInfo.next without from")
    return ListingPage(posts, str(following["from"]))


def _listed(item: Any) -> ListedPost:
    if not isinstance(item, dict):
        raise _shape("a post that is not an object")
    post_id, url = item.get("id"), item.get("mediumUrl")
    if not isinstance(post_id, str) or not POST_ID_RE.match(post_id):
        raise _shape("a post without a Medium post id")
    if not isinstance(url, str) or not is_http_url(url):
        url = f"https://medium.com/p/{post_id}"
    title = item.get("title")
    return ListedPost(post_id, strip_tracking(url), title if isinstance(title, str) else "")


# --- the whole listing ------------------------------------------------------------------------


def fetch_listing_page(
    session: Any, account: Account, after: str | None, *, responses: bool = False
) -> ListingPage:
    """One page of the listing, fetched. Raises `ListingError` (with the reason, including a
    bot challenge or an HTTP error) for anything but the listing."""
    payload = listing_payload(account, after, responses=responses)
    url = account.graphql_url
    try:
        blob = fetch.post_json(session, url, payload)
    except Blocked as exc:
        status = f" (HTTP {exc.status})" if exc.status else ""
        raise ListingError(f"{url} answered with Cloudflare's bot check{status}") from exc
    except MediumArchiveError as exc:
        raise ListingError(str(exc)) from exc
    return parse_listing(blob.data, account)


def iter_listing(
    account: Account,
    first: ListingPage,
    *,
    session: Any,
    responses: bool = False,
    fetch_page: Callable[..., ListingPage] = fetch_listing_page,
) -> Iterator[AccountEntry | ListingStopped]:
    """Every post of the account as an `AccountEntry`, page after page, each page fetched when
    the previous one is used up. A post listed twice is given once. A page that fails after the
    first ends the listing with a `ListProblem` saying so (the posts listed so far are archived;
    run again to finish: they are skipped then)."""
    seen: set[str] = set()
    page: ListingPage | None = first
    number = 0
    pages = 1
    while page is not None:
        for post in page.posts:
            if post.post_id in seen:
                continue
            seen.add(post.post_id)
            number += 1
            yield AccountEntry(number, post.url, f"post:{post.post_id}", post.post_id)
        if page.next_from is None or pages >= MAX_PAGES:
            return
        try:
            page = fetch_page(session, account, page.next_from, responses=responses)
        except ListingError as exc:
            reason = f"the listing of {account.label} stopped at page {pages + 1}: {exc}"
            yield ListingStopped(number + 1, account.graphql_url, f"{reason}; run again to finish")
            return
        pages += 1
