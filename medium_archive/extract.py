"""Served Medium page -> `Post`: the metadata cascade.

`extract_post(html, url)` refuses what is not a single post (`pagekind`: `NotAPost`,
`Blocked`), reads the page once (`pagedata.build_page`), and fills each field with a small
``extract_<field>`` function that asks the sources in order: JSON-LD, then the embedded state
(``var GLOBALS``, ``window["obvInit"]``, ``window.__APOLLO_STATE__``), then meta tags, then the
DOM. A broken source falls through. Title, subtitle and description are `titles`' cascade, the
language `language`'s; the article body is read by `paragraphs` or `body`. No network, no
files, no YAML.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.etree

from . import body, paragraphs
from .dates import iso_from_epoch_ms, iso_from_text
from .document import Document
from .document import Image as DocImage
from .htmlparse import parsable_url
from .language import extract_language
from .model import MEDIUM_FAVICON, MEDIUM_PUBLISHER, AppLink, Author, Post, Publisher
from .pagedata import JsonDict, ParsedPage, as_str, build_page, element_text, ld_person, state_ref
from .pagekind import MEDIUM_IMAGE_HOSTS, check_is_post, refuse_special_text
from .text import norm
from .titles import (
    MEDIUM_SUFFIXES,
    TITLE_SEPARATORS,
    extract_description,
    extract_subtitle,
    extract_title,
    first_text_block,
    in_body_title,
)
from .urls import absolute, host, strip_tracking

_TAG_PREFIX_RE = re.compile(r"^[A-Za-z]+:")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
#: A byline date, ``Aug 8, 2016`` or ``August 8, 2016``. No word boundary is asked for before
#: the month: a page saved without the whitespace between tags reads ``5 min readAug 8, 2016``.
_MONTH_PATTERN = (
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"(?:uary|ruary|ch|il|e|y|ust|t|tember|ober|ember)?\.?"
)
_BYLINE_DATE_RE = re.compile(_MONTH_PATTERN + r" ?(\d{1,2}), ?(\d{4})")  # "20153 min read"
#: A byline date of the current year, which Medium shows without the year: ``Oct 29``.
_BYLINE_DAY_RE = re.compile(_MONTH_PATTERN + r" ?(\d{1,2})(?![\d,])")
_MEDIUM_PROFILE_RE = re.compile(r"^https://medium\.com/@[^/?#]+/?$")
_METERED_XPATH = lxml.etree.XPath('/descendant::article[contains(@class, "meteredContent")][1]')


def extract_authors(page: ParsedPage) -> tuple[Author, ...]:
    """The author: name, absolute profile URL and avatar."""
    person = ld_person(page)
    creator = state_ref(page, "creator")
    name = norm(
        as_str(person.get("name")) or as_str(creator.get("name")) or page.meta.get("author")
    )
    base = page.canonical or page.url
    found = [
        absolute(strip_tracking(candidate), base)
        for candidate in (
            as_str(person.get("url")),
            page.links.get("author", ""),
            page.meta.get("article:author", ""),
        )
        if candidate.startswith(("http://", "https://", "/@", "//"))
        and "facebook.com" not in candidate
        and parsable_url(candidate)
        and parsable_url(base)
    ]
    # FORMAT.md: "https://medium.com/@user where the page gives that form" (JSON-LD may give
    # the same profile on a publication subdomain: humanparts.medium.com/@user).
    url = next((u for u in found if _MEDIUM_PROFILE_RE.match(u)), found[0] if found else "")
    if not url:
        url = header_author_link(page, base)
    if not url and as_str(creator.get("username")):
        url = f"https://medium.com/@{creator['username']}"
    if not name:
        return ()
    return (Author(name=name, url=url.rstrip("/"), avatar=extract_avatar(page, name, creator)),)


def header_author_link(page: ParsedPage, base: str) -> str:
    for href in page.tree.xpath('//a[starts-with(@href, "/@") or contains(@href, ".com/@")]/@href'):
        if parsable_url(str(href)) and parsable_url(base):
            return absolute(strip_tracking(str(href)), base)
    return ""


def extract_avatar(page: ParsedPage, name: str, creator: JsonDict) -> str:
    """The author's avatar: the page's own image, else built from the state image id."""
    alts = (name, f"Go to the profile of {name}")
    for img in page.tree.iter("img"):
        if img.get("alt") in alts:
            src = img.get("src") or img.get("data-src") or ""
            if src.startswith(("http://", "https://")) and parsable_url(src):
                return src
    image_id = as_str(creator.get("imageId"))
    return f"https://miro.medium.com/fit/c/400/400/{image_id}" if image_id else ""


def extract_publisher(page: ParsedPage, title: str) -> Publisher:
    """The publication (JSON-LD, state, custom domain, URL path), else Medium itself."""
    name, url = publisher_name_url(page, title)
    if not name or not url or not parsable_url(url):
        return MEDIUM_PUBLISHER
    url = url.rstrip("/")
    favicon = page.links.get("icon") or page.links.get("shortcut icon") or MEDIUM_FAVICON
    if not parsable_url(favicon):
        favicon = MEDIUM_FAVICON
    return Publisher(name=name, url=url, favicon=favicon, domain=host(url))


def publisher_name_url(page: ParsedPage, title: str) -> tuple[str, str]:
    publisher = page.ld.get("publisher")
    if isinstance(publisher, dict):
        name, url = norm(as_str(publisher.get("name"))), as_str(publisher.get("url"))
        if name and url and name != "Medium":
            return name, url if "://" in url else "https://" + url.lstrip("/")
    collection = state_ref(page, "collection")
    if collection.get("name"):
        domain, slug = as_str(collection.get("domain")), as_str(collection.get("slug"))
        url = f"https://{domain}" if domain else (f"https://medium.com/{slug}" if slug else "")
        if url:
            return norm(collection["name"]), url
    canonical = page.canonical
    parts = urlsplit(canonical)
    site = norm(page.meta.get("og:site_name"))
    if parts.hostname and host(canonical) != "medium.com":
        if host(canonical).endswith(".medium.com") and not site_suffix(page, title):
            return "", ""  # a user subdomain (erik-engheim.medium.com) is a personal post
        return (
            site if site and site != "Medium" else site_suffix(page, title)
        ), f"https://{parts.hostname}"
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and not segments[0].startswith("@") and segments[0] != "p":
        return site_suffix(page, title), f"https://medium.com/{segments[0]}"
    return "", ""


def site_suffix(page: ParsedPage, title: str) -> str:
    """The publication name from the ``<title>``: ``T – Pub – Medium``, ``T | by A | Pub``."""
    raw = norm(page.title_tag or page.meta.get("title", ""))
    for suffix in MEDIUM_SUFFIXES:
        if raw.endswith(suffix):
            raw = raw[: -len(suffix)].rstrip()
            break
    if " | by " in raw:
        parts = raw.split(" | by ", 1)[1].split(" | ")
        return parts[1] if len(parts) > 1 else ""
    authors = {norm(page.meta.get("author")), norm(as_str(ld_person(page).get("name")))}
    for sep in TITLE_SEPARATORS:
        if title and raw.startswith(title + sep):
            rest = raw[len(title) + len(sep) :]
            return "" if rest in authors else rest
    return ""


def extract_tags(page: ParsedPage) -> tuple[str, ...]:
    """Tag display names in page order: JSON-LD keywords, state tags, the post's /tag/ links."""
    keywords = page.ld.get("keywords")
    if isinstance(keywords, list) and keywords:
        words = [k for k in keywords if isinstance(k, str)]
        if any(_TAG_PREFIX_RE.match(k) for k in words):
            tags = [k[4:] for k in words if k.startswith("Tag:")]
        else:
            tags = words
        if tags:
            return tuple(norm(t) for t in tags)
    state_tags = tags_from_state(page)
    if state_tags:
        return state_tags
    return tags_from_links(page)


