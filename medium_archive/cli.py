"""The command-line interface: a thin click client of the library.

Results (paths written, JSON reports) go to stdout; progress, warnings and errors to stderr.
Exit codes are a contract, named in `ExitCode` and documented in the README and ``--help``.
"""

from __future__ import annotations

import contextlib
import enum
import io
import math
import os
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TextIO

import click

from . import __version__
from .accounts import (
    import_export,
    import_feed,
    import_hint,
    load_feed,
    open_account_source,
    source_kind,
)
from .archive import Options, Outcome, Status, archive_one
from .batch import Done, Tally
from .console import JsonReport, Progress, console, format_seconds, stop_on_signals
from .errors import MediumArchiveError
from .pipeline import Settings, import_entries
from .sitelock import remove_stale_temp_files, site_lock
from .sources.account import FEED_LIMIT, FEED_LIMIT_NOTE, AccountEntry, ListingStopped
from .sources.feed import FeedItem
from .sources.urllist import (
    ListEntry,
    ListProblem,
    bounded_lines,
    count_entries,
    iter_list,
    parse_line,
)
from .store import GENERATORS, Generator, Site, detect_generator, is_empty_folder

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

EXIT_CODES_HELP = (
    "Exit codes: 0 all inputs archived (or unchanged); 1 at least one input failed "
    "(the others are still archived); 2 usage error; 130 interrupted."
)


class ExitCode(enum.IntEnum):
    """The documented exit codes of every command."""

    OK = 0
    FAILED = 1
    USAGE = 2  # click's own usage errors: kept so that the README's table is checked
    INTERRUPTED = 130


def site_option(fn: Any) -> Any:
    return click.option(
        "--site",
        "site_root",
        type=click.Path(file_okay=False, path_type=Path),
        default=".",
        show_default=True,
        help="The site root: a Jekyll site (posts go to _posts/, drafts to _drafts/; a new or "
        "empty folder gets a starter site) or a Hugo site (page bundles in content/posts/).",
    )(fn)


def generator_option(fn: Any) -> Any:
    return click.option(
        "--generator",
        type=click.Choice(GENERATORS),
        default=None,
        help="Lay the site out for this generator (default: hugo for a folder with a Hugo "
        "config, else jekyll).",
    )(fn)


def body_option(fn: Any) -> Any:
    return click.option(
        "--body",
        "body_format",
        type=click.Choice(["markdown", "html"]),
        default="markdown",
        show_default=True,
        help="Write the body as Markdown, or as sanitised HTML inside <article>.",
    )(fn)


def images_option(fn: Any) -> Any:
    return click.option(
        "--images",
        is_flag=True,
        help="Save content images under assets/<post-id>/ (Hugo: beside the post in its bundle) "
        "and link them there; an image that cannot be saved keeps its remote URL (with a warning).",
    )(fn)


class OneLineUsageError(click.ClickException):
    """A usage error told in one line (``Error: …``), exit code 2."""

    exit_code = 2


#: Where ``--cookies`` and ``--user-agent`` wait in ``ctx.meta`` for `make_session`.
_HTTP_META = "medium_archive.http"
#: The Medium origin ``@user`` is resolved on (tests and mirrors point it elsewhere).
ORIGIN_ENV = "MEDIUM_ARCHIVE_ORIGIN"


