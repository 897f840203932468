"""The command-line interface: a thin click client of the library.

Results (paths written, JSON reports) go to stdout; progress, warnings and errors to stderr.
Exit codes are a contract, named in `ExitCode` and documented in the README and ``--help``.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .archive import Options, Outcome, Status, archive_one
from .errors import MediumArchiveError
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


def console(message: str) -> None:
    """Progress, warnings and errors: stderr."""
    click.echo(message, err=True)


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


def make_session(ctx: click.Context) -> Any:
    """One HTTP session per invocation, closed when the command ends."""
    from .fetch import make_session as _make_session

    session = _make_session()
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
    """Archive Medium posts as Markdown files with schema.org-style front matter in a Jekyll site."""


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="URL_OR_FILE...")
@site_option
@body_option
@click.pass_context
def archive(ctx: click.Context, inputs: tuple[str, ...], site_root: Path, body_format: str) -> None:
    """Archive posts given as URLs or saved .html pages; print each archived file's path.

    A URL may be any Medium post URL (medium.com/@user/slug-ID, medium.com/p/ID, a publication's
    custom domain, with or without ?source= tracking). A file may be a page saved from a browser
    or curl, or a post file from Medium's account export.
    """
    site = open_site(site_root)
    session = make_session(ctx)
    options = Options(body_format="html" if body_format == "html" else "markdown")
    outcomes = []
    try:
        for source in inputs:
            outcome = archive_one(source, site=site, session=session, options=options)
            report(outcome)
            outcomes.append(outcome)
    except KeyboardInterrupt:
        console("interrupted: every post written so far is complete; run the command again to finish")
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(exit_code_for(outcomes))


@cli.command(epilog="Exit codes: 0 nothing (left) to repair; 1 with --check: files need repair, "
             "or a file could not be parsed; 2 usage error.")
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
    console(f"{needs} file(s) {'need repair' if check else 'repaired'}, {failed} could not be parsed")
    sys.exit(ExitCode.FAILED if failed or (check and needs) else ExitCode.OK)