def tags_from_state(page: ParsedPage) -> tuple[str, ...]:
    state = page.state
    if state is None:
        return ()
    if state.kind == "apollo":
        raw = state.post.get("tags")
        items = [state.resolve(ref) for ref in raw] if isinstance(raw, list) else []
        return tuple(norm(as_str(t.get("displayTitle"))) for t in items if t.get("displayTitle"))
    virtuals = state.post.get("virtuals")
    raw = virtuals.get("tags") if isinstance(virtuals, dict) else None
    if not isinstance(raw, list):
        return ()
    return tuple(norm(as_str(t.get("name"))) for t in raw if isinstance(t, dict) and t.get("name"))


def tags_from_links(page: ParsedPage) -> tuple[str, ...]:
    """The post's own tag links: footer links (``?source=post``) or ones tagged with its id."""
    tags: list[str] = []
    first_article = next(iter(page.tree.iter("article")), None)
    for a in page.tree.xpath('//a[contains(@href, "/tag/")]'):
        href = a.get("href") or ""
        card = a.xpath("ancestor::article[1]")
        if card and card[0] is not first_article:
            continue  # a related-story card
        own = (
            href.endswith("?source=post")
            or (page.post_id and f"-----{page.post_id}" in href)
            or (href.startswith("/tag/") and a.getparent().tag == "li")
            or bool(a.xpath('ancestor::*[contains(@class, "postTags")]'))
        )
        name = element_text(a)
        if own and name and name not in tags:
            tags.append(name)
    return tuple(tags)


