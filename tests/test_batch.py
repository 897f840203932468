"""The batch runner with a fake work function: concurrency, streaming, errors, stopping."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from medium_archive import language
from medium_archive.batch import Abandoned, WriteGate, make_parse_pool, run_batch


def fail(item: object, exc: Exception) -> str:
    return f"error: {exc}"


def test_every_item_is_done_once() -> None:
    results = list(run_batch(range(100), lambda n: n * n, jobs=4, on_error=fail))
    assert sorted(d.item for d in results) == list(range(100))
    assert all(d.result == d.item * d.item for d in results)


def test_jobs_run_concurrently() -> None:
    # Each item waits until 8 items are in work at once: only 8 concurrent workers get past.
    together = threading.Barrier(8)
    results = list(run_batch(range(16), lambda n: together.wait(30), jobs=8, on_error=fail))
    assert len(results) == 16
    assert not any(str(d.result).startswith("error") for d in results)


def test_at_most_jobs_items_run_at_once() -> None:
    lock = threading.Lock()
    running = peak = 0

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return n

    list(run_batch(range(60), work, jobs=3, on_error=fail))
    assert peak == 3


def test_an_exception_in_work_becomes_a_result_and_the_batch_goes_on() -> None:
    def work(n: int) -> str:
        if n == 3:
            raise RuntimeError("boom")
        return "ok"

    results = {d.item: d.result for d in run_batch(range(6), work, jobs=2, on_error=fail)}
    assert results[3] == "error: boom"
    assert [results[n] for n in (0, 1, 2, 4, 5)] == ["ok"] * 5


def test_input_is_pulled_lazily_from_an_endless_iterator() -> None:
    pulled = 0

    def endless() -> Iterator[int]:
        nonlocal pulled
        for n in itertools.count():
            pulled += 1
            yield n

    batch = run_batch(endless(), lambda n: n, jobs=2, on_error=fail, backlog=4)
    first = list(itertools.islice(batch, 10))
    batch.close()
    assert len(first) == 10
    # At most: the 10 taken, 2 finished in the results queue (its size is jobs), 2 finished in
    # the workers' hands waiting for room there, 4 queued (backlog) and 1 the feeder holds.
    assert pulled <= 10 + 2 + 2 + 4 + 1


def test_stop_lets_items_in_hand_finish_and_starts_no_new_one() -> None:
    stop = threading.Event()
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        time.sleep(0.1)
        return n

    finished = []
    for done in run_batch(range(1000), work, jobs=4, stop=stop, on_error=fail):
        finished.append(done.item)
        if len(finished) == 6:
            stop.set()
    assert sorted(finished) == sorted(started)  # nothing begun was dropped
    assert len(started) < 20  # the 6, those in hand (4), the few started meanwhile


def test_stuck_workers_are_left_behind_after_the_grace_period() -> None:
    stop = threading.Event()
    release = threading.Event()

    unstuck = threading.Event()

    def work(n: int) -> int:
        if n == 1:
            release.wait(60)  # a worker stuck in a long Retry-After
            unstuck.set()
        return n

    items = []
    for done in run_batch(range(50), work, jobs=2, stop=stop, on_error=fail, grace=0.3):
        items.append(done.item)
        if len(items) == 3:
            stop.set()
    assert not unstuck.is_set()  # the batch ended while the stuck worker was still stuck
    release.set()
    assert 1 not in items


def test_a_failing_input_iterator_ends_the_batch_with_its_error() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    with pytest.raises(UnicodeDecodeError):
        list(run_batch(broken(), lambda n: n, jobs=2, on_error=fail))


def test_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError):
        list(run_batch([1], lambda n: n, jobs=0, on_error=fail))


def test_write_gate_waits_for_running_writes_and_refuses_new_ones() -> None:
    gate = WriteGate()
    inside = threading.Event()
    finished = threading.Event()

    def writer() -> None:
        with gate.writing():
            inside.set()
            time.sleep(0.2)
        finished.set()

    thread = threading.Thread(target=writer)
    thread.start()
    inside.wait(2)
    assert gate.close(timeout=5)
    assert finished.is_set()  # close returned only after the running write ended
    with pytest.raises(Abandoned), gate.writing():
        pass
    thread.join()


def test_parse_workers_start_even_when_the_language_model_cannot_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workers load the model as they start; a model that fails to load must leave a working
    pool (the page that needs the model reports the error), not a broken one."""

    def broken() -> None:
        raise OSError("model file missing")

    monkeypatch.setattr(language, "load_language_model", broken)
    pool = make_parse_pool(1)  # forked: the worker sees the patched function
    try:
        assert pool.submit(sum, [1, 2]).result(timeout=30) == 3
    finally:
        pool.shutdown()
