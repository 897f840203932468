"""The one pipeline: every source's items to files in the site.

Sources are adapters (`items`): a list of URLs or saved files and an account's listing
(sources/urllist.py, sources/account.py), an account export and a feed (accounts.py), and the
site's own index for ``sync`` (sync.py). `run_items` runs their items through one `Runner`
(its ``__call__`` is the function every item goes through) on the batch runner's threads:

1. skip a post already in the site (known by its post id, before any request; unless
   ``refresh``);
2. fetch (conditionally when the archived file holds validators; ``not modified`` on 304), or
   read the saved file, or take the post its source already parsed (``--enrich``: with what its
   live page adds);
3. parse (decode, extract) and render in the parse worker processes when ``parse_processes`` > 0
   (CPU work that holds the GIL); a post with requests to make comes back to its fetching thread
   for them in between;
4. resolve embeds (``--embeds``; what an earlier run recorded otherwise) and save images
   (``--images``), in the fetching thread;
5. ``sync`` only: compare with the archived file (``unchanged``, ``conflict``, dry runs);
6. write through the `WriteGate`, so that a stopped batch leaves no file half written.

One `Settings` says how, for every source.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import archive, fetch, frontmatter
from .archive import Loaded, Options, Outcome, Prepared, Status
from .batch import DEFAULT_GRACE, Done, WriteGate, make_parse_pool, run_batch
from .changes import body_format_of, describe_changes, fetch_url_of, is_edited, recorded_embeds_of
from .errors import MediumArchiveError, PostGone, SiteNotWritable
from .extract import extract_post
from .items import FetchItem, Item, ParsedItem, SavedItem, SyncedItem, Work
from .model import Post
from .sources import urllist
from .sources.urllist import ListEntry, ListProblem
from .store import ArchivedFile, Site, with_suffix_id

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Settings:
    """How a run goes, for every source (``import``, ``sync``)."""

    jobs: int = 4
    #: Fetch posts already in the site again (conditionally), and update them.
    refresh: bool = False
    options: Options = field(default_factory=Options)
    #: Worker processes for extracting and rendering; 0 renders in the fetching threads.
    parse_processes: int = 0
    #: Exports and feeds: archive drafts and responses too; enrich export posts.
    drafts: bool = False
    responses: bool = False
    enrich: bool = False
    #: ``sync``: overwrite files edited by hand; compare only, write nothing.
    force: bool = False
    dry_run: bool = False
    #: ``sync``: each file keeps its own body format, and its images as archived.
    keep_body_format: bool = False
    keep_images: bool = False


#: How ``import`` runs unless told.
DEFAULT_SETTINGS = Settings()


def _live_url(post: Post) -> str:
    return post.url


class Parser:
    """Runs the CPU part of archiving a post (decoding, extracting, rendering), here or in the
    process pool; a post with requests to make comes back as `Loaded` for them."""

    def __init__(self, pool: Executor | None, site: Site, options: Options) -> None:
        self.pool = pool
        self.site_root = str(site.root)
        self.generator = site.generator
        self.options = options

    def _run(self, fn: Callable[..., R], *args: Any) -> R:
        if self.pool is None:
            return fn(*args)
        return self.pool.submit(fn, *args).result()

    def saved(self, source: str, whole: bool) -> Prepared | Loaded:
        args = (source, self.site_root, self.options, self.generator, whole)
        return self._run(archive.parse_saved, *args)

    def fetched(self, page: fetch.Page, source: str, whole: bool) -> Prepared | Loaded:
        """The page decoded (when fetched undecoded), extracted and rendered."""
        args = (page, source, self.site_root, self.options, self.generator, whole)
        return self._run(archive.parse_page, *args)

    def loaded(self, page: fetch.Page, source: str) -> Loaded:
        """The page decoded and extracted, not rendered."""
        return self._run(archive.load_page, page, source)

    def render(self, loaded: Loaded, source: str, options: Options | None = None) -> Prepared:
        args = (loaded, self.site_root, options or self.options, source, self.generator)
        return self._run(archive.prepare_at, *args)


def enrich_post(
    post: Post,
    *,
    session: Any,
    fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
    live_url: Callable[[Post], str] = _live_url,
) -> tuple[Post, tuple[str, ...]]:
    """The export post with tags, publisher, modified date, language and app links from its
    live page; the export's title and body are kept. When the page cannot be had, the post
    unchanged and a warning."""
    url = live_url(post)
    try:
        page = fetch_page(session, url)
        live = extract_post(page.text, page.final_url)
    except MediumArchiveError as exc:
        return post, (f"--enrich: kept the export's content only ({exc})",)
    if live.id and live.id != post.id:
        return post, (f"--enrich: {url} is post {live.id}, not {post.id}; kept the export's",)
    merged = dataclasses.replace(
        post,
        tags=live.tags or post.tags,
        publisher=live.publisher,
        date_modified=live.date_modified or post.date_modified,
        language=live.language or post.language,
        app_links=live.app_links or post.app_links,
        image=post.image or live.image,
    )
    return merged, ()


def _post_id(item: Item) -> str | None:
    """The post id an item names before it is fetched or parsed, if any."""
    if isinstance(item, ParsedItem):
        return item.post_id or item.post.id
    return item.post_id if isinstance(item, FetchItem) else None


class Runner:
    """The work function of every run: one item in, one `Outcome` out (see the module doc)."""

    def __init__(
        self,
        *,
        site: Site,
        session: Any,
        settings: Settings,
        parser: Parser,
        gate: WriteGate,
        fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
        live_url: Callable[[Post], str] = _live_url,
        index: bool = True,
    ) -> None:
        self.site = site
        self.session = session
        self.settings = settings
        self.parser = parser
        self.gate = gate
        self.fetch_page = fetch_page
        self.live_url = live_url
        #: The site as it was when the run began.
        self.archived: dict[str, ArchivedFile] = site.index() if index else {}
        #: At most ``jobs`` requests at once, though more threads run: see `run_items`.
        self.fetch_slots = threading.BoundedSemaphore(settings.jobs)

    def __call__(self, item: Work) -> Outcome:
        if isinstance(item, Outcome):
            return item  # decided by its source
        if isinstance(item, SyncedItem):
            return self.sync_guarded(item.known)
        try:
            return self.archive(item)
        except SiteNotWritable:
            raise  # the end of the run, not this post's failure (see `run_batch`)
        except MediumArchiveError as exc:
            return archive.failure(item.source, exc)

    # ------------------------------------------------------------ the stages

    def known(self, post_id: str | None) -> ArchivedFile | None:
        return self.archived.get(post_id) if post_id else None

    def skipped(self, source: str, post_id: str | None) -> Outcome | None:
        """SKIPPED for a post already in the site (unless ``refresh``), else None."""
        known = self.known(post_id)
        if known is None or self.settings.refresh:
            return None
        return Outcome(source, Status.SKIPPED, known.post_id, known.path)

    def fetch(self, url: str, validators: Mapping[str, Any]) -> fetch.Page:
        with self.fetch_slots:
            return self.fetch_page(
                self.session,
                url,
                etag=validators.get("etag") or None,
                last_modified=validators.get("lastModified") or None,
                decode=self.parser.pool is None,  # else decoded in the pool
            )

    def localized(
        self,
        loaded: Loaded,
        *,
        recorded: Mapping[str, Any] | None,
        embeds: bool,
        images: bool,
        options: Options,
        download: bool = True,
    ) -> Loaded:
        """The post with its embeds resolved (over the network when ``options.embeds``) and its
        images saved: requests made in this fetching thread."""
        if embeds:
            loaded = archive.resolve_embeds(
                loaded, session=self.session, options=options, known=recorded
            )
        if images:
            loaded = archive.localize(
                loaded, site=self.site, session=self.session, download=download
            )
        return loaded

    def archive(self, item: Item) -> Outcome:
        """Import one item: skipped, not modified, or written."""
        source = item.source
        options = self.settings.options
        network = options.images or options.embeds
        skipped = self.skipped(source, _post_id(item))
        if skipped is not None:
            return skipped  # no request at all
        warnings: tuple[str, ...] = ()
        found: Prepared | Loaded
        if isinstance(item, ParsedItem):
            post = item.post
            if item.enrich:
                post, warnings = enrich_post(
                    post, session=self.session, fetch_page=self.fetch_page, live_url=self.live_url
                )
            found = Loaded(post)
        elif isinstance(item, SavedItem):
            found = self.parser.saved(source, whole=not network)
        else:
            assert isinstance(item, FetchItem)
            found_or_not = self.fetched(item, whole=not network)
            if isinstance(found_or_not, Outcome):
                return found_or_not
            found = found_or_not
        if not isinstance(item, ParsedItem):  # the post id is known now
            found_id = found.post_id if isinstance(found, Prepared) else found.post.id
            skipped = self.skipped(source, found_id)
            if skipped is not None:
                return skipped
        if isinstance(found, Loaded):
            known = self.known(found.post.id)
            loaded = self.localized(
                found,
                recorded=archive.recorded_embeds(known),
                embeds=options.embeds,
                images=options.images,
                options=options,
            )
            found = self.parser.render(loaded, source)
        if warnings:
            found = dataclasses.replace(found, warnings=found.warnings + warnings)
        with self.gate.writing():
            return archive.write_prepared(found, site=self.site)

    def fetched(self, item: FetchItem, *, whole: bool) -> Prepared | Loaded | Outcome:
        """A URL fetched and parsed (rendered too when ``whole``), or NOT_MODIFIED."""
        if item.refused:
            return Outcome(item.source, Status.FAILED, item.post_id or "", error=item.refused)
        known = self.known(item.post_id)
        validators = known.archive if known is not None and not item.plain else {}
        try:
            page = self.fetch(item.source, validators)
            if page.not_modified:
                return Outcome(item.source, Status.NOT_MODIFIED, item.post_id or "")
            if not item.plain:
                return self.parser.fetched(page, item.source, whole)
            page = dataclasses.replace(page, etag=None, last_modified=None)
            return self.parser.loaded(page, item.based_on or item.source)
        except SiteNotWritable:
            raise
        except MediumArchiveError as exc:
            if not item.failure_note:
                raise
            failed = archive.failure(item.source, exc)
            return dataclasses.replace(failed, error=f"{exc} {item.failure_note}")

    # ------------------------------------------------------------ sync

    def sync_guarded(self, known: ArchivedFile) -> Outcome:
        try:
            return self.sync(known)
        except PostGone as exc:
            message = f"{exc}; the archived file {known.path} is kept"
            return Outcome(known.path, Status.GONE, known.post_id, known.path, error=message)
        except SiteNotWritable:
            raise  # the end of the run, not this post's failure (see `batch.run_batch`)
        except MediumArchiveError as exc:
            return Outcome(known.path, Status.FAILED, known.post_id, known.path, error=str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            message = f"{known.path}: cannot read the file ({exc})"
            return Outcome(known.path, Status.FAILED, known.post_id, known.path, error=message)

    def sync(self, known: ArchivedFile) -> Outcome:
        """Fetch an archived post again and update its file when it changed (see sync.py)."""
        settings = self.settings

        def outcome(status: Status, **kw: Any) -> Outcome:
            return Outcome(known.path, status, known.post_id, known.path, **kw)

        text = self.site.read(known.path)
        meta, body = frontmatter.loads(text)
        edited = is_edited(meta, text)
        if edited and not settings.force:
            message = (
                f"{known.path}: edited by hand since it was archived; left alone "
                "(sync --force overwrites it with the post from Medium)"
            )
            return outcome(Status.CONFLICT, error=message)
        url = fetch_url_of(known)
        page = self.fetch(url, {} if edited else known.archive)
        if page.not_modified:
            return outcome(Status.NOT_MODIFIED)
        source = known.is_based_on_url or url
        loaded = self.parser.loaded(page, source)
        # Embeds: fetched again (a dry run fetches none), else as the archived file recorded.
        options = settings.options
        fetch_embeds = options.embeds and not settings.dry_run
        images = options.images
        if settings.keep_images:
            images = self.site.uses_local_images(body, known.post_id)
        loaded = self.localized(
            loaded,
            recorded=recorded_embeds_of(meta),
            embeds=True,
            images=images,
            options=Options(embeds=fetch_embeds, gist_base=options.gist_base),
            download=not settings.dry_run,  # a dry run only links images already saved
        )
        body_format = body_format_of(body) if settings.keep_body_format else options.body_format
        prepared = self.parser.render(loaded, source, Options(body_format=body_format))
        changes = describe_changes(meta, body, prepared.meta, prepared.body)
        target = prepared.rel_path
        if known.path not in (target, with_suffix_id(target, known.post_id)):
            changes = (f"path -> {target}", *changes)
        if not changes:
            return outcome(Status.UNCHANGED, warnings=prepared.warnings)
        if settings.dry_run:
            return outcome(Status.UPDATED, changes=changes, warnings=prepared.warnings)
        with self.gate.writing():
            if self.site.read(known.path) != text:
                message = f"{known.path}: changed on disk while syncing; left alone, sync again"
                return outcome(Status.CONFLICT, error=message)
            result = self.site.write_post(prepared)
        return Outcome(
            known.path,
            Status.UPDATED if result.status != "unchanged" else Status.UNCHANGED,
            known.post_id,
            result.path,
            warnings=prepared.warnings,
            changes=changes,
        )


def run_items(
    items: Iterable[T],
    adapt: Callable[[T], Work],
    *,
    site: Site,
    session: Any,
    settings: Settings,
    on_error: Callable[[T, Exception], Outcome],
    stop: threading.Event | None = None,
    grace: float = DEFAULT_GRACE,
    fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
    live_url: Callable[[Post], str] = _live_url,
    index: bool = True,
) -> Iterator[Done[T, Outcome]]:
    """Run every source item (``adapt`` makes it a pipeline item) through one `Runner`; yield
    each with its `Outcome` as it ends.

    Items are read lazily. After ``stop`` is set, posts in hand are finished (for up to
    ``grace`` seconds), no new one is started, and no file is left half written.
    """
    processes = settings.parse_processes
    pool = make_parse_pool(processes) if processes > 0 else None
    gate = WriteGate()
    try:
        runner = Runner(
            site=site,
            session=session,
            settings=settings,
            parser=Parser(pool, site, settings.options),
            gate=gate,
            fetch_page=fetch_page,
            live_url=live_url,
            index=index,
        )

        def work(item: T) -> Outcome:
            return runner(adapt(item))

        # A thread waiting for its page to be parsed holds no request slot: a few threads more
        # than --jobs keep --jobs requests in flight while the parse processes are busy.
        threads = settings.jobs + (2 * processes if pool is not None else 0)
        yield from run_batch(items, work, jobs=threads, stop=stop, on_error=on_error, grace=grace)
    finally:
        gate.close()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def import_entries(
    entries: Iterable[ListEntry | ListProblem],
    *,
    site: Site,
    session: Any,
    settings: Settings = DEFAULT_SETTINGS,
    stop: threading.Event | None = None,
    grace: float = DEFAULT_GRACE,
    fetch_page: Callable[..., fetch.Page] = fetch.fetch_page,
) -> Iterator[Done[ListEntry | ListProblem, Outcome]]:
    """Archive every entry of an import list (or an account's listing); yield each entry with
    its `Outcome` as it ends (see `run_items`)."""
    yield from run_items(
        entries,
        urllist.to_item,
        site=site,
        session=session,
        settings=settings,
        on_error=urllist.unexpected,
        stop=stop,
        grace=grace,
        fetch_page=fetch_page,
    )
