"""One post: an input (a post URL, a saved page, an export file) loaded, rendered and written.

The stages every source's items go through are composed by pipeline.py (`pipeline.Runner`);
the ``archive`` command's own inputs go through `archive_one` here.

``archive_one`` composes urls → fetch → extract → render (markdown + front matter) → store and
returns an `Outcome`; it never prints and never raises for a per-post failure, so batch callers can
go on. Nothing here talks to the network directly (fetch.py does) or parses HTML (extract.py does).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from . import decode, embeds, fetch, frontmatter, images, markdown
from .errors import ExtractError, MediumArchiveError, NotAPost, PostGone, SiteNotWritable
from .extract import extract_post
from .model import Post
from .sources import export as export_source
from .store import ArchivedFile, Generator, Site
from .urls import check_url

BodyFormat = Literal["markdown", "html"]


class Status(str, enum.Enum):
    """What happened to one input."""

    ARCHIVED = "archived"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "already archived"
    NOT_MODIFIED = "not modified"
    GONE = "gone"
    CONFLICT = "conflict"
    FAILED = "failed"
    DUPLICATE = "duplicate"  # named again in the same import list
    INVALID = "invalid"  # an import list line that is neither a URL nor an existing file
    SKIPPED_DRAFT = "skipped draft"  # an export or feed draft, without --drafts
    SKIPPED_RESPONSE = "skipped response"  # a response (comment), without --responses


@dataclass(frozen=True)
class Outcome:
    """The result of archiving (or syncing) one input."""

    input: str
    status: Status
    post_id: str = ""
    path: str = ""
    error: str = ""
    warnings: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status in (Status.FAILED, Status.GONE, Status.INVALID)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "post_id": self.post_id or None,
            "status": self.status.value,
            "path": self.path or None,
            "error": self.error or None,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Options:
    """How posts are rendered and written."""

    body_format: BodyFormat = "markdown"
    images: bool = False
    #: Resolve embeds over the network (media pages, gist code); off: from the page alone.
    embeds: bool = False
    #: Where gist requests go instead of https://gist.github.com (tests), '' for the real one.
    gist_base: str = ""


@dataclass(frozen=True)
class Loaded:
    """A post read from its source, with the HTTP validators that re-sync needs."""

    post: Post
    etag: str = ""
    last_modified: str = ""
    fetched_from: str = ""
    #: Embeds resolved over the network: ``_archive.embeds`` (media id → target, title, code).
    embeds: dict[str, Any] = field(default_factory=dict)


def read_saved_page(path: Path) -> str:
    """The text of a saved page: UTF-8 (with or without BOM), else the charset the page declares."""
    data = path.read_bytes()
    return decode.decode_body(data, "")


def load_post(
    source: str,
    *,
    session: Any,
    etag: str = "",
    last_modified: str = "",
) -> Loaded:
    """Read one input into a `Post`: a saved ``.html`` file (a page or an export file) or a URL."""
    path = Path(source).expanduser()
    if path.is_file():
        return load_saved(source)
    url = check_url(source)
    page = fetch.fetch_page(session, url, etag=etag or None, last_modified=last_modified or None)
    if page.not_modified:
        raise _NotModified(page.etag, page.last_modified)
    validators = page.etag or "", page.last_modified or ""
    return load_fetched(page.text, page.final_url, source, *validators)


def load_saved(source: str) -> Loaded:
    """Read a saved ``.html`` file (a page or an account-export post) into a `Post`."""
    path = Path(source).expanduser()
    try:
        html = read_saved_page(path)
    except OSError as exc:
        raise MediumArchiveError(f"{source}: cannot read the file ({exc.strerror})") from exc
    if export_source.looks_like_export(html):
        item = export_source.parse_export_post(html, path.name)
        if item.kind == "error":
            raise ExtractError(f"{source}: {item.error.removeprefix(path.name + ': ')}")
        exported = item.post
        if exported is None:
            raise NotAPost(f"{source}: an account-export page that is not a post; skip it")
        post = exported
    else:
        post = extract_post(html, source)
    return Loaded(dataclasses.replace(post, source=source))


def load_fetched(
    html: str,
    final_url: str,
    source: str,
    etag: str = "",
    last_modified: str = "",
    *,
    checked: bool = False,
) -> Loaded:
    """A fetched page's text into a `Post`, keeping the validators re-sync needs.

    ``checked``: the text was already checked for a bot challenge (`fetch.page_text`).
    """
    post = extract_post(html, final_url, checked=checked)
    return Loaded(
        dataclasses.replace(post, source=source),
        etag=etag,
        last_modified=last_modified,
        fetched_from=final_url,
    )


class _NotModified(Exception):
    def __init__(self, etag: str | None, last_modified: str | None) -> None:
        super().__init__("not modified")
        self.etag = etag or ""
        self.last_modified = last_modified or ""


def render_body(post: Post, body_format: BodyFormat) -> str:
    """The post's body as Markdown, or as sanitised HTML for ``--body html``."""
    if body_format == "html":
        return markdown.render_html(post.body)
    return markdown.render_markdown(post.body)


