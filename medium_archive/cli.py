"""The command-line interface: a thin click client of the library.

Results (paths written, JSON reports) go to stdout; progress, warnings and errors to stderr.
Exit codes are a contract, named in `ExitCode` and documented in the README and ``--help``.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

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
from .cli_options import (
    ORIGIN_ENV,
    batch_options,
    body_option,
    embeds_option,
    failed_options,
    generator_option,
    gist_base,
    http_options,
    images_option,
    json_option,
    make_session,
    refresh_option,
    site_option,
    source_options,
    sync_body_option,
    sync_write_options,
)
from .cli_support import FailedList, list_total, open_list, open_site
from .console import (
    JsonReport,
    Progress,
    RepairReport,
    announce_starter,
    close_batch,
    console,
    echo_outcome,
    echo_sync_outcome,
    failed_entry,
    record_for,
    report,
    stop_on_signals,
)
from .errors import MediumArchiveError
from .pipeline import Settings, import_entries
from .sitelock import remove_stale_temp_files, site_lock
from .sources.account import FEED_LIMIT, FEED_LIMIT_NOTE
from .sources.urllist import bounded_lines, iter_list, parse_line
from .store import Site

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
    results = RepairReport(check=check)
    try:
        for result in repair_site(site, list(paths) or None, check=check):
            results.add(result)
    except MediumArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    console(results.summary())
    sys.exit(ExitCode.FAILED if results.bad else ExitCode.OK)


# --- import ---------------------------------------------------------------------------------


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


@cli.command(name="import", epilog=EXIT_CODES_HELP)
@click.argument("list_path", metavar="SOURCE", type=click.Path(allow_dash=True))
@site_option
@generator_option
@body_option
@images_option
@embeds_option
@source_options
@batch_options
@refresh_option
@json_option("(one record per input, then a summary) instead of paths")
@failed_options
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
    close_batch(name, tally, progress, report_json, notes, interrupted=interrupted, extra=extra)
    if interrupted:
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(ExitCode.FAILED if failed else ExitCode.OK)


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
@sync_body_option
@batch_options
@sync_write_options
@embeds_option
@json_option("(one record per post, then a summary) instead of lines")
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
                echo_sync_outcome(progress, outcome, dry_run=dry_run, json_mode=as_json, site=site)
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
