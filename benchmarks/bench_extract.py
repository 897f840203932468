"""Median milliseconds per page over the corpus pages: medium-archive vs trafilatura vs bare lxml.

Run: .venv/bin/python benchmarks/bench_extract.py [--repeat 5] [--corpus ../shared/corpus]
(trafilatura is a benchmark-only dependency: pip install -e '.[bench]').

For each served post page of the corpus, in one run: a bare ``lxml.html.fromstring`` parse, our
whole extraction (``extract_post`` + ``render_markdown`` + front matter), and trafilatura's Markdown
extraction with metadata. Each page is timed ``--repeat`` times and the best is kept; the table
gives the median over pages and the goal (ours at most half of trafilatura's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from medium_archive import frontmatter, markdown  # noqa: E402
from medium_archive.extract import extract_post  # noqa: E402


def post_pages(corpus: Path) -> list[tuple[Path, str]]:
    pages = []
    for truth_file in sorted((corpus / "truth").glob("*.json")):
        if truth_file.name.startswith("formats__"):
            continue
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if truth.get("is_post"):
            pages.append((corpus / "pages" / truth["source"], truth.get("canonical_url", "")))
    return pages


def ours(html: str, url: str) -> None:
    post = extract_post(html, url)
    body = markdown.render_markdown(post.body)
    frontmatter.dumps(
        frontmatter.front_matter(post, source_path="_posts/x.md", body_markdown=body), body
    )


def bare_lxml(html: str, url: str) -> None:
    lxml.html.fromstring(html)


def best_ms(fn: Callable[[str, str], object], html: str, url: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(html, url)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    try:
        import trafilatura
    except ImportError:
        print("trafilatura is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2

    def traf(html: str, url: str) -> None:
        trafilatura.extract(html, url=url, output_format="markdown", with_metadata=True)

    pages = post_pages(args.corpus)
    if not pages:
        print(f"no corpus pages under {args.corpus}", file=sys.stderr)
        return 2
    rows: dict[str, list[float]] = {"lxml parse": [], "medium-archive": [], "trafilatura": []}
    for path, url in pages:
        html = path.read_text(encoding="utf-8", errors="replace")
        rows["lxml parse"].append(best_ms(bare_lxml, html, url, args.repeat))
        rows["medium-archive"].append(best_ms(ours, html, url, args.repeat))
        rows["trafilatura"].append(best_ms(traf, html, url, args.repeat))
    print(f"{len(pages)} pages, best of {args.repeat} runs per page; median ms per page")
    print(f"{'tool':<16}{'median':>10}{'mean':>10}{'max':>10}")
    for name, values in rows.items():
        print(
            f"{name:<16}{statistics.median(values):>10.2f}{statistics.mean(values):>10.2f}"
            f"{max(values):>10.2f}"
        )
    ratio = statistics.median(rows["medium-archive"]) / statistics.median(rows["trafilatura"])
    print(
        f"medium-archive / trafilatura = {ratio:.2f} (goal <= 0.50): "
        f"{'met' if ratio <= 0.5 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
