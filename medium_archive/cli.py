"""The command-line interface: a thin click client of the library.

Results (paths written, JSON reports) go to stdout; progress, warnings and errors to stderr.
Exit codes are a contract, named in `ExitCode` and documented in the README and ``--help``.
"""

from __future__ import annotations

import enum
import io
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TextIO

import click

from . import __version__
from .accounts import AccountSettings, import_export, import_feed, load_feed, source_kind
from .archive import Options, Outcome, Status, archive_one
from .batch import Done, ImportSettings, Tally, import_entries
from .console import JsonReport, Progress, console, format_seconds, stop_on_signals
from .errors import MediumArchiveError
from .sources.feed import FeedItem
from .sources.urllist import ListEntry, ListError, count_entries, iter_list
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
    USAGE = 2
    INTERRUPTED = 130


def site_option(fn: Any) -> Any:
    return click.option(
        "--site",
        "site_root",
        type=click.Path(file_okay=False, path_type=Path),
        default=".",
        show_default=True,
        help="The site root (a Jekyll site): posts go to _posts/, drafts to _drafts/.",
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
        help="Save content images under assets/<post-id>/ and link them there; an image that "
        "cannot be saved keeps its remote URL (with a warning).",
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
    """One HTTP session per invocation, closed when the command ends."""
    from .fetch import make_session as _make_session

    session = _make_session(**kwargs)
    ctx.call_on_close(session.close)
    return session


def open_site(site_root: Path) -> Site:
    if site_root.exists() and not site_root.is_dir():
        raise click.UsageError(f"--site {site_root}: not a directory")
    return Site(site_root)


def report(outcome: Outcome) -> None:
    """Echo one outcome: the path on stdout, anything else on stderr."""
    for warning in outcome.warnings:
        console(f"warning: {outcome.input}: {warning}")
    if outcome.status in (Status.FAILED, Status.GONE, Status.CONFLICT):
        console(f"error: {outcome.error}")
    elif outcome.path:
        click.echo(outcome.path)


def exit_code_for(outcomes: Iterable[Outcome]) -> ExitCode:
    return ExitCode.FAILED if any(o.failed for o in outcomes) else ExitCode.OK


@click.group(context_settings=CONTEXT_SETTINGS, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="medium-archive")
def cli() -> None:
    """Archive Medium posts as Markdown files with YAML front matter in a Jekyll site."""


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="URL_OR_FILE...")
@site_option
@body_option
@images_option
@embeds_option
@click.pass_context
def archive(
    ctx: click.Context,
    inputs: tuple[str, ...],
    site_root: Path,
    body_format: str,
    images: bool,
    embeds: bool,
) -> None:
    """Archive posts given as URLs or saved .html pages; print each archived file's path.

    A URL may be any Medium post URL (medium.com/@user/slug-ID, medium.com/p/ID, a publication's
    custom domain, with or without ?source= tracking). A file may be a page saved from a browser
    or curl, or a post file from Medium's account export.
    """
    site = open_site(site_root)
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
            outcome = archive_one(source, site=site, session=session, options=options)
            report(outcome)
            outcomes.append(outcome)
    except KeyboardInterrupt:
        console(
            "interrupted: every post written so far is complete; run the command again to finish"
        )
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(exit_code_for(outcomes))


@cli.command(
    epilog="Exit codes: 0 nothing (left) to repair; 1 with --check: files need repair, "
    "or a file could not be parsed; 2 usage error."
)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@click.option("--check", is_flag=True, help="Only report files that need repair; write nothing.")
def repair(paths: tuple[Path, ...], site_root: Path, check: bool) -> None:
    """Clean up existing archive files in place (entities, spaces, dates, app links).

    Works on files written by any tool, the earlier archiver's format included. Without PATHS,
    every post under the site's _posts/ and _drafts/ is checked.
    """
    from .repair import repair_site

    site = open_site(site_root)
    needs = failed = 0
    try:
        for result in repair_site(site, list(paths) or None, check=check):
            if result.error:
                failed += 1
                console(f"error: {result.path}: {result.error}")
            elif result.changed:
                needs += 1
                click.echo(f"{'needs repair' if check else 'repaired'}: {result.path}")
    except MediumArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    console(
        f"{needs} file(s) {'need repair' if check else 'repaired'}, {failed} could not be parsed"
    )
    sys.exit(ExitCode.FAILED if failed or (check and needs) else ExitCode.OK)


