"""Terminal presentation for the CLI: messages, progress, the JSON report, stop signals.

Progress goes to stderr (a tqdm bar on a terminal, plain lines every few seconds otherwise);
results go to stdout. Nothing here knows what a post is beyond an `Outcome` tally.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import click

from .batch import Tally

#: Seconds between progress lines when stderr is not a terminal.
LOG_EVERY = 10.0
STOPPING = "\nstopping: finishing the posts in hand; run the same command again to resume\n"


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
