"""Benchmark `medium-archive import`: N real-sized posts from a local server with fixed latency.

Serves N distinct posts (corpus pages with rewritten post ids, see tests/farm.py) from a threaded
server on 127.0.0.1 that waits LATENCY seconds before each response, runs the CLI as a
subprocess for each --jobs value (--rate high enough not to bind), and prints wall time against
the ideal N x latency / jobs and the peak RSS of the import process tree
(getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest single process, main or a parse worker).

    .venv/bin/python benchmarks/bench_import.py                 # N=200, 100 ms, jobs 1 4 8 16
    .venv/bin/python benchmarks/bench_import.py -n 1000 --jobs 8 --processes 0
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from farm import Farm, templates  # noqa: E402

CORPUS = Path(os.environ.get("MEDIUM_ARCHIVE_CORPUS", ROOT.parent / "shared" / "corpus"))


def serve(farm: Farm, latency: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            time.sleep(latency)
            n = farm.number(self.path)
            body = (farm.page(n) if n is not None else "not found").encode("utf-8")
            self.send_response(200 if n is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_import(listing: Path, jobs: int, processes: int | None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, exit code of one import into a fresh site."""
    with tempfile.TemporaryDirectory() as site:
        command = [sys.executable, "-m", "medium_archive", "import", str(listing), "--site", site,
                   "--jobs", str(jobs), "--rate", "100000"]
        if processes is not None:
            command += ["--processes", str(processes)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        # A fresh interpreter per run, so RUSAGE_CHILDREN's max covers this import only.
        probe = (
            "import resource, subprocess, sys; "
            "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)"
        )
        done = subprocess.run([sys.executable, "-c", probe, *command], env=env,
                              capture_output=True, text=True)
        wall = time.monotonic() - started
        peak_kb = int(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else 0
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)
        return wall, peak_kb / 1024, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--posts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per response")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--processes", type=int, default=None,
                        help="parse worker processes (default: the CLI's choice)")
    args = parser.parse_args()

    farm = Farm(templates(CORPUS if CORPUS.is_dir() else None))
    server = serve(farm, args.latency)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sizes = [len(farm.page(n).encode()) for n in range(len(farm.templates))]
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "urls.txt"
        listing.write_text("".join(f"{base}{farm.path(n)}\n" for n in range(args.posts)))
        print(f"{args.posts} posts from {len(farm.templates)} templates "
              f"(mean {sum(sizes) / len(sizes) / 1024:.0f} KB), "
              f"latency {args.latency * 1000:.0f} ms, "
              f"processes={'auto' if args.processes is None else args.processes}, "
              f"{os.cpu_count()} CPUs")
        print(f"{'jobs':>4} {'wall s':>8} {'ideal s':>8} {'ratio':>6} {'peak MB':>8} {'exit':>4}")
        for jobs in args.jobs:
            wall, peak, code = run_import(listing, jobs, args.processes)
            ideal = args.posts * args.latency / jobs
            row = f"{jobs:>4} {wall:>8.1f} {ideal:>8.1f} {wall / ideal:>6.2f} {peak:>8.0f}"
            print(f"{row} {code:>4}", flush=True)
    server.shutdown()


if __name__ == "__main__":
    main()