def extract_app_links(page: ParsedPage) -> tuple[AppLink, ...]:
    """One AppLink per platform of the ``al:*`` meta tags, in page order, values verbatim."""
    order: list[str] = []
    values: dict[str, dict[str, str]] = {}
    for key, value in page.meta_items:
        parts = key.split(":")
        if len(parts) != 3 or parts[0] != "al":
            continue
        platform, prop = parts[1], parts[2]
        if platform not in ("ios", "android", "web"):
            continue
        if platform not in values:
            order.append(platform)
            values[platform] = {}
        if prop in ("url", "app_store_id", "app_name", "package"):
            values[platform].setdefault(prop, value.strip())
    return tuple(AppLink(type=p, **values[p]) for p in order)


_IMAGE_ID_IN_URL_RE = re.compile(r"/([0-9]\*[\w.-]+)$")


def full_resolution(image: str, page: ParsedPage, document: Document) -> str:
    """A Medium CDN image URL at full resolution, by the body images' rule: the body's own URL
    for the same image when the body shows it, else the image id at its original width (the
    social-card crops og:image names are 1200 px wide). Other URLs are kept."""
    parts = urlsplit(image)
    found = _IMAGE_ID_IN_URL_RE.search(parts.path)
    if parts.hostname not in MEDIUM_IMAGE_HOSTS or found is None:
        return image
    image_id = found.group(1)
    for block in document.blocks:
        if isinstance(block, DocImage) and block.src.endswith("/" + image_id):
            return block.src
    return paragraphs.image_url(image_id, state_image_width(page, image_id))


def state_image_width(page: ParsedPage, image_id: str) -> int:
    """The original width of an image the embedded state describes (0 when unknown)."""
    state = page.state
    if state is None:
        return 0
    if state.kind == "apollo":
        meta = state.refs.get(f"ImageMetadata:{image_id}") or state.refs.get(
            f"$ImageMetadata:{image_id}"
        )
    else:
        virtuals = state.post.get("virtuals")
        meta = virtuals.get("previewImage") if isinstance(virtuals, dict) else None
        if not isinstance(meta, dict) or meta.get("imageId") != image_id:
            meta = None
    width = meta.get("originalWidth") if isinstance(meta, dict) else None
    return width if isinstance(width, int) and not isinstance(width, bool) and width > 0 else 0


def extract_image(page: ParsedPage) -> str:
    """The lead image: og:image, else JSON-LD image."""
    og = page.meta.get("og:image") or page.meta.get("twitter:image:src") or ""
    if og.startswith(("http://", "https://")) and parsable_url(og):
        return og
    image = page.ld.get("image")
    if isinstance(image, list) and image:
        image = image[0]
    if isinstance(image, dict):
        image = image.get("url")
    return as_str(image) if parsable_url(as_str(image)) else ""


