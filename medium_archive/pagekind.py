"""What a page is: one Medium post, or something to refuse with a clear reason.

`refuse_special_text` runs string checks before parsing (bot challenges, view-source dumps,
account exports, fragments); `check_is_post` refuses a parsed page that is not one Medium post
(profiles, tag and search pages, publication homepages, other sites' pages).
"""

from __future__ import annotations

import re

from .challenge import is_challenge_page
from .errors import Blocked, NotAPost
from .htmlparse import parsable_url
from .pagedata import APP_URL_ID_RE, ParsedPage, as_str
from .urls import host

MEDIUM_IMAGE_HOSTS = (
    "miro.medium.com",
    "cdn-images-1.medium.com",
    "d262ilb51hltx0.cloudfront.net",
    "cdn-static-1.medium.com",
)
_DOCUMENT_TAG_RE = re.compile(r"<(?:html|head|meta)", re.IGNORECASE)
_MEDIUM_FB_APP_ID = "542599432471018"


def looks_like_medium(page: ParsedPage) -> bool:
    """True when the page's content (never its host) says it was rendered by Medium."""
    if any(key.startswith("al:") and value.startswith("medium:") for key, value in page.meta_items):
        return True
    if page.state is not None or any(
        marker in script
        for script in page.scripts
        for marker in ("__APOLLO_STATE__", 'window["obvInit"]', "var GLOBALS")
    ):
        return True
    text = page.text
    if "graf--" in text or "pw-post-" in text:
        return True
    # Images on Medium's CDN alone prove nothing: sites that left Medium (HackerNoon's own
    # platform since 2020) still serve their old images from it. Ask for a Medium head as well.
    return any(h in text for h in MEDIUM_IMAGE_HOSTS) and has_medium_head(page)


def has_medium_head(page: ParsedPage) -> bool:
    """A head tag only Medium writes: its app names or Facebook app id, site name Medium, or a
    canonical URL on medium.com or one of its subdomains."""
    meta = page.meta
    if meta.get("fb:app_id") == _MEDIUM_FB_APP_ID or "Medium" in (
        meta.get("al:ios:app_name"),
        meta.get("twitter:app:name:iphone"),
        meta.get("og:site_name"),
    ):
        return True
    return any(
        host(u) == "medium.com" or host(u).endswith(".medium.com")
        for u in (page.links.get("canonical", ""), meta.get("og:url", ""))
        if parsable_url(u)
    )


def check_is_post(page: ParsedPage) -> None:
    """Raise `NotAPost` for every Medium page that is not one post, and for non-Medium pages."""
    where = page.url or "the page"
    app_urls = [v for k, v in page.meta_items if k in ("al:ios:url", "al:android:url")]
    for app_url in app_urls:
        if not APP_URL_ID_RE.match(app_url.strip()):
            raise NotAPost(f"{where}: {describe_listing(app_url, page)}")
    ld_type = as_str(page.ld.get("@type"))
    if ld_type in ("Organization", "Person", "ProfilePage", "CollectionPage"):
        raise NotAPost(
            f"{where}: this is a Medium publication or profile homepage, not a post; "
            "archive one of its posts' URLs"
        )
    if not looks_like_medium(page):
        raise NotAPost(
            f"{where}: not a Medium page (no Medium app links, state or markup); "
            "only Medium posts can be archived"
        )
    if not page.post_id:
        raise NotAPost(
            f"{where}: a Medium page without a post id (no canonical post URL or app "
            "link); save or give the post's own URL"
        )


def describe_listing(app_url: str, page: ParsedPage) -> str:
    """What kind of non-post Medium page an ``al:*:url`` like ``medium://@user`` names."""
    target = app_url.split("://", 1)[-1].split(":/", 1)[-1].lstrip("/")
    if target.startswith("@"):
        return "this is a Medium profile page, not a post; archive one of its posts' URLs"
    if target.startswith("tag/"):
        return "this is a Medium tag archive page, not a post; archive one of its posts' URLs"
    if target.startswith("search"):
        return "this is a Medium search page, not a post; archive one of its posts' URLs"
    return "this is a Medium publication homepage, not a post; archive one of its posts' URLs"


def refuse_special_text(html: str, url: str, *, checked: bool = False) -> None:
    """String checks before parsing: challenge pages (unless ``checked``: the caller has looked
    already), view-source dumps, exports, fragments."""
    where = url or "the page"
    if not checked and is_challenge_page(html):
        raise Blocked(
            f"{where}: Cloudflare answered with a bot challenge instead of the page; "
            "open it in a browser, save the page and archive the saved file",
            url=url,
        )
    head = html[:20_000]
    if 'class="line-content"' in head and "html-tag" in head:
        raise NotAPost(
            f"{where}: this is a browser view-source dump, not a saved page; "
            "use the browser's Save ParsedPage As, or archive the post's URL"
        )
    if 'class="h-entry"' in html and ("Exported from Medium" in html or "p-canonical" in html):
        raise NotAPost(
            f"{where}: this is a Medium account-export file, not a served page; "
            "use `medium-archive import` on the export"
        )
    if _DOCUMENT_TAG_RE.search(head) is None:
        raise NotAPost(
            f"{where}: not a complete Medium page (a body fragment with no canonical "
            "URL or post id); archive the post's URL or a full saved page"
        )