# --- import ---------------------------------------------------------------------------------

#: Default --rate: requests per second per host.
DEFAULT_RATE = 5.0
#: Statuses whose path is echoed: the post's file is now up to date in the site.
WRITTEN = frozenset({Status.ARCHIVED, Status.UPDATED, Status.UNCHANGED})


def batch_options(fn: Any) -> Any:
    """``--jobs`` and ``--rate``, shared by the batch commands (import, sync)."""
    fn = click.option(
        "--rate",
        type=click.FloatRange(min=0, min_open=True),
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
    """How many inputs a list file names (a quick streaming pass), None for stdin or a pipe."""
    if path == "-" or not Path(path).is_file():
        return None
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return count_entries(fh)


def open_account(
    kind: str,
    source: str,
    site: Site,
    session: Any,
    settings: AccountSettings,
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
    feed_batch = import_feed(feed, site=site, session=session, settings=settings, stop=stop)
    return feed_batch, len(feed.items)


def record_for(item: object, outcome: Outcome) -> dict[str, Any]:
    if isinstance(item, ListEntry | ListError):
        return {"line": item.line, **outcome.as_dict()}
    return outcome.as_dict()


def failed_entry(item: object, outcome: Outcome) -> str:
    """The lines ``--failed`` writes for one failure: the reason as a comment, then the input."""
    reason = " ".join((outcome.error or outcome.status.value).split())
    if isinstance(item, ListError):
        return f"# {reason}\n"
    if isinstance(item, FeedItem):
        return f"# {reason}\n{item.link}\n"
    if not isinstance(item, ListEntry):  # an export file: re-import the export to retry it
        return f"# {reason}\n# {outcome.input}\n"
    return f"# line {item.line}: {reason}\n{item.source}\n"


@cli.command(name="import", epilog=EXIT_CODES_HELP)
@click.argument("list_path", metavar="SOURCE", type=click.Path(allow_dash=True))
@site_option
@body_option
@images_option
@embeds_option
@click.option("--drafts", is_flag=True, help="Export/feed: archive drafts too, into _drafts/.")
@click.option("--responses", is_flag=True, help="Export/feed: archive responses (comments) too.")
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
@click.pass_context
def import_(
    ctx: click.Context,
    list_path: str,
    site_root: Path,
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
    """Archive every post of SOURCE: an account export, a feed, or a list of URLs.

    SOURCE is Medium's account export (the .zip, or its unpacked folder: published posts to
    _posts/; drafts only with --drafts; responses only with --responses); @user or an RSS feed
    URL or saved feed file (full-content items archived, member-only ones fetched as pages); or
    a LIST (a file, or - for stdin): one URL or saved .html per line.

    Blank lines and # comments are skipped; <...> brackets, trailing punctuation and tracking
    parameters are tolerated, and a post named twice is archived once. Posts already in the site
    are skipped without fetching (unless --refresh). Paths written go to stdout as posts finish;
    progress, errors and the summary go to stderr. Ctrl-C stops cleanly: run the same command
    again to finish the rest.
    """
    from .fetch import HostLimiter

    site = open_site(site_root)
    kind = source_kind(list_path)
    session = make_session(ctx, pool_size=jobs, limiter=HostLimiter(rate))
    if processes is None:
        processes = (os.cpu_count() or 1) if jobs > 1 else 0
    settings = ImportSettings(
        jobs=jobs,
        refresh=refresh,
        options=Options(
            body_format="html" if body_format == "html" else "markdown",
            images=images,
            embeds=embeds,
            gist_base=gist_base(),
        ),
        parse_processes=processes,
    )
    stop = threading.Event()
    batch: Iterator[Done[Any, Outcome]]
    if kind == "list":
        total = list_total(list_path)
        lines = open_list(list_path)
        ctx.call_on_close(lines.close)
        entries = iter_list(lines, file_exists=os.path.isfile)
        batch = import_entries(entries, site=site, session=session, settings=settings, stop=stop)
    else:
        account = AccountSettings(jobs, drafts, responses, enrich, refresh, settings.options)
        batch, total = open_account(kind, list_path, site, session, account, stop)
    failed_file = open(failed_path, "w", encoding="utf-8") if failed_path else None  # noqa: SIM115
    if failed_file is not None:
        ctx.call_on_close(failed_file.close)
    tally = Tally()
    progress = Progress(total, tally)
    report_json = JsonReport() if as_json else None
    stopped_early = False
    with stop_on_signals(stop) as received:
        try:
            for done in batch:
                item, outcome = done.item, done.result
                tally.add(outcome)
                echo_outcome(progress, outcome, json_mode=report_json is not None)
                if report_json is not None:
                    report_json.add(record_for(item, outcome))
                if outcome.failed and failed_file is not None:
                    failed_file.write(failed_entry(item, outcome))
                    failed_file.flush()
                if outcome.failed and fail_fast and not stop.is_set():
                    stopped_early = True
                    stop.set()
                progress.step()
        except MediumArchiveError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            progress.close()
    notes = ["stopped at the first failure (--fail-fast)"] if stopped_early else []
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


def echo_outcome(progress: Progress, outcome: Outcome, *, json_mode: bool) -> None:
    """One finished input: its path on stdout (unless --json), problems on stderr."""
    for warning in outcome.warnings:
        if outcome.status is Status.DUPLICATE:
            progress.echo(f"skipped: {warning}", err=True)
        else:
            progress.echo(f"warning: {outcome.input}: {warning}", err=True)
    if outcome.failed or outcome.status is Status.CONFLICT:
        progress.echo(f"error: {outcome.error}", err=True)
    elif outcome.path and outcome.status in WRITTEN and not json_mode:
        progress.echo(outcome.path)


# --- sync -----------------------------------------------------------------------------------

SYNC_EXIT_CODES_HELP = (
    "Exit codes: 0 every post is in sync (updated, unchanged or not modified); 1 at least one "
    "post failed, is gone from Medium (its file is kept) or is a conflict (edited by hand and "
    "left alone); 2 usage error; 130 interrupted."
)


@cli.command(epilog=SYNC_EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@site_option
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
@click.pass_context
def sync(
    ctx: click.Context,
    paths: tuple[Path, ...],
    site_root: Path,
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
    from .sync import SyncSettings, sync_site

    site = open_site(site_root)
    session = make_session(ctx, pool_size=jobs, limiter=HostLimiter(rate))
    settings = SyncSettings(
        jobs=jobs,
        force=force,
        dry_run=dry_run,
        body_format="html" if body_format == "html" else "markdown" if body_format else None,
        images=images,
        embeds=embeds,
        gist_base=gist_base(),
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
                echo_sync_outcome(progress, outcome, dry_run=dry_run, json_mode=as_json)
                if report_json is not None:
                    report_json.add({**outcome.as_dict(), "changes": list(outcome.changes)})
                progress.step()
        except MediumArchiveError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            progress.close()
    notes = ["dry run: nothing written"] if dry_run else []
    failed = tally.failed > 0 or tally.counts.get(Status.CONFLICT, 0) > 0
    extra = {"dry_run": dry_run}
    finish_batch("sync", tally, progress, report_json, received, notes, failed=failed, extra=extra)


def echo_sync_outcome(
    progress: Progress, outcome: Outcome, *, dry_run: bool, json_mode: bool
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
    if outcome.status is Status.UPDATED:
        verb = "would update" if dry_run else "updated"
        progress.echo(f"{verb}: {outcome.path}{changes}")
    elif dry_run:
        progress.echo(f"{outcome.status.value}: {outcome.path}")