def _remember_http(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None and param.name:
        ctx.meta.setdefault(_HTTP_META, {})[param.name] = value


def http_options(fn: Any) -> Any:
    """``--cookies`` and ``--user-agent`` (also from the environment), for `make_session`."""
    fn = click.option(
        "--user-agent",
        "user_agent",
        metavar="UA",
        envvar="MEDIUM_ARCHIVE_USER_AGENT",
        show_envvar=True,
        expose_value=False,
        callback=_remember_http,
        help="Send this User-Agent (use the browser's own with its cookies: Cloudflare's "
        "clearance cookie is bound to it).",
    )(fn)
    return click.option(
        "--cookies",
        "cookies",
        metavar="FILE",
        envvar="MEDIUM_ARCHIVE_COOKIES",
        show_envvar=True,
        expose_value=False,
        callback=_remember_http,
        help="Send the cookies of this Netscape cookies.txt file (exported from a browser), "
        "each only to its own site: a member's login, Cloudflare's cf_clearance.",
    )(fn)


def embeds_option(fn: Any) -> Any:
    return click.option(
        "--embeds/--no-embeds",
        default=True,
        show_default=True,
        help="Fetch what each embed shows: gists archived as code, videos, tweets and pens "
        "linked at their real URL. --no-embeds makes no such request (only what the page says "
        "is used; other embeds stay links to Medium's copy).",
    )(fn)


def gist_base() -> str:
    """Where gist requests go instead of https://gist.github.com: the environment variable
    MEDIUM_ARCHIVE_GIST_BASE, read once per command (for tests against a local server)."""
    return os.environ.get("MEDIUM_ARCHIVE_GIST_BASE", "").strip()


def make_session(ctx: click.Context, **kwargs: Any) -> Any:
    """One HTTP session per invocation, closed when the command ends.

    With ``--cookies`` / ``--user-agent`` given, the session sends them; a cookie file that
    cannot be read or parsed is a one-line usage error (exit 2) that shows no cookie.
    """
    from .fetch import load_cookies
    from .fetch import make_session as _make_session

    given = ctx.meta.get(_HTTP_META, {})
    user_agent = (given.get("user_agent") or "").strip()
    if user_agent:
        if not user_agent.isprintable():
            raise OneLineUsageError("--user-agent: control characters are not allowed in it")
        kwargs["user_agent"] = user_agent
    if given.get("cookies"):
        try:
            kwargs["cookies"] = load_cookies(os.path.expanduser(given["cookies"]))
        except MediumArchiveError as exc:
            raise OneLineUsageError(str(exc)) from None
    session = _make_session(**kwargs)
    ctx.call_on_close(session.close)
    return session


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
    written (`announce_starter` says so).
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
            _PLANTED[site] = plant(site.root)

        site.before_first_write = plant_starter
    return site


def lock_site(ctx: click.Context, site: Site, *, create: bool = True) -> None:
    """Hold the site's cross-process lock until the command ends (waiting for another run on
    the site to finish first), then remove temp files an interrupted run left behind. Without
    ``create``, a missing site folder is left missing (and unlocked: nothing will be written)."""
    if not create and not site.root.is_dir():
        return
    try:
        ctx.with_resource(site_lock(site.root, on_wait=console))
    except MediumArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        console("interrupted while waiting for the other run; nothing was written")
        sys.exit(ExitCode.INTERRUPTED)
    with contextlib.suppress(OSError):
        removed = remove_stale_temp_files(site.root)
        if removed:
            console(f"removed {len(removed)} temp file(s) left by an interrupted run")



#: The starter files planted in each site during this run (see `open_site`).
_PLANTED: weakref.WeakKeyDictionary[Site, list[str]] = weakref.WeakKeyDictionary()


def announce_starter(site: Site) -> None:
    """Say on stderr that a starter site was planted, and how to read it."""
    planted = _PLANTED.pop(site, None)
    if planted:
        where = shown_path(site.root) or "."
        console(
            f"new site: wrote a starter Jekyll site in {where} ({', '.join(planted)}); "
            f"read it with `jekyll serve` there (medium-archive only writes _posts/, _drafts/ "
            "and assets/ from now on)"
        )


def shown_path(path: Path) -> str:
    """A path as printed: relative to the current directory when it is inside it, else
    absolute, so that it can be used from where the user stands."""
    absolute = Path(path).absolute()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(absolute)


def shown(site: Site, rel_path: str) -> str:
    """A site-relative path (an `Outcome`'s) as printed (`shown_path`)."""
    return shown_path(site.root / rel_path) if rel_path else rel_path


def report(outcome: Outcome, site: Site) -> None:
    """Echo one outcome: the path on stdout, anything else on stderr."""
    for warning in outcome.warnings:
        console(f"warning: {outcome.input}: {warning}")
    if outcome.status in (Status.FAILED, Status.GONE, Status.CONFLICT):
        console(f"error: {outcome.error}")
    elif outcome.path:
        click.echo(shown(site, outcome.path))


def exit_code_for(outcomes: Iterable[Outcome]) -> ExitCode:
    return ExitCode.FAILED if any(o.failed for o in outcomes) else ExitCode.OK


@click.group(context_settings=CONTEXT_SETTINGS, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="medium-archive")
def cli() -> None:
    """Archive Medium posts as Markdown files with YAML front matter in a Jekyll or Hugo site."""


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="URL_OR_FILE...")
@site_option
@generator_option
@body_option
@images_option
@http_options
@embeds_option
@click.pass_context
def archive(
    ctx: click.Context,
    inputs: tuple[str, ...],
    site_root: Path,
    generator: str | None,
    body_format: str,
    images: bool,
    embeds: bool,
) -> None:
    """Archive posts given as URLs or saved .html pages; print each archived file's path.

    A URL may be any Medium post URL (medium.com/@user/slug-ID, medium.com/p/ID, a publication's
    custom domain, with or without ?source= tracking). A file may be a page saved from a browser
    or curl, or a post file from Medium's account export. An account (@user, a profile URL), a
    publication, a feed, an export or a list of URLs is refused in one line: use import. Paths are
    printed relative to the current directory when the site is inside it, else absolute.
    """
    site = open_site(site_root, generator, body_format=body_format, starter=True)
    lock_site(ctx, site)
    session = make_session(ctx)
    options = Options(
        body_format="html" if body_format == "html" else "markdown",
        images=images,
        embeds=embeds,
        gist_base=gist_base(),
    )
    outcomes = []
    try:
        for source in inputs:
            hint = import_hint(source)
            if hint is not None:  # an account, publication, feed, export or list: not one post
                outcome = Outcome(source, Status.FAILED, error=hint)
            else:
                outcome = archive_one(source, site=site, session=session, options=options)
            report(outcome, site)
            outcomes.append(outcome)
    except MediumArchiveError as exc:  # the site cannot be written: nothing more can be done
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        announce_starter(site)
        console(
            "interrupted: every post written so far is complete; run the command again to finish"
        )
        sys.exit(ExitCode.INTERRUPTED)
    announce_starter(site)
    sys.exit(exit_code_for(outcomes))


