"""repair: offline cleanup of archive files, the seed (earlier tool's format) included."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, SEED, require_seed
from hypothesis import given
from hypothesis import strategies as st

from medium_archive import frontmatter, store
from medium_archive.cleanup import has_entity_text
from medium_archive.repair import (
    regroup_app_links,
    repair_body,
    repair_file,
    repair_site,
    repair_text,
)
from medium_archive.store import Site

REPAIR_FIXTURES = FIXTURES / "repair"
LIKE_MANY = (
    "Like many, I've been excited by the rise of Deep Learning, a branch of ML which has "
    "recently achieved state-of-the-art results"
)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    require_seed()
    copy = tmp_path / "site" / "_posts" / "2016-01-03-machine-learning-for-artists.md"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(SEED, copy)
    return copy


def fixture_copy(tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copyfile(REPAIR_FIXTURES / name, copy)
    return copy


def code_spans(markdown: str) -> list[str]:
    fences = re.findall(r"^```.*?^```$", markdown, re.M | re.S)
    inline = re.findall(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", markdown)
    return fences + [m[1] for m in inline]


def outside_code(markdown: str) -> str:
    text = re.sub(r"^```.*?^```$", "", markdown, flags=re.M | re.S)
    text = re.sub(r"^    .*$", "", text, flags=re.M)
    return re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", text)


# ---------------------------------------------------------------- the seed


def test_seed_is_repaired(seed_copy: Path) -> None:
    result = repair_file(seed_copy, check=False)
    assert result.changed and result.path == seed_copy
    assert result.error is None
    meta, body = frontmatter.loads(seed_copy.read_text(encoding="utf-8"))
    assert LIKE_MANY in meta["description"]
    assert LIKE_MANY in body
    assert "disorganized, unlabeled data like raw images, video, audio, and text." in body
    assert not has_entity_text(body) and not has_entity_text(str(meta))
    assert "&amp;" not in body and "&comma;" not in body


def test_seed_front_matter_values(seed_copy: Path) -> None:
    repair_file(seed_copy, check=False)
    text = seed_copy.read_text(encoding="utf-8")
    meta, _ = frontmatter.loads(text)
    assert meta == yaml.safe_load(text.split("\n---\n")[0][4:])
    assert meta["datePublished"] == "2016-01-03T17:19:44.342Z"
    assert meta["dateModified"] == "2016-01-03T17:05:21.794Z"
    assert meta["app_links"] == [
        {
            "type": "ios",
            "url": "medium:/p/e93d20fdb097",
            "app_store_id": "828256236",
            "app_name": "Medium",
        },
        {
            "type": "android",
            "url": "medium://p/e93d20fdb097",
            "app_name": "Medium",
            "package": "com.medium.reader",
        },
        {
            "type": "web",
            "url": "https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097",
        },
    ]
    # the keys and their order are the seed's own (the contract)
    assert list(meta)[:3] == ["author", "related", "publisher"]
    assert list(meta)[-5:-3] == ["_context", "_type"]
    # then the site generator's keys the file itself determines (no tags: derived keywords)
    assert list(meta)[-3:] == ["date", "last_modified_at", "canonical_url"]
    assert meta["date"] == "2016-01-03T17:19:44.342Z"
    assert meta["last_modified_at"] == "2016-01-03T17:05:21.794Z"
    assert meta["canonical_url"] == (
        "https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097"
    )


def test_seed_repair_is_idempotent_and_indexable(seed_copy: Path) -> None:
    once = repair_text(seed_copy.read_text(encoding="utf-8"))
    assert repair_text(once) == once
    seed_copy.write_text(once, encoding="utf-8")
    assert Site(seed_copy.parents[1]).index()["e93d20fdb097"].path.endswith("artists.md")


# ---------------------------------------------------------------- Markdown fixture


def test_markdown_body_outside_code_is_cleaned_code_untouched(tmp_path: Path) -> None:
    path = fixture_copy(tmp_path, "markdown_code.md")
    original = path.read_text(encoding="utf-8")
    assert repair_file(path, check=False).changed
    repaired = path.read_text(encoding="utf-8")
    meta, body = frontmatter.loads(repaired)
    _, old_body = frontmatter.loads(original)
    assert code_spans(body) == code_spans(old_body)
    assert "<p>Fish &amp; chips &amp;comma; &lt;b&gt;</p>" in body
    assert "    indented &amp;amp; code stays" in body
    assert "`&amp;lt;`" in body
    assert not has_entity_text(outside_code(body))
    assert "It\u2019s time to talk about" in body
    assert "in code." in body and "Last line & done." in body
    assert "\u00a0" not in body and "\u200a" not in body
    # decoded markup-like text is escaped, not turned into raw HTML
    assert "Write \\<div> in prose" in body


def test_markdown_front_matter_is_cleaned(tmp_path: Path) -> None:
    path = fixture_copy(tmp_path, "markdown_code.md")
    repair_file(path, check=False)
    meta, _ = frontmatter.loads(path.read_text(encoding="utf-8"))
    assert meta["description"] == "It\u2019s about entities, really"
    assert meta["title"] == "Escaping: a guide"
    assert meta["author"][0]["name"] == "Ada & Lovelace"
    assert meta["datePublished"] == "2019-05-01T10:00:00.500Z"
    assert meta["dateModified"] == "2019-05-02"
    assert isinstance(meta["datePublished"], str) and isinstance(meta["dateModified"], str)
    assert meta["app_links"] == [
        {"type": "ios", "app_store_id": "828256236", "app_name": "Medium"},
        {"type": "android", "url": "medium://p/0123456789ab", "package": "com.medium.reader"},
        {"type": "web", "url": "https://medium.com/@ada/escaping-0123456789ab"},
    ]
    assert not has_entity_text(str(meta))


def test_html_body_text_cleaned_outside_pre_and_code(tmp_path: Path) -> None:
    path = fixture_copy(tmp_path, "html_body.md")
    repair_file(path, check=False)
    meta, body = frontmatter.loads(path.read_text(encoding="utf-8"))
    assert meta["title"] == "Café notes"
    assert "<h1>Café</h1><p>Tea, coffee & cake.</p>" in body
    assert "<pre><code>if a &amp;&amp; b: x = &quot;&amp;amp;&quot;</code></pre>" in body
    assert "<code>&amp;lt;br&amp;gt;</code>" in body
    # text that decodes to a tag stays text (escaped once, as HTML requires)
    assert "or write &lt;br> as text." in body


@pytest.mark.parametrize("name", ["markdown_code.md", "html_body.md"])
def test_repair_twice_equals_once(tmp_path: Path, name: str) -> None:
    path = fixture_copy(tmp_path, name)
    repair_file(path, check=False)
    once = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    result = repair_file(path, check=False)
    assert result.changed is False and result.error is None
    assert path.read_bytes() == once and path.stat().st_mtime_ns == mtime


# ---------------------------------------------------------------- check, errors, site


def test_check_reports_without_writing(tmp_path: Path) -> None:
    path = fixture_copy(tmp_path, "markdown_code.md")
    before = path.read_bytes()
    result = repair_file(path, check=True)
    assert result.changed is True and result.error is None
    assert path.read_bytes() == before
    repair_file(path, check=False)
    assert repair_file(path, check=True).changed is False


def test_unparseable_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = fixture_copy(tmp_path, "broken_yaml.md")
    before = path.read_bytes()
    result = repair_file(path, check=False)
    assert result.changed is False
    assert result.error is not None and "not valid YAML at line" in result.error
    assert "\n" not in result.error
    assert path.read_bytes() == before


def test_no_temp_file_left_when_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fixture_copy(tmp_path, "markdown_code.md")
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store.os, "replace", broken_replace)
    result = repair_file(path, check=False)
    assert result.error == f"cannot write {path}: disk full"
    assert result.write_failed
    assert os.listdir(tmp_path) == ["markdown_code.md"] and path.read_bytes() == before


def test_repair_site_all_posts_and_given_paths(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    for folder, name in [
        ("_posts", "markdown_code.md"),
        ("_drafts", "html_body.md"),
        ("_posts", "broken_yaml.md"),
    ]:
        (site.root / folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPAIR_FIXTURES / name, site.root / folder / name)
    results = {r.path.name: r for r in repair_site(site, check=True)}
    assert {k: (r.changed, r.error is not None) for k, r in results.items()} == {
        "markdown_code.md": (True, False),
        "html_body.md": (True, False),
        "broken_yaml.md": (False, True),
    }
    [only] = list(repair_site(site, ["_posts/markdown_code.md"]))
    assert only.changed and only.path == site.root / "_posts" / "markdown_code.md"
    assert not list(repair_site(site, ["_posts/markdown_code.md"]))[0].changed


def test_repair_site_refuses_paths_outside_root(tmp_path: Path) -> None:
    outside = fixture_copy(tmp_path, "markdown_code.md")
    before = outside.read_bytes()
    site = Site(tmp_path / "site")
    [result] = list(repair_site(site, [outside]))
    assert result.error is not None and "outside the site root" in result.error
    assert outside.read_bytes() == before


def test_repair_refreshes_content_hash_of_an_unedited_file() -> None:
    meta = {"title": "It&amp;#8217;s", "_archive": {"etag": "1"}}
    sealed = frontmatter.dumps_with_hash(meta, "Body&amp;period;")
    repaired = repair_text(sealed)
    stored = frontmatter.loads(repaired)[0]["_archive"]["contentHash"]
    assert stored == frontmatter.content_hash(repaired)
    edited = sealed.replace("Body", "Edited body")  # by hand: its hash must stay stale
    repaired_edit = repair_text(edited)
    assert frontmatter.loads(repaired_edit)[0]["_archive"]["contentHash"] != (
        frontmatter.content_hash(repaired_edit)
    )


# ---------------------------------------------------------------- units


def test_regroup_app_links_keeps_unknown_types_and_is_idempotent() -> None:
    links = [
        {"type": "android", "app_store_id": "1", "package": "p", "app_name": "A"},
        {"type": "windows", "url": "ms-app://x"},
        {"url": "https://example.com/x", "type": "ios"},
    ]
    grouped = regroup_app_links(links)
    assert grouped == [
        {"type": "ios", "app_store_id": "1"},
        {"type": "android", "app_name": "A", "package": "p"},
        {"type": "web", "url": "https://example.com/x"},
        {"type": "windows", "url": "ms-app://x"},
    ]
    assert regroup_app_links(grouped) == grouped
    assert regroup_app_links("not a list") == "not a list"


def test_unclosed_fence_protects_to_the_end() -> None:
    body = "Text &amp;amp; here\n\n```\ncode &amp;amp;\n"
    assert repair_body(body) == "Text & here\n\n```\ncode &amp;amp;\n"


MARKDOWNISH = st.lists(
    st.sampled_from(list("ab `~\n&;#8217ampcomlt<>\u00a0") + ["```", "    ", "&amp;", "&lt;"])
).map("".join)


@given(MARKDOWNISH)
def test_repair_body_is_idempotent(body: str) -> None:
    once = repair_body(body)
    assert repair_body(once) == once


@given(
    st.lists(
        st.sampled_from(
            list("ab&;#lt<>/p") + ["<p>", "</p>", "<code>", "</code>", "amp;", "&amp;", "&lt;"]
        )
    ).map("".join)
)
def test_repair_html_body_is_idempotent(fragment: str) -> None:
    body = "<article>" + fragment + "</article>"
    once = repair_body(body)
    assert repair_body(once) == once
