"""Benchmark `medium-archive sync` and the site scan it starts with.

1. Sync: builds N archived posts (one post rendered once from the sample fixture, then given N
   distinct post ids, file names and ETags), serves 304 Not Modified for every one of them from a
   threaded server on 127.0.0.1, runs ``medium-archive sync`` as a subprocess (--rate high
   enough not to bind) and prints wall time and the sync process's own peak RSS (VmHWM; the
   brief asked for getrusage(RUSAGE_CHILDREN), which on Linux can report the forking parent's).
2. Scan: builds M archived files and times ``Site.index()`` in a fresh subprocess (wall time of
   the call and the process's peak RSS, VmHWM).

    .venv/bin/python benchmarks/bench_sync.py                  # N=1000, M=10000, --jobs 8
    .venv/bin/python benchmarks/bench_sync.py -n 200 -m 2000 --jobs 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from farm import SAMPLE, Farm, QuietHandler, Template, serve_in_background  # noqa: E402

from medium_archive import archive, frontmatter  # noqa: E402
from medium_archive.store import Site  # noqa: E402

SCAN = """
import resource, sys, time
from pathlib import Path
from medium_archive.store import Site
start = time.perf_counter()
index = Site(Path(sys.argv[1])).index()
elapsed = time.perf_counter() - start
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(len(index), elapsed, int(hwm.split()[1]) / 1024)
"""
#: Runs the CLI and, at exit, writes this process's own peak RSS (VmHWM, kB) to argv[1]: a
#: child's ru_maxrss on Linux can reflect the benchmark process it was forked from.
RUN_CLI = """
import atexit, runpy, sys
out = sys.argv.pop(1)
def peak():
    hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
    open(out, "w").write(hwm.split()[1])
atexit.register(peak)
sys.argv[0] = "medium-archive"
runpy.run_module("medium_archive", run_name="__main__")
"""


def etag_of(n: int) -> str:
    return f'"bench-{n}"'


def serve_304(farm: Farm) -> ThreadingHTTPServer:
    """Answers every farm post with 304 when If-None-Match names its ETag (else 404)."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            n = farm.number(self.path)
            ok = n is not None and self.headers.get("If-None-Match") == etag_of(n)
            self.send_response(304 if ok else 404)
            if n is not None:
                self.send_header("ETag", etag_of(n))
            self.send_header("Content-Length", "0")
            self.end_headers()

    return serve_in_background(Handler)


def build_site(root: Path, farm: Farm, count: int, base_url: str) -> None:
    """``count`` archived posts: one rendering, re-identified per post (id, path, URL, ETag).

    Every file is exactly what ``archive`` would write for that post (``contentHash`` matches).
    """
    template_id = farm.post_id(0)
    loaded = archive.load_fetched(farm.page(0), base_url + farm.path(0), base_url + farm.path(0))
    prepared = archive.prepare_post(
        loaded, site=Site(root), options=archive.Options(), source=loaded.post.source
    )
    meta = dict(prepared.meta)
    meta["isBasedOnUrl"] = base_url + farm.path(0)
    meta["_archive"] = {"fetchedFrom": meta["isBasedOnUrl"], "etag": etag_of(0)}
    meta["sourcePath"] = "_posts/2022-11-02-post-number-0.md"
    template = frontmatter.dumps_with_hash(meta, prepared.body)
    stale_hash = meta_hash(template)
    posts = root / "_posts"
    posts.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        text = template.replace(template_id, farm.post_id(n))
        text = text.replace("post-number-0", f"post-number-{n}").replace(etag_of(0), etag_of(n))
        text = text.replace(stale_hash, frontmatter.content_hash(text))  # a file of ours, intact
        (posts / f"2022-11-02-post-number-{n}.md").write_text(text, encoding="utf-8")


def meta_hash(text: str) -> str:
    archive_map = frontmatter.loads(text)[0]["_archive"]
    return str(archive_map["contentHash"])


def bench_sync(count: int, jobs: int) -> None:
    farm = Farm([Template(*SAMPLE)])
    server = serve_304(farm)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "blog"
        build_site(root, farm, count, base_url)
        peak_file = Path(tmp) / "peak"
        command = [sys.executable, "-c", RUN_CLI, str(peak_file), "sync", "--site", str(root)]
        command += ["--jobs", str(jobs), "--rate", "100000", "--json"]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        peak = int(peak_file.read_text()) / 1024 if peak_file.exists() else float("nan")
        summary = json.loads(done.stdout)["summary"] if done.stdout else {}
        print(
            f"sync  N={count} jobs={jobs}: {elapsed:.2f} s wall, {count / elapsed:.0f} posts/s, "
            f"peak RSS {peak:.0f} MB, exit {done.returncode}, "
            f"not modified={summary.get('not modified')}"
        )
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
    server.shutdown()


def bench_scan(count: int) -> None:
    farm = Farm([Template(*SAMPLE)])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "blog"
        build_site(root, farm, count, "https://medium.com")
        done = subprocess.run(
            [sys.executable, "-c", SCAN, str(root)], capture_output=True, text=True, check=True
        )
        found, elapsed, peak = done.stdout.split()
        print(
            f"scan  M={count}: {float(elapsed):.2f} s for Site.index() ({found} posts), "
            f"peak RSS {float(peak):.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="posts synced (all 304)")
    parser.add_argument("-m", type=int, default=10000, help="files scanned")
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    bench_sync(args.n, args.jobs)
    bench_scan(args.m)


if __name__ == "__main__":
    main()
