"""The batch runner: many inputs through N workers, streamed, stoppable; the parse workers.

Owns the concurrency of ``import``: a bounded work queue fed lazily from the input iterator (the
list is never materialised, so memory does not grow with its length), N worker threads calling a
``work`` function (a parameter, so the runner is tested without a network), results yielded as
they finish, and a stop flag (set by the CLI's SIGINT/SIGTERM handlers, or by ``--fail-fast``)
after which workers finish the item in hand and take no new one. `WriteGate` lets the caller make
sure no file write is half done when it gives up waiting for stuck workers.

`make_parse_pool` starts the worker processes that decode, extract and render pages for the
pipeline (pipeline.py), whatever the source.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from . import language
from .archive import Outcome, Status
from .errors import SiteNotWritable

T = TypeVar("T")
R = TypeVar("R")

#: How often blocked queue operations look at the stop flag, in seconds.
POLL = 0.1
#: After a stop, how long finished-but-unreported items and in-flight work are waited for.
DEFAULT_GRACE = 5.0


class Abandoned(Exception):
    """The batch stopped waiting for this item: it must not start writing."""


class WriteGate:
    """Lets writes run until `close`, which then waits for those in progress to end."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._closed = False

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Wrap one file write; raises `Abandoned` once the gate is closed."""
        with self._cond:
            if self._closed:
                raise Abandoned("the batch was stopped")
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def close(self, timeout: float = 10.0) -> bool:
        """Refuse new writes and wait for the running ones; True when none is left running."""
        with self._cond:
            self._closed = True
            return self._cond.wait_for(lambda: self._active == 0, timeout)


@dataclass(frozen=True)
class Done(Generic[T, R]):
    """One finished item and its result."""

    item: T
    result: R


_END = object()
#: Allocations between a parse worker's young-generation collections (Python's default: 700).
_GC_THRESHOLD = 10_000


def _put(q: queue.Queue[object], value: object, stopped: Callable[[], bool]) -> bool:
    """Put into a bounded queue, giving up once ``stopped()``; True when it was put."""
    while not stopped():
        try:
            q.put(value, timeout=POLL)
            return True
        except queue.Full:
            continue
    return False


def run_batch(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    jobs: int = 4,
    stop: threading.Event | None = None,
    on_error: Callable[[T, Exception], R],
    grace: float = DEFAULT_GRACE,
    backlog: int | None = None,
    fatal: tuple[type[Exception], ...] = (SiteNotWritable,),
) -> Iterator[Done[T, R]]:
    """Run ``work`` on every item with ``jobs`` threads; yield each `Done` as it finishes.

    Items are pulled from ``items`` only as workers become free (at most ``backlog`` waiting,
    2 x jobs by default). An exception from ``work`` becomes ``on_error(item, exc)``, so one bad
    item never ends the batch. Once ``stop`` is set no new item is started; items in hand are
    waited for up to ``grace`` seconds, then the generator returns (stuck workers are daemon
    threads and are left behind). Closing the generator early winds the workers down too.

    An exception of a ``fatal`` type (by default `SiteNotWritable`: a full disk, a read-only
    site) is not one item's failure but the end of the run: that item is not yielded, no new
    item is started, and once the items in hand are done the first such exception is raised.
    """
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    stop = stop if stop is not None else threading.Event()
    halt = threading.Event()  # set when the consumer is gone: everything winds down

    fatal_errors: list[Exception] = []

    def stopped() -> bool:
        return stop.is_set() or halt.is_set() or bool(fatal_errors)

    todo: queue.Queue[object] = queue.Queue(maxsize=backlog or 2 * jobs)
    # Bounded too: workers wait for a slow consumer instead of piling up results in memory.
    done: queue.Queue[object] = queue.Queue(maxsize=jobs)
    feed_error: list[BaseException] = []

    def feed() -> None:
        try:
            for item in items:
                if not _put(todo, item, stopped):
                    return
        except BaseException as exc:  # reading the input failed: end the batch, report it
            feed_error.append(exc)
        finally:
            for _ in range(jobs):
                if not _put(todo, _END, stopped):
                    break

    def serve() -> None:
        try:
            while not stopped():
                try:
                    value = todo.get(timeout=POLL)
                except queue.Empty:
                    continue
                if value is _END:
                    return
                item = cast(T, value)  # the feeder puts only items and _END
                try:
                    result = work(item)
                except fatal as exc:  # nothing more can be written: end the run
                    fatal_errors.append(exc)
                    continue
                except Exception as exc:  # one bad item must not end the batch
                    result = on_error(item, exc)
                if not _put(done, Done(item, result), halt.is_set):
                    return
        finally:
            _put(done, _END, halt.is_set)

    threads = [threading.Thread(target=feed, name="batch-feed", daemon=True)]
    threads += [
        threading.Thread(target=serve, name=f"batch-worker-{n}", daemon=True) for n in range(jobs)
    ]
    for thread in threads:
        thread.start()
    running = jobs
    deadline: float | None = None
    timed_out = False
    try:
        while running:
            if (stop.is_set() or fatal_errors) and deadline is None:
                deadline = time.monotonic() + grace
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                break
            try:
                value = done.get(timeout=POLL)
            except queue.Empty:
                continue
            if value is _END:
                running -= 1
                continue
            assert isinstance(value, Done)
            yield value
        if fatal_errors:
            raise fatal_errors[0]
        if feed_error and not timed_out:
            raise feed_error[0]
    finally:
        halt.set()


#: The order of statuses in a summary line.
_SUMMARY_ORDER = (
    Status.ARCHIVED,
    Status.UPDATED,
    Status.UNCHANGED,
    Status.NOT_MODIFIED,
    Status.SKIPPED,
    Status.DUPLICATE,
    Status.SKIPPED_DRAFT,
    Status.SKIPPED_RESPONSE,
    Status.CONFLICT,
    Status.GONE,
    Status.FAILED,
    Status.INVALID,
)


@dataclass
class Tally:
    """Counts of outcomes by status, for progress and the summary line."""

    counts: dict[Status, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.counts.items() if Outcome("", status).failed)

    def as_dict(self) -> dict[str, int]:
        return {status.value: self.counts.get(status, 0) for status in _SUMMARY_ORDER}

    def summary(self) -> str:
        """``"3 archived, 1 already archived, 2 failed"``: every status seen, "failed" always."""
        parts = [
            f"{self.counts.get(status, 0)} {status.value}"
            for status in _SUMMARY_ORDER
            if self.counts.get(status) or status is Status.FAILED
        ]
        return ", ".join(parts)


# --- parse worker processes ---------------------------------------------------------------


#: ``PR_SET_PDEATHSIG`` from <linux/prctl.h>.
_PR_SET_PDEATHSIG = 1
#: Seconds between a worker's looks at its parent, where the kernel cannot tell it.
_PARENT_WATCH = 1.0


def _die_with_parent(parent: int) -> None:
    """End this worker when the process that started it ends, even by SIGKILL.

    On Linux the kernel sends SIGTERM (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread
    looks at ``os.getppid()`` every second. A parent already gone before this ran ends us now.
    """
    watched = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            watched = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    if os.getppid() != parent:
        os._exit(1)
    if watched:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_WATCH)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(parent: int | None = None) -> None:
    """Pool workers leave Ctrl-C to the parent, which stops the batch cleanly, and die with it.

    The objects a worker starts with (modules, the language model) live as long as it does:
    frozen, the cyclic garbage collector no longer walks them on every full collection (which
    also spares their memory pages, shared with a forking parent, from being copied). A page's
    objects are freed by reference counting, so collections can be rarer too.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, when forked
    if parent is not None:
        _die_with_parent(parent)
    # Loaded now, while the first pages are still on their way (~0.2 s: the model and its
    # imports), not when the first page without a stated language is waiting for it. A model
    # that fails to load must not break the pool: the page that needs it reports the error.
    with contextlib.suppress(Exception):
        language.load_language_model()
    gc.freeze()
    gc.set_threshold(_GC_THRESHOLD, *gc.get_threshold()[1:])


def make_parse_pool(processes: int) -> ProcessPoolExecutor:
    """A pool of processes for CPU work, started at once.

    Forked where the platform can (the workers start with this process's modules already
    imported: no second interpreter start-up), else spawned. The workers are started here,
    before the batch starts its threads, so no thread's state is forked mid-way.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    started = pool.submit(int)  # forks every worker now, before the manager thread starts
    if method != "fork":
        started.result()  # spawned workers start on demand: have one ready
    return pool
