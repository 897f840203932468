"""The corpus oracle's numbers: Medium's paragraph model against our Markdown as CommonMark
(markdown-it-py) and kramdown (a real `jekyll build`) render it.

Run: .venv/bin/python benchmarks/oracle_corpus.py [--corpus ../shared/corpus] [-v]
(the rules are in tests/corpus_oracle.py; tests/test_oracle_corpus.py asserts them). Works on
older code too (a `Post` with ``body_html``), to give the numbers before a change.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import corpus_oracle as oracle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("-v", "--verbose", action="store_true", help="list what is missing")
    args = parser.parse_args()
    pages = list(oracle.model_pages(args.corpus))
    archived = [oracle.archive(source, html) for source, html, _ in pages]
    wants = [
        oracle.expected(paras, post.title, post.subtitle)
        for (_, _, paras), post in zip(pages, archived, strict=True)
    ]
    results: dict[str, list[oracle.Result]] = {"commonmark": [], "kramdown": []}
    for post, want in zip(archived, wants, strict=True):
        html = oracle.commonmark_html(post.body)
        results["commonmark"].append(oracle.check(post.source, want, html))
    jekyll = shutil.which("jekyll")
    if jekyll:
        with tempfile.TemporaryDirectory() as tmp:
            site = Path(tmp) / "site"
            built = oracle.jekyll_site(site, archived)
            subprocess.run(
                [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
                check=True,
                capture_output=True,
                timeout=600,
            )
            for post, want in zip(archived, wants, strict=True):
                page = built[post.source].read_text(encoding="utf-8")
                html = oracle.built_body(page)
                results["kramdown"].append(oracle.check(post.source, want, html))
    print(f"{len(pages)} corpus pages embed a paragraph model")
    for renderer, found in results.items():
        if not found:
            print(f"{renderer}: not run (jekyll not installed)")
            continue
        total = sum(r.total for r in found)
        verbatim = sum(r.verbatim for r in found)
        code = sum(r.code_total for r in found)
        in_pre = sum(r.code_in_pre for r in found)
        problems = [p for r in found for p in r.problems]
        tables = sum(p == "<table>" for p in problems)
        scripts = sum(p == "<script>" for p in problems)
        js = sum("javascript:" in p.lower() for p in problems)
        print(
            f"{renderer:10}: {verbatim}/{total} paragraphs verbatim "
            f"({100 * verbatim / max(total, 1):.1f} %), {in_pre}/{code} code blocks in <pre>, "
            f"{tables} tables, {scripts} scripts, {js} javascript: links, "
            f"{len(problems)} invented tags or links in all"
        )
        if args.verbose:
            for r in found:
                for line in r.missing + r.problems:
                    print(f"  {r.source}: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