def archive_meta(loaded: Loaded) -> dict[str, Any]:
    """The ``_archive`` front-matter map: what re-sync needs (shape in frontmatter.py).

    ``contentHash`` is added when the file is written (`frontmatter.dumps_with_hash`).
    """
    meta: dict[str, Any] = {}
    if loaded.fetched_from:
        meta["fetchedFrom"] = loaded.fetched_from
    if loaded.etag:
        meta["etag"] = loaded.etag
    if loaded.last_modified:
        meta["lastModified"] = loaded.last_modified
    if loaded.embeds:
        meta["embeds"] = dict(loaded.embeds)
    return meta


@dataclass(frozen=True)
class Prepared:
    """A post rendered and ready to write (a `store.RenderedPost`): the CPU work done, nothing
    written yet.

    Small and picklable, so imports can render in worker processes and write here. ``text`` is
    the file at ``rel_path`` and ``content_hash`` its ``_archive.contentHash``, made once where
    the post is rendered.
    """

    source: str
    post_id: str
    rel_path: str
    meta: dict[str, Any]
    body: str
    warnings: tuple[str, ...] = ()
    text: str = ""
    content_hash: str = ""


def prepare_post(loaded: Loaded, *, site: Site, options: Options, source: str) -> Prepared:
    """Render one loaded post into its front matter and body, and the path it belongs at."""
    post = loaded.post
    if not post.date_published and not post.draft:
        raise ExtractError(
            f"{source}: no publication date in the page (JSON-LD, embedded data, byline or meta); "
            "save the complete page from a browser, or archive the post's URL",
            field="datePublished",
        )
    rel_path = site.path_for(post)
    post = resolve_embeds(loaded, session=None, options=options).post  # from the page alone
    body = render_body(post, options.body_format)
    meta = frontmatter.front_matter(
        post,
        source_path=rel_path,
        body_markdown=body,
        archive=archive_meta(loaded),
        generator=site.generator,
    )
    text, digest = frontmatter.dumps_hashed({**meta, "sourcePath": rel_path}, body)
    return Prepared(source, post.id, rel_path, meta, body, post.warnings, text, digest)


@functools.lru_cache(maxsize=8)
def _site_at(site_root: str, generator: Generator | None = None) -> Site:
    """The `Site` a worker process names paths in (only `Site.path_for`, which reads nothing
    from disk, is used there: one instance per root, not one resolved path per page)."""
    return Site(Path(site_root), generator)


def prepare_at(
    loaded: Loaded,
    site_root: str,
    options: Options,
    source: str,
    generator: Generator | None = None,
) -> Prepared:
    """Render a loaded post (pure CPU; safe to run in a worker process)."""
    site = _site_at(site_root, generator)
    return prepare_post(loaded, site=site, options=options, source=source)


def localize(loaded: Loaded, *, site: Site, session: Any, download: bool = True) -> Loaded:
    """The post with its images saved in the site (``--images``): under ``assets/<post-id>/``,
    or beside a Hugo post in its bundle.

    Runs where the post was fetched (it makes requests), before the post is rendered; an image
    that cannot be saved keeps its remote URL and adds a warning to the post.
    """
    if session is None:  # a saved page archived without a session: its images still need one
        with fetch.make_session() as own:
            return localize(loaded, site=site, session=own, download=download)
    post, warnings = images.localize_images(
        loaded.post, site=site, session=session, download=download, fetched_from=loaded.fetched_from
    )
    if warnings:
        post = dataclasses.replace(post, warnings=(*post.warnings, *warnings))
    return dataclasses.replace(loaded, post=post)


def recorded_embeds(known: ArchivedFile | None) -> Mapping[str, Any] | None:
    """The ``_archive.embeds`` of an archived file (what an earlier run resolved), if any."""
    found = known.archive.get("embeds") if known is not None else None
    return found if isinstance(found, Mapping) else None


