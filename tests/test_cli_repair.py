"""`medium-archive repair` through the command line: exit codes, output, files left alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import FIXTURES, SEED, require_corpus, require_seed

from medium_archive.cli import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["repair", *args], catch_exceptions=False)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".medium-archive.lock"  # the site lock's mtime is not content
    }


@pytest.fixture
def site(tmp_path: Path) -> Path:
    require_seed()
    posts = tmp_path / "blog" / "_posts"
    posts.mkdir(parents=True)
    shutil.copy(SEED, posts / "2016-01-03-machine-learning-for-artists.md")
    return tmp_path / "blog"


def test_check_lists_the_files_and_exits_1_without_writing(site: Path) -> None:
    before = snapshot(site)
    result = run("--site", str(site), "--check")
    assert result.exit_code == 1
    assert "needs repair:" in result.stdout
    assert "2016-01-03-machine-learning-for-artists.md" in result.stdout
    assert snapshot(site) == before


def test_repair_fixes_then_a_second_run_changes_nothing(site: Path) -> None:
    post = site / "_posts" / "2016-01-03-machine-learning-for-artists.md"
    result = run("--site", str(site))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("repaired:")
    text = post.read_text(encoding="utf-8")
    assert "&amp;comma;" not in text and "Like many, I've been" in text
    assert run("--site", str(site), "--check").exit_code == 0
    settled = snapshot(site)
    again = run("--site", str(site))
    assert again.exit_code == 0 and again.stdout == ""
    assert snapshot(site) == settled


def test_an_unparseable_file_is_reported_and_left_byte_for_byte(site: Path) -> None:
    broken = site / "_posts" / "2020-01-01-broken.md"
    shutil.copy(FIXTURES / "repair" / "broken_yaml.md", broken)
    data, mtime = broken.read_bytes(), broken.stat().st_mtime_ns
    result = run("--site", str(site))
    assert result.exit_code == 1
    assert "2020-01-01-broken.md" in result.stderr and "error:" in result.stderr
    assert "1 could not be parsed" in result.stderr
    assert broken.read_bytes() == data and broken.stat().st_mtime_ns == mtime


def test_named_files_only(site: Path) -> None:
    other = site / "_posts" / "2016-01-04-other.md"
    shutil.copy(site / "_posts" / "2016-01-03-machine-learning-for-artists.md", other)
    before = other.read_bytes()
    result = run(
        str(site / "_posts" / "2016-01-03-machine-learning-for-artists.md"), "--site", str(site)
    )
    assert result.exit_code == 0
    assert other.read_bytes() == before


@pytest.mark.parametrize(
    "page",
    [
        "sample",
        "gunar/you-might-not-need-redux.html",
        "metascraper/integration-medium.input.html",
        "readability/medium-1.source.html",
    ],
)
def test_a_post_just_archived_needs_no_repair(tmp_path: Path, page: str) -> None:
    """What `archive` writes is what `repair` would write: app links keep the page's platform
    order (the sample names android first), so `repair --check` finds nothing to do."""
    source = FIXTURES / "sample" / "sample-post.html"
    if page != "sample":
        source = require_corpus() / "pages" / page
    site = tmp_path / "blog"
    archived = CliRunner().invoke(cli, ["archive", str(source), "--site", str(site), "--no-embeds"])
    assert archived.exit_code == 0, archived.output
    result = run("--site", str(site), "--check")
    assert result.exit_code == 0, result.output
    assert "needs repair" not in result.output