@cli.command(
    epilog="Exit codes: 0 nothing (left) to repair; 1 with --check: files need repair, "
    "or a file could not be parsed; 2 usage error."
)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@generator_option
@click.option("--check", is_flag=True, help="Only report files that need repair; write nothing.")
@click.pass_context
def repair(
    ctx: click.Context,
    paths: tuple[Path, ...],
    site_root: Path,
    generator: str | None,
    check: bool,
) -> None:
    """Clean up existing archive files in place (entities, spaces, dates, app links).

    Works on files written by any tool, the earlier archiver's format included. Without PATHS,
    every post under the site's _posts/ and _drafts/ (Hugo: content/posts/) is checked. Files
    get the generator's keys they lack (date, last_modified_at or lastmod, canonical_url).
    """
    from .repair import repair_site

    site = open_site(site_root, generator, must_exist=True)
    if not check:
        lock_site(ctx, site, create=False)
    needs = failed = unwritten = 0
    try:
        for result in repair_site(site, list(paths) or None, check=check):
            if result.write_failed:
                unwritten += 1
                console(f"error: {result.error}")
            elif result.error:
                failed += 1
                console(f"error: {result.path}: {result.error}")
            elif result.changed:
                needs += 1
                click.echo(f"{'needs repair' if check else 'repaired'}: {shown_path(result.path)}")
    except MediumArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    verb = "need repair" if check else "repaired"
    summary = f"{needs} file(s) {verb}, {failed} could not be parsed"
    if unwritten:
        summary += f", {unwritten} could not be written"
    console(summary)
    bad = failed or unwritten or (check and needs)
    sys.exit(ExitCode.FAILED if bad else ExitCode.OK)