def embed_origin(loaded: Loaded) -> str:
    """The origin a post's media pages are fetched from: where the post was fetched, else
    its canonical URL's (``https://<host>``)."""
    for url in (loaded.fetched_from, loaded.post.url):
        parts = urlsplit(url or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return "https://medium.com"


def resolve_embeds(
    loaded: Loaded,
    *,
    session: Any,
    options: Options,
    known: Mapping[str, Any] | None = None,
) -> Loaded:
    """The post with its embeds resolved (`embeds.resolve_embeds`): over the network with
    ``session`` when ``options.embeds`` (each media id and gist once per run, in the thread
    that fetches), else from the page alone and ``known`` (the ``_archive.embeds`` of the
    archived file). An embed that cannot be had keeps its link and adds one warning to the
    post. What took the network is kept in `Loaded.embeds` for ``_archive.embeds``."""
    resolver = None
    if session is not None and options.embeds:
        resolver = embeds.resolver_for(session, gist_base=options.gist_base)
    post = loaded.post
    records: dict[str, Any] = {}
    body, warnings = embeds.resolve_embeds(
        post.body, origin=embed_origin(loaded), resolver=resolver, known=known, records=records
    )
    records = {**loaded.embeds, **records}
    if body == post.body and not warnings and records == loaded.embeds:
        return loaded
    post = dataclasses.replace(post, body=body, warnings=(*post.warnings, *warnings))
    return dataclasses.replace(loaded, post=post, embeds=records)


def load_page(page: fetch.Page, source: str) -> Loaded:
    """A fetched page (decoded here when fetched undecoded) into a `Post`, with its validators."""
    validators = page.etag or "", page.last_modified or ""
    text = fetch.page_text(page)  # decoding a raw page checks it for a bot challenge
    return load_fetched(text, page.final_url, source, *validators, checked=bool(page.raw))


def needs_fetching(loaded: Loaded, options: Options) -> bool:
    """True when the post has requests to make before it is rendered: images to save
    (``--images``) or embeds that only the network can resolve."""
    return options.images or (options.embeds and embeds.needs_network(loaded.post.body))


def parse_page(
    page: fetch.Page,
    source: str,
    site_root: str,
    options: Options,
    generator: Generator | None = None,
    whole: bool = True,
) -> Prepared | Loaded:
    """Decode, extract and render a fetched page (pure CPU; safe to run in a worker process);
    unless ``whole``, a post that `needs_fetching` comes back loaded, for the fetching thread to
    finish."""
    return _rendered(load_page(page, source), source, site_root, options, generator, whole)


def parse_saved(
    source: str,
    site_root: str,
    options: Options,
    generator: Generator | None = None,
    whole: bool = True,
) -> Prepared | Loaded:
    """Read and render a saved file (pure CPU and reads; safe to run in a worker process), as
    `parse_page` does."""
    return _rendered(load_saved(source), source, site_root, options, generator, whole)


def _rendered(
    loaded: Loaded,
    source: str,
    site_root: str,
    options: Options,
    generator: Generator | None,
    whole: bool,
) -> Prepared | Loaded:
    if not whole and needs_fetching(loaded, options):
        return loaded
    return prepare_at(loaded, site_root, options, source, generator)


def write_prepared(prepared: Prepared, *, site: Site) -> Outcome:
    """Write a rendered post; the file is found by post id and renamed if needed."""
    result = site.write_post(prepared)
    status = {
        "created": Status.ARCHIVED,
        "updated": Status.UPDATED,
        "unchanged": Status.UNCHANGED,
    }[result.status]
    return Outcome(
        prepared.source, status, prepared.post_id, str(result.path), warnings=prepared.warnings
    )


def save_post(loaded: Loaded, *, site: Site, options: Options, source: str) -> Outcome:
    """Render and write one loaded post; the file is found by post id and renamed if needed."""
    prepared = prepare_post(loaded, site=site, options=options, source=source)
    return write_prepared(prepared, site=site)


def failure(source: str, exc: MediumArchiveError) -> Outcome:
    """The outcome of an input that could not be archived: GONE for 404/410, else FAILED."""
    status = Status.GONE if isinstance(exc, PostGone) else Status.FAILED
    return Outcome(source, status, error=str(exc))


def archive_one(
    source: str,
    *,
    site: Site,
    session: Any,
    options: Options = Options(),
    validators: Mapping[str, str] | None = None,
) -> Outcome:
    """Archive one input; every domain error becomes a FAILED (or GONE) outcome, except
    `SiteNotWritable` (a full disk, a read-only site), which is raised: nothing more can be
    written."""
    validators = validators or {}
    try:
        loaded = load_post(
            source,
            session=session,
            etag=validators.get("etag", ""),
            last_modified=validators.get("lastModified", ""),
        )
        known = site.find(loaded.post.id) if loaded.post.id else None
        loaded = resolve_embeds(
            loaded, session=session, options=options, known=recorded_embeds(known)
        )
        if options.images:
            loaded = localize(loaded, site=site, session=session)
        return save_post(loaded, site=site, options=options, source=source)
    except _NotModified:
        return Outcome(source, Status.NOT_MODIFIED)
    except SiteNotWritable:
        raise  # no other input can be written either: the caller stops
    except MediumArchiveError as exc:
        return failure(source, exc)
