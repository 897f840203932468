"""Seconds to read one export post file of N paragraphs: linear, not quadratic, in N.

Run: .venv/bin/python benchmarks/bench_export.py [--sizes 5000,10000,20000,40000]

Each member is the export fixture post with N more paragraphs (bold text and a link each) and is
read by ``parse_export_post`` (parse, footer, title/subtitle, body normalised). The last column,
seconds per 10,000 paragraphs, stays about flat when the reading is linear (it grew with N before
issue 13: 40,000 paragraphs took over a minute).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from medium_archive.sources.export import parse_export_post  # noqa: E402

POST = ROOT / "fixtures" / "export" / "posts" / "2020-01-02_Hello--World-1234567890ab.html"


def member(paragraphs: int) -> str:
    head, tail = POST.read_text(encoding="utf-8").split('<p name="0008"', 1)
    more = "".join(
        f'<p name="x{i}" class="graf graf--p">Paragraph {i} with <strong>bold</strong> and '
        f'<a href="https://example.com/{i}">a link</a>.</p>\n'
        for i in range(paragraphs)
    )
    return head + more + '<p name="0008"' + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,10000,20000,40000")
    args = parser.parse_args()
    print(f"{'paragraphs':>10} {'MB':>6} {'seconds':>8} {'s/10k':>6}")
    for n in (int(x) for x in args.sizes.split(",")):
        html = member(n)
        started = time.perf_counter()
        parse_export_post(html, "posts/2020-01-02_Big-1234567890ab.html")
        seconds = time.perf_counter() - started
        print(f"{n:>10} {len(html) / 2**20:>6.1f} {seconds:>8.2f} {seconds / n * 10_000:>6.2f}")


if __name__ == "__main__":
    main()
