"""Benchmark `medium-archive import @user` against the same posts given as a URL list.

A threaded server on 127.0.0.1 plays one account, ``@farm``, of N posts (tests/farm.py) and its
GraphQL listing (pages of 10, ``POST /_/graphql``), answering every request (post page or listing
page) after LATENCY seconds. The CLI runs as a subprocess, once with ``@farm`` (resolved there
through MEDIUM_ARCHIVE_ORIGIN) and once with a list file of the same N URLs, each into a fresh
site. Listing the account costs N/10 sequential requests; since the listing streams into the
batch runner, it overlaps the archiving instead of coming before it: the account's wall time
should be close to the list's, not the list's plus N/10 x LATENCY.

    .venv/bin/python benchmarks/bench_account.py               # N=300, 100 ms, --jobs 8
    .venv/bin/python benchmarks/bench_account.py -n 1000 --latency 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from farm import Farm, QuietHandler, serve_in_background, templates  # noqa: E402

PAGE = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="posts in the account")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each answer")
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    farm = Farm(templates(None))
    n, latency = args.n, args.latency
    origin = ""

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            time.sleep(latency)
            number = farm.number(self.path)
            body = farm.page_bytes(number) if number is not None and number < n else b"no"
            self.answer(200 if body != b"no" else 404, "text/html; charset=utf-8", body)

        def do_POST(self) -> None:  # noqa: N802
            time.sleep(latency)
            length = int(self.headers.get("Content-Length", "0"))
            variables = json.loads(self.rfile.read(length))[0]["variables"]
            start = int(variables["from"] or 0)
            posts = [
                {"id": farm.post_id(k), "mediumUrl": origin + farm.path(k)}
                for k in range(start, min(start + PAGE, n))
            ]
            following = {"from": str(start + PAGE)} if start + PAGE < n else None
            user = {
                "__typename": "User",
                "homepagePostsConnection": {"posts": posts, "pagingInfo": {"next": following}},
            }
            self.answer(
                200, "application/json", json.dumps([{"data": {"userResult": user}}]).encode()
            )

        def answer(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = serve_in_background(Handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDIUM_ARCHIVE_ORIGIN": origin}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "urls.txt"
        listing.write_text("".join(f"{origin}{farm.path(k)}\n" for k in range(n)))
        print(
            f"N={n} posts, latency {latency * 1000:.0f} ms, --jobs {args.jobs}; "
            f"ideal {n * latency / args.jobs:.1f} s of post fetches, "
            f"{n // PAGE} listing pages = {n / PAGE * latency:.1f} s if run before them"
        )
        for label, source in (("URL list", str(listing)), ("@farm", "@farm")):
            site = Path(tmp) / label.replace(" ", "-")
            command = [
                sys.executable,
                "-m",
                "medium_archive",
                "import",
                source,
                "--site",
                str(site),
                "--jobs",
                str(args.jobs),
                "--rate",
                "100000",
            ]
            started = time.monotonic()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            wall = time.monotonic() - started
            files = len(list((site / "_posts").glob("*.md")))
            summary = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
            print(f"{label:>9}: {wall:5.1f} s, exit {done.returncode}, {files} files  ({summary})")
    server.shutdown()


if __name__ == "__main__":
    main()
