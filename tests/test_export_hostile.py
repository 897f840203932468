"""Hostile account exports (issue 13, item 7): a member with a bad CRC, one too big, one lxml
cannot take, and a 40,000-paragraph member; each bad member fails alone, with one line.

The 40k-paragraph member used to take minutes (an XPath union over the body's blocks sorted its
node sets: quadratic); it must now simply finish and be archived. Its speed is measured by
benchmarks/bench_export.py, not asserted here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import lxml.etree
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import FIXTURES, ROOT

from medium_archive.cli import cli
from medium_archive.sources import export
from medium_archive.sources.export import iter_export

POST = FIXTURES / "export" / "posts" / "2020-01-02_Hello--World-1234567890ab.html"
PROFILE = FIXTURES / "export" / "profile" / "profile.html"


def post_html(post_id: str, paragraphs: int = 0) -> bytes:
    """The fixture post with another post id and ``paragraphs`` more paragraphs in its body."""
    html = POST.read_text(encoding="utf-8").replace("1234567890ab", post_id)
    head, tail = html.split('<p name="0008"', 1)
    more = "".join(
        f'<p name="x{i}" id="x{i}" class="graf graf--p">Paragraph {i} with <strong>bold</strong>'
        f' and <a href="https://example.com/{i}">a link</a>.</p>\n'
        for i in range(paragraphs)
    )
    return (head + more + '<p name="0008"' + tail).encode("utf-8")


def member(post_id: str) -> str:
    return f"posts/2020-01-02_Post-{post_id}.html"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["import", *args])


def archived_ids(site: Path) -> list[str]:
    ids = []
    for path in sorted((site / "_posts").glob("*.md")):
        ids.append(yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])["identifier"])
    return ids


def assert_one_line_for(result: Result, name: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and name in errors[0], result.stderr


def test_a_member_with_a_bad_crc_fails_alone(tmp_path: Path) -> None:
    zip_path = tmp_path / "export.zip"
    good = ["aaaaaaaaaaaa", "cccccccccccc"]
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("profile/profile.html", PROFILE.read_bytes())
        zf.writestr(member(good[0]), post_html(good[0]))
        zf.writestr(member("bbbbbbbbbbbb"), post_html("bbbbbbbbbbbb"))
        zf.writestr(member(good[1]), post_html(good[1]))
    data = bytearray(zip_path.read_bytes())
    body_at = data.index(
        b"Paragraph" if b"Paragraph" in data else b"First paragraph",
        data.index(member("bbbbbbbbbbbb").encode()),
    )
    data[body_at] ^= 0x20  # one flipped bit in a stored member: its CRC-32 no longer matches
    zip_path.write_bytes(bytes(data))
    site = tmp_path / "blog"
    result = run(str(zip_path), "--site", str(site))
    assert result.exit_code == 1
    assert_one_line_for(result, member("bbbbbbbbbbbb"))
    assert "CRC" in result.stderr
    assert sorted(archived_ids(site)) == good
    assert "1 failed" in result.stderr


def test_an_oversized_member_is_refused_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big, small = post_html("bbbbbbbbbbbb", paragraphs=200), post_html("aaaaaaaaaaaa")
    monkeypatch.setattr(export, "MAX_MEMBER_BYTES", (len(big) + len(small)) // 2)
    for layout in ("zip", "folder"):
        source = tmp_path / f"export-{layout}"
        if layout == "zip":
            source = source.with_suffix(".zip")
            with zipfile.ZipFile(source, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(member("aaaaaaaaaaaa"), small)
                zf.writestr(member("bbbbbbbbbbbb"), big)
        else:
            (source / "posts").mkdir(parents=True)
            (source / member("aaaaaaaaaaaa")).write_bytes(small)
            (source / member("bbbbbbbbbbbb")).write_bytes(big)
        site = tmp_path / f"blog-{layout}"
        result = run(str(source), "--site", str(site))
        assert result.exit_code == 1, result.output
        assert_one_line_for(result, member("bbbbbbbbbbbb"))
        assert "over the" in result.stderr and "MB" in result.stderr
        assert archived_ids(site) == ["aaaaaaaaaaaa"]


def test_a_member_lxml_cannot_take_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = export._parse_export_post

    def fragile(html: str, filename: str, author: object) -> export.ExportItem:
        if "bbbbbbbbbbbb" in filename:
            raise lxml.etree.XPathEvalError("XPath evaluation returned no result.")
        return real(html, filename, author)  # type: ignore[arg-type]

    monkeypatch.setattr(export, "_parse_export_post", fragile)
    folder = tmp_path / "export"
    (folder / "posts").mkdir(parents=True)
    for post_id in ("aaaaaaaaaaaa", "bbbbbbbbbbbb"):
        (folder / member(post_id)).write_bytes(post_html(post_id))
    items = {item.source.rsplit("-", 1)[1]: item for item in iter_export(folder)}
    assert items["bbbbbbbbbbbb.html"].kind == "error"
    assert "cannot read this export page" in items["bbbbbbbbbbbb.html"].error
    assert items["aaaaaaaaaaaa.html"].kind == "post"
    site = tmp_path / "blog"
    result = run(str(folder), "--site", str(site))
    assert result.exit_code == 1
    assert_one_line_for(result, member("bbbbbbbbbbbb"))
    assert archived_ids(site) == ["aaaaaaaaaaaa"]


def test_a_40k_paragraph_member_is_archived(tmp_path: Path) -> None:
    zip_path = tmp_path / "export.zip"
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member("aaaaaaaaaaaa"), post_html("aaaaaaaaaaaa", paragraphs=40_000))
        zf.writestr(member("cccccccccccc"), post_html("cccccccccccc"))
    site = tmp_path / "blog"
    result = run(str(zip_path), "--site", str(site))
    assert result.exit_code == 0, result.output
    assert sorted(archived_ids(site)) == ["aaaaaaaaaaaa", "cccccccccccc"]
    (big,) = [p for p in (site / "_posts").glob("*.md") if "aaaaaaaaaaaa" in p.read_text()]
    text = big.read_text(encoding="utf-8")
    assert "Paragraph 0 with **bold**" in text and "Paragraph 39999 with **bold**" in text


def test_sigterm_stops_an_export_import_between_members(tmp_path: Path) -> None:
    """SIGTERM while members are being read: the run ends between members, with exit 130."""
    zip_path = tmp_path / "export.zip"
    ids = [f"{n:012x}" for n in range(0xA0, 0xAC)]
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for post_id in ids:
            zf.writestr(member(post_id), post_html(post_id, paragraphs=10_000))
    site = tmp_path / "blog"
    command = [
        sys.executable,
        "-m",
        "medium_archive",
        "import",
        str(zip_path),
        "--site",
        str(site),
        "--jobs",
        "2",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip()  # one post is archived
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    done = archived_ids(site)  # every file written parses: none is half written
    assert 1 <= len(done) < len(ids)