def extract_date_published(page: ParsedPage) -> str:
    """First publication: JSON-LD, state firstPublishedAt, header time, pre-2019 meta, byline."""
    found = iso_from_text(page.ld.get("datePublished"))
    if found:
        return found
    if page.state is not None:
        found = iso_from_epoch_ms(page.state.post.get("firstPublishedAt"))
        if found:
            return found
    for value in page.tree.xpath(
        "//header//time/@datetime | //*[contains(@class, 'postMetaInline')]//time/@datetime"
    ):
        found = iso_from_text(str(value))
        if found:
            return found
    meta = iso_from_text(page.meta.get("article:published_time"))
    if meta and not page.modern:
        # A render time (".000" milliseconds) stands in for the date on some captures
        # (OBSERVATIONS: fetchedData); the byline the page shows wins over it.
        shown = byline_day(page) if meta.endswith(".000Z") else ""
        return shown if shown and shown != meta[:10] else meta
    return byline_day(page) or byline_day_this_year(page, meta)


def byline_day(page: ParsedPage) -> str:
    """``YYYY-MM-DD`` from the visible byline date (``Aug 8, 2016``), or ''."""
    nodes = page.tree.xpath(
        '//*[contains(@class, "pw-published-date") or contains(@class, "postMetaInline")]'
    )
    if page.post_id:
        nodes += page.tree.xpath(f'//a[contains(@href, "-----{page.post_id}")]')
    nodes += page.tree.xpath("(//article)[1]")
    for node in nodes:
        text = element_text(node)[:3000]
        match = _BYLINE_DATE_RE.search(text)
        if match:
            month = _MONTHS.index(match.group(1)) + 1
            return f"{match.group(3)}-{month:02d}-{int(match.group(2)):02d}"
    return ""


def byline_day_this_year(page: ParsedPage, meta: str) -> str:
    """``YYYY-MM-DD`` from a byline date without a year (``Oct 29``: Medium leaves out the year
    of the page's own time) on a 2019+ page, the year taken from its ``article:published_time``
    (the latest publication, which falls in that same year); '' without such a byline (the meta
    date of 2019+ markup is never a first-publish date itself)."""
    if not meta:
        return ""
    nodes = page.tree.xpath('//*[contains(@class, "pw-published-date")]')
    if page.post_id:
        nodes += page.tree.xpath(f'//a[contains(@href, "-----{page.post_id}")]')
    for node in nodes:
        match = _BYLINE_DAY_RE.search(element_text(node)[:300])
        if match:
            month = _MONTHS.index(match.group(1)) + 1
            day = int(match.group(2))
            if 1 <= day <= 31:
                return f"{meta[:4]}-{month:02d}-{day:02d}"
    return ""


def extract_date_modified(page: ParsedPage) -> str:
    """JSON-LD dateModified, else the state's updatedAt, else ''."""
    found = iso_from_text(page.ld.get("dateModified"))
    if found:
        return found
    if page.state is not None:
        return iso_from_epoch_ms(page.state.post.get("updatedAt"))
    return ""


def extract_is_paywalled(page: ParsedPage) -> bool:
    """Any member-only marker for this post (OBSERVATIONS §5)."""
    free = page.ld.get("isAccessibleForFree")
    if free is False or (isinstance(free, str) and free.lower() == "false"):
        return True
    state = page.state
    if state is not None and (
        state.post.get("isLocked") is True
        or state.post.get("visibility") == "LOCKED"
        or state.post.get("isSubscriptionLocked") is True
    ):
        return True
    if _METERED_XPATH(page.tree):
        return True
    return "free member-only stories left this month" in page.text


def extract_document(page: ParsedPage, url: str, title: str, subtitle: str) -> Document:
    """The body: read from Medium's paragraph model when the page embeds the post's whole model
    (`model_is_whole`), else from the page's HTML."""
    state = page.state
    if state is not None:
        model = paragraphs.find_model(state.kind, state.post, state.resolve)
        if model is not None and model_is_whole(page, model):
            return paragraphs.read_model(model, url=url, title=title, subtitles=(subtitle,))
    return body.extract_body(page.tree, url)