# --- import ---------------------------------------------------------------------------------

#: Default --rate: requests per second per host.
DEFAULT_RATE = 5.0
#: Statuses whose path is echoed: the post's file is now up to date in the site.
WRITTEN = frozenset({Status.ARCHIVED, Status.UPDATED, Status.UNCHANGED})


def finite_rate(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """``--rate`` must be a finite number above 0: not nan or inf (FloatRange lets them by)."""
    if not math.isfinite(value) or value <= 0:
        raise click.BadParameter(f"{value} is not a number of requests per second above 0")
    return value


def batch_options(fn: Any) -> Any:
    """``--jobs`` and ``--rate``, shared by the batch commands (import, sync)."""
    fn = click.option(
        "--rate",
        type=click.FloatRange(min=0, min_open=True),
        callback=finite_rate,
        default=DEFAULT_RATE,
        show_default=True,
        help="At most this many requests per second to any one host.",
    )(fn)
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(1, 64),
        default=4,
        show_default=True,
        help="Posts fetched at once (one connection pool shared by all workers).",
    )(fn)


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


def open_account(
    kind: str,
    source: str,
    site: Site,
    session: Any,
    settings: Settings,
    stop: threading.Event,
) -> tuple[Iterator[Done[Any, Outcome]], int | None]:
    """The batch of an export or a feed, and its length when known (a feed is loaded here)."""
    if kind == "export":
        path = Path(source)
        return import_export(path, site=site, session=session, settings=settings, stop=stop), None
    try:
        feed = load_feed(source, session=session)
    except MediumArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    if len(feed.items) >= FEED_LIMIT and feed.channel.kind in ("user", "publication"):
        console(f"warning: {source}: {FEED_LIMIT_NOTE}; older posts are not in it")
    feed_batch = import_feed(feed, site=site, session=session, settings=settings, stop=stop)
    return feed_batch, len(feed.items)


def open_account_listing(
    source: str,
    site: Site,
    session: Any,
    settings: Settings,
    stop: threading.Event,
    *,
    drafts: bool,
) -> tuple[Iterator[Done[Any, Outcome]], int | None]:
    """The batch of an account (its listing, streamed; else its feed) or a publication (feed)."""
    origin = os.environ.get(ORIGIN_ENV) or "https://medium.com"
    try:
        found = open_account_source(
            source,
            session=session,
            medium_origin=origin,
            responses=settings.responses,
            warn=lambda message: console(f"warning: {message}"),
        )
    except MediumArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        console("interrupted: nothing was archived yet")
        sys.exit(ExitCode.INTERRUPTED)
    if found.entries is not None:
        if drafts:
            console(
                "note: drafts are private: an account's listing has none; "
                "import the account export (--drafts) to archive them"
            )
        batch = import_entries(
            found.entries, site=site, session=session, settings=settings, stop=stop
        )
        return batch, None
    assert found.feed is not None
    feed = found.feed
    feed_batch = import_feed(feed, site=site, session=session, settings=settings, stop=stop)
    return feed_batch, len(feed.items)


def record_for(item: object, outcome: Outcome) -> dict[str, Any]:
    if isinstance(item, AccountEntry | ListingStopped):
        return outcome.as_dict()
    if isinstance(item, ListEntry | ListProblem):
        return {"line": item.line, **outcome.as_dict()}
    return outcome.as_dict()


def failed_entry(item: object, outcome: Outcome) -> str:
    """The lines ``--failed`` writes for one failure: the reason as a comment, then the input."""
    reason = " ".join((outcome.error or outcome.status.value).split())
    if isinstance(item, AccountEntry):
        return f"# {reason}\n{item.source}\n"
    if isinstance(item, ListProblem):
        return f"# {reason}\n"
    if isinstance(item, FeedItem):
        return f"# {reason}\n{item.link}\n"
    if not isinstance(item, ListEntry):  # an export file: re-import the export to retry it
        return f"# {reason}\n# {outcome.input}\n"
    return f"# line {item.line}: {reason}\n{item.source}\n"


