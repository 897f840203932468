"""Benchmark `medium-archive import`: N real-sized posts from a local server with fixed latency.

Serves N distinct posts (corpus pages with rewritten post ids, see tests/farm.py; made before
the clock starts, as a remote site's pages cost this machine nothing) from a threaded server on
127.0.0.1 that waits LATENCY seconds before each response, runs the CLI as a
subprocess for each --jobs value (--rate high enough not to bind), and prints wall time against
the ideal N x latency / jobs and memory: /proc VmRSS of the import process and of its children
(the parse worker processes), sampled every 200 ms (the kernel's VmHWM catches peaks between
samples); peaks of the main process, of the workers summed and of the whole tree (RSS counts the
pages the forked workers share with the parent once per process; PSS, also shown, splits them),
and the main process's RSS over the run (flat = no growth with N). CPU per post: the import's
main process, its workers, and this benchmark's own server and sampling ("harness", with its
kernel time: loopback TCP), which run on the same cores.

    .venv/bin/python benchmarks/bench_import.py                 # N=200, 100 ms, jobs 1 4 8 16
    .venv/bin/python benchmarks/bench_import.py -n 1000 --jobs 8 --processes 0
    .venv/bin/python benchmarks/bench_import.py --jobs 8 --no-embeds   # no embed requests
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from farm import Farm, QuietHandler, serve_in_background, templates  # noqa: E402

CORPUS = Path(os.environ.get("MEDIUM_ARCHIVE_CORPUS", ROOT.parent / "shared" / "corpus"))


def serve(
    farm: Farm, latency: float, page: Callable[[int], bytes] | None = None
) -> ThreadingHTTPServer:
    """Serve the farm's posts, each response after ``latency`` seconds. ``page``: post number to
    page bytes (default: `Farm.page_bytes`, made on request)."""
    make = page or farm.page_bytes

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            time.sleep(latency)
            n = farm.number(self.path)
            body = make(n) if n is not None else b"not found"
            self.send_response(200 if n is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return serve_in_background(Handler)


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """VmRSS (or another /proc status field, such as VmHWM: the peak RSS so far) of one process in
    KB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid: int) -> int:
    """Proportional set size of one process in KB: shared pages (the forked workers share most of
    the parent's) are split between the processes that share them, so PSS adds up across a
    process tree where RSS counts shared pages once per process."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The live descendants of ``pid`` (Linux /proc)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except OSError:
                continue
            found += kids
            stack += kids
    return found


@dataclass
class Run:
    wall: float
    code: int
    #: (seconds since start, main process RSS MB, its children's RSS MB summed)
    samples: list[tuple[float, float, float]] = field(default_factory=list)
    #: the process tree's PSS MB at each sample
    tree_pss: list[float] = field(default_factory=list)
    #: CPU seconds of the main process and of each child, as last seen
    cpu_main: float = 0.0
    cpu_children: dict[int, float] = field(default_factory=dict)
    #: peak RSS MB (VmHWM) of the main process and of each child, as last seen
    hwm_main: float = 0.0
    hwm_children: dict[int, float] = field(default_factory=dict)

    @property
    def peak_main(self) -> float:
        return max([self.hwm_main, *(s[1] for s in self.samples)])

    @property
    def peak_children(self) -> float:
        """The children's peaks summed (they need not coincide: an upper bound)."""
        return max([sum(self.hwm_children.values()), *(s[2] for s in self.samples)])

    @property
    def peak_tree(self) -> float:
        return max((s[1] + s[2] for s in self.samples), default=0.0)

    @property
    def peak_tree_pss(self) -> float:
        return max(self.tree_pss, default=0.0)