#: Paragraph names the HTML shows: E1-E3 grafs' ``name``, E4/E5 blocks' ``id`` (4 hex digits).
_NAMED_BLOCKS_XPATH = lxml.etree.XPath(
    "//*[contains(@class, 'graf')]/@name | //article//*[@id][self::p or self::h1 or self::h2"
    " or self::h3 or self::h4 or self::li or self::pre or self::blockquote or self::figure]/@id"
)
_PARAGRAPH_NAME_RE = re.compile(r"^[0-9a-f]{4}$")


def model_is_whole(page: ParsedPage, model: paragraphs.Model) -> bool:
    """True unless the HTML shows paragraphs the model lacks (some Apollo states hold only the
    first few paragraphs of a body the HTML shows whole, OBSERVATIONS: mtg) or the model's
    images have no ids. A member-only preview cut in both passes."""
    if not model.images_known():
        return False
    names = model.names()
    shown = {str(n) for n in _NAMED_BLOCKS_XPATH(page.tree) if _PARAGRAPH_NAME_RE.match(str(n))}
    missing = len(shown - names) if names else len(shown)
    return missing <= max(3, len(shown) // 10)


def state_paragraph_count(page: ParsedPage) -> int:
    """How many paragraphs the embedded state says the post has (0 when unknown)."""
    state = page.state
    if state is None:
        return 0
    if state.kind == "obvinit":
        content = state.post.get("content")
        model = content.get("bodyModel") if isinstance(content, dict) else None
        paragraphs = model.get("paragraphs") if isinstance(model, dict) else None
        return len(paragraphs) if isinstance(paragraphs, list) else 0
    counts = [0]
    for key, content in state.post.items():  # ``content({"postMeteringOptions":…})``
        if key.startswith("content") and isinstance(content, dict):
            model = state.resolve(content.get("bodyModel"))
            paragraphs = model.get("paragraphs")
            if isinstance(paragraphs, list):
                counts.append(len(paragraphs))
    return max(counts)


def shown_paragraph_count(page: ParsedPage) -> int:
    """Body blocks the HTML shows: named grafs (E1–E3) or id-carrying blocks (E4/E5)."""
    grafs = page.tree.xpath("count(//*[contains(@class, 'graf')][@name])")
    blocks = page.tree.xpath(
        "count(//article//*[@id][self::p or self::h1 or self::h2 or self::h3 or self::h4"
        " or self::li or self::pre or self::blockquote or self::figure])"
    )
    return int(max(grafs, blocks))


def is_truncated(page: ParsedPage, paywalled: bool) -> bool:
    """Paywalled and cut: the state has more paragraphs than the HTML shows (the Apollo state
    may also hold FEWER, mtg: only a much shorter HTML body counts)."""
    if not paywalled:
        return False
    expected = state_paragraph_count(page)
    if not expected:
        return False
    return shown_paragraph_count(page) < expected // 2


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------


def extract_post(html: str, url: str, *, checked: bool = False) -> Post:
    """Extract one post from a served page. Raises `Blocked` or `NotAPost`.

    ``checked``: the caller already ran `is_challenge_page` on ``html`` (`fetch.page_text`),
    so the bot-challenge check is not repeated.
    """
    refuse_special_text(html, url, checked=checked)
    page = build_page(html, url)
    check_is_post(page)
    title_el = in_body_title(page)
    subtitle = extract_subtitle(page, title_el)
    paywalled = extract_is_paywalled(page)
    truncated = is_truncated(page, paywalled)
    warnings = (
        ("the body looks cut by Medium's paywall: only the free part was archived",)
        if (truncated)
        else ()
    )
    title = extract_title(page, title_el)
    document = extract_document(page, page.canonical or url, title, subtitle)
    return Post(
        id=page.post_id,
        url=page.canonical,
        title=title,
        body=document,
        date_published=extract_date_published(page),
        date_modified=extract_date_modified(page),
        subtitle=subtitle,
        description=extract_description(page, subtitle, first_text_block(page, title_el)),
        authors=extract_authors(page),
        publisher=extract_publisher(page, title),
        tags=extract_tags(page),
        language=extract_language(page, document),
        app_links=extract_app_links(page),
        image=full_resolution(extract_image(page), page, document),
        is_paywalled=paywalled,
        truncated=truncated,
        source=url,
        warnings=warnings,
    )