@cli.command(name="import", epilog=EXIT_CODES_HELP)
@click.argument("list_path", metavar="SOURCE", type=click.Path(allow_dash=True))
@site_option
@generator_option
@body_option
@images_option
@embeds_option
@click.option("--drafts", is_flag=True, help="Export/feed: archive drafts too, into _drafts/.")
@click.option(
    "--responses", is_flag=True, help="Export/feed/account: archive responses (comments) too."
)
@click.option(
    "--enrich",
    is_flag=True,
    help="Export: fetch each post's live page for tags, publication and modified date.",
)
@batch_options
@click.option(
    "--refresh",
    is_flag=True,
    help="Fetch posts already in the site again (conditional GET), and update them.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON report (one record per input, then a summary) instead of paths.",
)
@click.option(
    "--failed",
    "failed_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the inputs that failed to this file, as a list for a later import.",
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first input that fails.")
@click.option(
    "--processes",
    type=click.IntRange(0, 64),
    default=None,
    hidden=True,
    help="Worker processes for extraction (default: one per CPU when --jobs > 1).",
)
@http_options
@click.pass_context
def import_(
    ctx: click.Context,
    list_path: str,
    site_root: Path,
    generator: str | None,
    body_format: str,
    images: bool,
    embeds: bool,
    jobs: int,
    rate: float,
    refresh: bool,
    as_json: bool,
    failed_path: str | None,
    fail_fast: bool,
    processes: int | None,
    drafts: bool,
    responses: bool,
    enrich: bool,
) -> None:
    """Archive every post of SOURCE: an account, a publication, an export, a feed, or a list.

    SOURCE is an account: @user, https://medium.com/@user, https://user.medium.com or a custom
    domain's profile (every published post, listed by Medium's GraphQL endpoint; responses only
    with --responses; when the listing fails, its RSS feed: only the 10 latest posts); a
    publication URL (its RSS feed: only the 10 latest posts); Medium's account export (the .zip,
    or its unpacked folder: published posts to _posts/; drafts only with --drafts; responses only
    with --responses); an RSS feed URL or saved feed file (full-content items archived,
    member-only ones fetched as pages); or a LIST (a file, or - for stdin): one URL or saved
    .html per line.

    Blank lines and # comments are skipped; <...> brackets, trailing punctuation and tracking
    parameters are tolerated, and a post named twice is archived once. Posts already in the site
    are skipped without fetching (unless --refresh). Paths written go to stdout as posts finish;
    progress, errors and the summary go to stderr. Ctrl-C stops cleanly: run the same command
    again to finish the rest.
    """
    from .fetch import HostLimiter

    site = open_site(site_root, generator, body_format=body_format, starter=True)
    kind = source_kind(list_path)
    session = make_session(ctx, pool_size=jobs, limiter=HostLimiter(rate))
    if processes is None:
        processes = (os.cpu_count() or 1) if jobs > 1 else 0
    settings = Settings(
        jobs=jobs,
        refresh=refresh,
        options=Options(
            body_format="html" if body_format == "html" else "markdown",
            images=images,
            embeds=embeds,
            gist_base=gist_base(),
        ),
        parse_processes=processes,
        drafts=drafts,
        responses=responses,
        enrich=enrich,
    )
    stop = threading.Event()
    batch: Iterator[Done[Any, Outcome]]
    if kind == "list":
        total = list_total(list_path)
        lines = open_list(list_path)
        ctx.call_on_close(lines.close)
        entries = iter_list(bounded_lines(lines), file_exists=os.path.isfile)
        batch = import_entries(entries, site=site, session=session, settings=settings, stop=stop)
    elif kind == "post":
        total = 1
        one = [item for item in [parse_line(1, list_path)] if item is not None]
        batch = import_entries(one, site=site, session=session, settings=settings, stop=stop)
    elif kind in ("account", "site", "publication"):
        batch, total = open_account_listing(list_path, site, session, settings, stop, drafts=drafts)
    else:
        batch, total = open_account(kind, list_path, site, session, settings, stop)
    # Before the batch starts (it reads the site's index on its first step), after the inputs
    # were found usable (a missing list is a usage error that leaves no site behind).
    lock_site(ctx, site)
    failed_file = FailedList(failed_path, list_path) if failed_path else None
    if failed_file is not None:
        ctx.call_on_close(failed_file.discard)
    tally = Tally()
    progress = Progress(total, tally)
    report_json = JsonReport() if as_json else None
    stopped_early = False
    with stop_on_signals(stop) as received:
        try:
            for done in batch:
                item, outcome = done.item, done.result
                tally.add(outcome)
                echo_outcome(progress, outcome, json_mode=report_json is not None, site=site)
                if report_json is not None:
                    report_json.add(record_for(item, outcome))
                if outcome.failed and failed_file is not None:
                    failed_file.write(failed_entry(item, outcome))
                if outcome.failed and fail_fast and not stop.is_set():
                    stopped_early = True
                    stop.set()
                progress.step()
        except MediumArchiveError as exc:
            if failed_file is not None:
                failed_file.finish(complete=False)
            if report_json is not None:  # stdout stays one JSON document
                report_json.close({**tally.as_dict(), "interrupted": False, "error": str(exc)})
            raise click.ClickException(str(exc)) from exc
        finally:
            progress.close()
    announce_starter(site)
    notes = ["stopped at the first failure (--fail-fast)"] if stopped_early else []
    if failed_file is not None:
        note = failed_file.finish(complete=not (stopped_early or received))
        if note:
            notes.append(note)
    finish_batch("import", tally, progress, report_json, received, notes, failed=tally.failed > 0)


def finish_batch(
    name: str,
    tally: Tally,
    progress: Progress,
    report_json: JsonReport | None,
    received: list[int],
    notes: list[str],
    *,
    failed: bool,
    extra: dict[str, Any] | None = None,
) -> NoReturn:
    """The summary line on stderr, the end of the JSON report, and the exit code of a batch."""
    interrupted = bool(received)
    summary = tally.summary() + f" in {format_seconds(time.monotonic() - progress.started)}"
    for note in notes:
        summary += f"; {note}"
    if interrupted:
        summary += "; interrupted: run the same command again to finish"
    console(f"{name}: {summary}")
    if report_json is not None:
        report_json.close({**tally.as_dict(), **(extra or {}), "interrupted": interrupted})
    if interrupted:
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(ExitCode.FAILED if failed else ExitCode.OK)


def echo_outcome(
    progress: Progress, outcome: Outcome, *, json_mode: bool, site: Site | None = None
) -> None:
    """One finished input: its path on stdout (unless --json), problems on stderr."""
    for warning in outcome.warnings:
        if outcome.status is Status.DUPLICATE:
            progress.echo(f"skipped: {warning}", err=True)
        else:
            progress.echo(f"warning: {outcome.input}: {warning}", err=True)
    if outcome.failed or outcome.status is Status.CONFLICT:
        progress.echo(f"error: {outcome.error}", err=True)
    elif outcome.path and outcome.status in WRITTEN and not json_mode:
        progress.echo(shown(site, outcome.path) if site is not None else outcome.path)


# --- sync -----------------------------------------------------------------------------------

SYNC_EXIT_CODES_HELP = (
    "Exit codes: 0 every post is in sync (updated, unchanged or not modified); 1 at least one "
    "post failed, is gone from Medium (its file is kept) or is a conflict (edited by hand and "
    "left alone); 2 usage error; 130 interrupted."
)


@cli.command(epilog=SYNC_EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@site_option
@generator_option
@click.option(
    "--body",
    "body_format",
    type=click.Choice(["markdown", "html"]),
    default=None,
    help="Rewrite updated bodies in this format (default: each file keeps its own).",
)
@batch_options
@click.option(
    "--dry-run",
    is_flag=True,
    help="Say what each post would become (and what changed); write nothing.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite files edited by hand with the post from Medium."
)
@click.option(
    "--images/--no-images",
    default=None,
    help="Keep images under assets/<post-id>/ (default: as each archived file already does).",
)
@embeds_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON report (one record per post, then a summary) instead of lines.",
)
@http_options
@click.pass_context
def sync(
    ctx: click.Context,
    paths: tuple[Path, ...],
    site_root: Path,
    generator: str | None,
    body_format: str | None,
    jobs: int,
    rate: float,
    dry_run: bool,
    force: bool,
    images: bool | None,
    embeds: bool,
    as_json: bool,
) -> None:
    """Re-fetch archived posts and update the files of those that changed on Medium.

    Without PATHS, every post under the site's _posts/ and _drafts/ is synced, files written by
    the earlier archiver included. Each post is fetched from its isBasedOnUrl (conditionally,
    when the file holds an ETag or Last-Modified) and is then: not modified, unchanged (file left
    as it is), updated (rewritten, renamed if its date or slug changed), gone (404/410: the file
    is kept) or failed. A file edited by hand since it was archived is a conflict and is left
    alone unless --force. Updated paths go to stdout; errors and the summary to stderr.
    """
    from .fetch import HostLimiter
    from .sync import sync_site

    site = open_site(site_root, generator, body_format=body_format, must_exist=True)
    if not dry_run:
        lock_site(ctx, site, create=False)
    session = make_session(ctx, pool_size=jobs, limiter=HostLimiter(rate))
    settings = Settings(
        jobs=jobs,
        options=Options(
            body_format="html" if body_format == "html" else "markdown",
            images=bool(images),
            embeds=embeds,
            gist_base=gist_base(),
        ),
        force=force,
        dry_run=dry_run,
        keep_body_format=not body_format,
        keep_images=images is None,
    )
    tally = Tally()
    progress = Progress(None, tally)
    report_json = JsonReport() if as_json else None
    stop = threading.Event()
    with stop_on_signals(stop) as received:
        try:
            for done in sync_site(
                site, session=session, paths=list(paths) or None, settings=settings, stop=stop
            ):
                outcome = done.result
                tally.add(outcome)
                echo_sync_outcome(
                    progress, outcome, dry_run=dry_run, json_mode=as_json, site=site
                )
                if report_json is not None:
                    report_json.add({**outcome.as_dict(), "changes": list(outcome.changes)})
                progress.step()
        except MediumArchiveError as exc:
            if report_json is not None:  # stdout stays one JSON document
                report_json.close({**tally.as_dict(), "interrupted": False, "error": str(exc)})
            raise click.ClickException(str(exc)) from exc
        finally:
            progress.close()
    notes = ["dry run: nothing written"] if dry_run else []
    failed = tally.failed > 0 or tally.counts.get(Status.CONFLICT, 0) > 0
    extra = {"dry_run": dry_run}
    finish_batch("sync", tally, progress, report_json, received, notes, failed=failed, extra=extra)


def echo_sync_outcome(
    progress: Progress,
    outcome: Outcome,
    *,
    dry_run: bool,
    json_mode: bool,
    site: Site | None = None,
) -> None:
    """One synced post: updates on stdout (every post with --dry-run), problems on stderr."""
    for warning in outcome.warnings:
        progress.echo(f"warning: {outcome.input}: {warning}", err=True)
    if outcome.status in (Status.FAILED, Status.GONE, Status.CONFLICT, Status.INVALID):
        progress.echo(f"{outcome.status.value}: {outcome.error}", err=True)
        return
    if json_mode:
        return
    changes = f" ({', '.join(outcome.changes)})" if outcome.changes else ""
    path = shown(site, outcome.path) if site is not None else outcome.path
    if outcome.status is Status.UPDATED:
        verb = "would update" if dry_run else "updated"
        progress.echo(f"{verb}: {path}{changes}")
    elif dry_run:
        progress.echo(f"{outcome.status.value}: {path}")