def run_import(
    listing: Path, jobs: int, processes: int | None, every: float = 0.2, extra: tuple[str, ...] = ()
) -> Run:
    """Run one import into a fresh site, sampling the memory of the process tree every ``every``
    seconds (the sampling runs on the same cores as the import, so it is kept cheap)."""
    with tempfile.TemporaryDirectory() as site:
        command = [
            sys.executable,
            "-m",
            "medium_archive",
            "import",
            str(listing),
            "--site",
            site,
            "--jobs",
            str(jobs),
            "--rate",
            "100000",
        ]
        if processes is not None:
            command += ["--processes", str(processes)]
        command += extra
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # Run as installed: Python caches compiled modules (this sandbox's environment says not
        # to, which would recompile the whole package at each start).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.monotonic()
            proc = subprocess.Popen(command, env=env, stdout=out, stderr=err)
            run = Run(0.0, 0)
            kids: list[int] = []
            looked = -1.0
            while proc.poll() is None:
                now = time.monotonic() - started
                if now - looked >= 1.0:  # the workers are long-lived: look for them once a second
                    kids, looked = children(proc.pid), now
                main_kb = rss_kb(proc.pid)
                kids_kb = sum(rss_kb(k) for k in kids)
                run.cpu_main = cpu_seconds(proc.pid) or run.cpu_main
                run.hwm_main = max(run.hwm_main, rss_kb(proc.pid, "VmHWM") / 1024)
                for kid in kids:
                    run.cpu_children[kid] = cpu_seconds(kid) or run.cpu_children.get(kid, 0.0)
                    run.hwm_children[kid] = max(
                        run.hwm_children.get(kid, 0.0), rss_kb(kid, "VmHWM") / 1024
                    )
                run.samples.append((now, main_kb / 1024, kids_kb / 1024))
                run.tree_pss.append(sum(pss_kb(p) for p in (proc.pid, *kids)) / 1024)
                time.sleep(every)
            run.wall = time.monotonic() - started
            run.code = proc.returncode
            if run.code:
                err.seek(0)
                print(err.read().decode()[-2000:], file=sys.stderr)
        return run


def series(run: Run, points: int = 8) -> str:
    """Main-process RSS at evenly spaced moments of the run: does it grow with time (= posts)?"""
    if not run.samples:
        return ""
    step = max(1, len(run.samples) // points)
    picked = run.samples[::step][:points] + [run.samples[-1]]
    return " ".join(f"{t:.0f}s:{m:.0f}" for t, m, _ in picked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--posts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per response")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="parse worker processes (default: the CLI's choice)",
    )
    parser.add_argument(
        "--no-embeds",
        action="store_true",
        help="pass --no-embeds (the farm answers every media page 404)",
    )
    args = parser.parse_args()

    farm = Farm(templates(CORPUS if CORPUS.is_dir() else None))
    sizes = [len(farm.page(n).encode()) for n in range(len(farm.templates))]
    # Pages made before the clock starts (a remote site does not spend our CPU making them),
    # unless that would take more than 1 GiB: then on request.
    rendered: list[bytes] = []
    if args.posts * max(sizes) <= 1 << 30:
        rendered = [farm.page_bytes(n) for n in range(args.posts)]

    def page(n: int) -> bytes:
        return rendered[n] if n < len(rendered) else farm.page_bytes(n)

    server = serve(farm, args.latency, page)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "urls.txt"
        listing.write_text("".join(f"{base}{farm.path(n)}\n" for n in range(args.posts)))
        print(
            f"{args.posts} posts from {len(farm.templates)} templates "
            f"(mean {sum(sizes) / len(sizes) / 1024:.0f} KB), "
            f"latency {args.latency * 1000:.0f} ms, "
            f"processes={'auto' if args.processes is None else args.processes}, "
            f"{os.cpu_count()} CPUs"
        )
        print(
            f"{'jobs':>4} {'wall s':>7} {'ideal s':>7} {'ratio':>5} {'main MB':>7} "
            f"{'workers MB':>10} {'tree MB':>7} {'tree PSS MB':>11} "
            f"{'CPU ms/post main+workers':>24} {'harness':>16} {'exit':>4}  "
            "main RSS over time (s:MB)"
        )
        for jobs in args.jobs:
            harness_before = os.times()
            extra = ("--no-embeds",) if args.no_embeds else ()
            run = run_import(listing, jobs, args.processes, extra=extra)
            harness_after = os.times()
            harness = sum(harness_after[:2]) - sum(harness_before[:2])
            harness_sys = harness_after[1] - harness_before[1]
            ideal = args.posts * args.latency / jobs

            def cpu(seconds: float) -> str:
                return f"{seconds * 1000 / args.posts:.1f}"

            print(
                f"{jobs:>4} {run.wall:>7.1f} {ideal:>7.1f} {run.wall / ideal:>5.2f} "
                f"{run.peak_main:>7.0f} {run.peak_children:>10.0f} {run.peak_tree:>7.0f} "
                f"{run.peak_tree_pss:>11.0f} "
                f"{cpu(run.cpu_main):>11} + {cpu(sum(run.cpu_children.values())):<10} "
                f"{cpu(harness):>5} ({cpu(harness_sys)} sys) "
                f"{run.code:>4}  {series(run)}",
                flush=True,
            )
    server.shutdown()


if __name__ == "__main__":
    main()
