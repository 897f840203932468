"""Terminal presentation for the CLI: messages, outcomes, progress, the JSON report, summaries,
stop signals.

Progress goes to stderr (a tqdm bar on a terminal, plain lines every few seconds otherwise);
results go to stdout. Nothing here knows what a post is beyond an `Outcome` and its input.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .archive import Outcome, Status
from .batch import Tally
from .sources.account import AccountEntry, ListingStopped
from .sources.feed import FeedItem
from .sources.urllist import ListEntry, ListProblem
from .store import Site

if TYPE_CHECKING:
    from .repair import RepairResult

#: Seconds between progress lines when stderr is not a terminal.
LOG_EVERY = 10.0
STOPPING = "\nstopping: finishing the posts in hand; run the same command again to resume\n"
#: Statuses whose path is echoed: the post's file is now up to date in the site.
WRITTEN = frozenset({Status.ARCHIVED, Status.UPDATED, Status.UNCHANGED})


def console(message: str) -> None:
    """Progress, warnings and errors: stderr."""
    click.echo(message, err=True)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """While inside, SIGINT and SIGTERM set ``stop`` (the batch winds down) instead of killing us.

    Yields the list of signals received.
    """
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if not received:
            # os.write, not click.echo: a signal may arrive while stderr's buffer is in use.
            with contextlib.suppress(OSError, ValueError):
                os.write(sys.stderr.fileno(), STOPPING.encode())
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Progress:
    """Progress on stderr: a tqdm bar on a terminal, else a plain line every `LOG_EVERY` s."""

    def __init__(self, total: int | None, tally: Tally) -> None:
        self.tally = tally
        self.started = self.logged = time.monotonic()
        self.total = total
        self.bar: Any = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="post", file=sys.stderr, dynamic_ncols=True)

    def echo(self, message: str, *, err: bool = False) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr if err else sys.stdout)
        else:
            click.echo(message, err=err)

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if self.tally.failed:
                self.bar.set_postfix_str(f"failed={self.tally.failed}", refresh=False)
            return
        now = time.monotonic()
        if now - self.logged >= LOG_EVERY:
            self.logged = now
            console(f"progress: {self.line(now)}")

    def line(self, now: float) -> str:
        done, elapsed = self.tally.done, now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        text = f"{done}/{self.total}" if self.total is not None else f"{done}"
        text += f" done, {self.tally.failed} failed, {rate:.1f} posts/s"
        if self.total is not None and rate > 0:
            text += f", ETA {format_seconds((self.total - done) / rate)}"
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class JsonReport:
    """``--json``: one JSON document on stdout, written record by record (memory stays flat)."""

    def __init__(self) -> None:
        self.count = 0
        click.echo('{"inputs": [', nl=False)

    def add(self, record: dict[str, Any]) -> None:
        click.echo(("," if self.count else "") + "\n  " + json.dumps(record), nl=False)
        self.count += 1

    def close(self, summary: dict[str, Any]) -> None:
        click.echo("\n],\n" + f'"summary": {json.dumps(summary)}' + "}")


def close_batch(
    name: str,
    tally: Tally,
    progress: Progress,
    report_json: JsonReport | None,
    notes: list[str],
    *,
    interrupted: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """The summary line of a batch on stderr, and the end of its JSON report."""
    summary = tally.summary() + f" in {format_seconds(time.monotonic() - progress.started)}"
    for note in notes:
        summary += f"; {note}"
    if interrupted:
        summary += "; interrupted: run the same command again to finish"
    console(f"{name}: {summary}")
    if report_json is not None:
        report_json.close({**tally.as_dict(), **(extra or {}), "interrupted": interrupted})


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


#: The starter files planted in each site during this run (see `cli_support.open_site`).
_PLANTED: weakref.WeakKeyDictionary[Site, list[str]] = weakref.WeakKeyDictionary()


def note_planted(site: Site, files: list[str]) -> None:
    """Remember that a starter site was planted in ``site``, for `announce_starter`."""
    _PLANTED[site] = files


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


def report(outcome: Outcome, site: Site) -> None:
    """Echo one outcome: the path on stdout, anything else on stderr."""
    for warning in outcome.warnings:
        console(f"warning: {outcome.input}: {warning}")
    if outcome.status in (Status.FAILED, Status.GONE, Status.CONFLICT):
        console(f"error: {outcome.error}")
    elif outcome.path:
        click.echo(shown(site, outcome.path))


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


class RepairReport:
    """``repair``: each file that needs (or got) repair on stdout, problems on stderr, counted
    for the summary line."""

    def __init__(self, *, check: bool) -> None:
        self.check = check
        self.needs = self.failed = self.unwritten = 0

    def add(self, result: RepairResult) -> None:
        if result.write_failed:
            self.unwritten += 1
            console(f"error: {result.error}")
        elif result.error:
            self.failed += 1
            console(f"error: {result.path}: {result.error}")
        elif result.changed:
            self.needs += 1
            verb = "needs repair" if self.check else "repaired"
            click.echo(f"{verb}: {shown_path(result.path)}")

    def summary(self) -> str:
        verb = "need repair" if self.check else "repaired"
        summary = f"{self.needs} file(s) {verb}, {self.failed} could not be parsed"
        if self.unwritten:
            summary += f", {self.unwritten} could not be written"
        return summary

    @property
    def bad(self) -> bool:
        """Whether the run ends with exit code 1."""
        return bool(self.failed or self.unwritten or (self.check and self.needs))
