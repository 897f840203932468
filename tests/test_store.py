"""store.Site: paths, index by post id, atomic writes, renames and collisions."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medium_archive import store
from medium_archive.document import Document
from medium_archive.errors import StoreError
from medium_archive.frontmatter import dumps
from medium_archive.model import Post
from medium_archive.store import Site

PID = "e93d20fdb097"
OTHER = "0123456789ab"

#: A front matter in the earlier tool's (seed) format: no identifier, no url, only isBasedOnUrl.
SEED_STYLE = """---
author:
  - name: Gene Kogan
    url: 'https://medium.com/@genekogan'
    avatar: {}
related: []
isBasedOnUrl: 'https://medium.com/@genekogan/machine-learning-for-artists-e93d20fdb097#.b9dw5bmik'
title: Machine learning for artists
datePublished: '2016-01-03T17:19:44.342Z'
dateModified: '2016-01-03T17:05:21.794Z'
_context: 'http://schema.org'

---
<article><p>Body</p></article>
"""


def make_post(**changes: Any) -> Post:
    values: dict[str, Any] = dict(
        id=PID,
        url=f"https://medium.com/@genekogan/machine-learning-for-artists-{PID}",
        title="Machine learning for artists",
        body=Document(),
        date_published="2016-01-03T17:19:44.342Z",
    )
    values.update(changes)
    return Post(**values)


def post_text(post_id: str, body: str = "Body.\n", **extra: Any) -> str:
    meta = {"title": "T", "identifier": post_id, **extra}
    return dumps(meta, body)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path / "site")


# ---------------------------------------------------------------- path_for


def test_path_for_uses_url_slug_without_id(site: Site) -> None:
    assert site.path_for(make_post()) == "_posts/2016-01-03-machine-learning-for-artists.md"


def test_path_for_date_is_utc(site: Site) -> None:
    post = make_post(date_published="2016-01-03T23:30:00.000-02:00")
    assert site.path_for(post).startswith("_posts/2016-01-04-")
    assert site.path_for(make_post(date_published="2016-01-03")).startswith("_posts/2016-01-03-")


def test_path_for_non_latin_title_gives_id_slug(site: Site) -> None:
    post = make_post(url=f"https://medium.com/@u/{PID}", title="Машинное обучение")
    assert site.path_for(post) == f"_posts/2016-01-03-{PID}.md"


def test_path_for_p_url_uses_title(site: Site) -> None:
    post = make_post(url=f"https://medium.com/p/{PID}", title="Hello, World!")
    assert site.path_for(post) == "_posts/2016-01-03-hello-world.md"


def test_path_for_caps_slug_at_80(site: Site) -> None:
    long_slug = "-".join(["word"] * 40)
    post = make_post(url=f"https://medium.com/@u/{long_slug}-{PID}")
    slug = site.path_for(post).removeprefix("_posts/2016-01-03-").removesuffix(".md")
    assert len(slug) <= 80 and slug.startswith("word-word") and not slug.endswith("-")


def test_path_for_draft(site: Site) -> None:
    assert site.path_for(make_post(draft=True)) == "_drafts/machine-learning-for-artists.md"


def test_path_for_bad_date(site: Site) -> None:
    with pytest.raises(StoreError, match="not a readable date"):
        site.path_for(make_post(date_published="yesterday"))


@pytest.mark.parametrize("bad", ["../evil.md", "/etc/passwd", "_posts/../../evil.md"])
def test_paths_outside_root_are_refused(site: Site, bad: str) -> None:
    with pytest.raises(StoreError, match="outside the site root"):
        site.write(PID, bad, post_text(PID))
    assert not (site.root.parent / "evil.md").exists()


def test_assets_dir(site: Site) -> None:
    assert site.assets_dir(PID) == site.root / "assets" / PID
    with pytest.raises(StoreError):
        site.assets_dir("../x")


# ---------------------------------------------------------------- write


def test_create_then_unchanged_keeps_mtime(site: Site) -> None:
    rel = "_posts/2016-01-03-a.md"
    assert site.write(PID, rel, post_text(PID)) == store.WriteResult("created", rel)
    path = site.root / rel
    os.utime(path, (1_000_000, 1_000_000))
    assert site.write(PID, rel, post_text(PID)).status == "unchanged"
    assert path.stat().st_mtime == 1_000_000
    # a fresh Site (new run) sees the same file through its index
    assert Site(site.root).write(PID, rel, post_text(PID)).status == "unchanged"
    assert path.stat().st_mtime == 1_000_000


def test_update_in_place(site: Site) -> None:
    rel = "_posts/2016-01-03-a.md"
    site.write(PID, rel, post_text(PID))
    result = site.write(PID, rel, post_text(PID, body="New body.\n"))
    assert result == store.WriteResult("updated", rel, None)
    assert (site.root / rel).read_text(encoding="utf-8").endswith("New body.\n")


def test_rename_on_date_or_slug_change(site: Site) -> None:
    old = "_posts/2016-01-03-a.md"
    new = "_posts/2016-01-05-b.md"
    site.write(PID, old, post_text(PID))
    result = Site(site.root).write(PID, new, post_text(PID, body="changed\n"))
    assert result == store.WriteResult("updated", new, old)
    assert not (site.root / old).exists()
    assert sorted(p.name for p in (site.root / "_posts").iterdir()) == ["2016-01-05-b.md"]
    assert Site(site.root).index()[PID].path == new


def test_collision_gets_post_id_suffix(site: Site) -> None:
    rel = "_posts/2016-01-03-same.md"
    site.write(PID, rel, post_text(PID))
    result = site.write(OTHER, rel, post_text(OTHER))
    assert result == store.WriteResult("created", f"_posts/2016-01-03-same-{OTHER}.md")
    assert (site.root / rel).read_text(encoding="utf-8") == post_text(PID)
    # stable on the next run: the second post stays in its suffixed file
    again = Site(site.root).write(OTHER, rel, post_text(OTHER))
    assert again.status == "unchanged" and again.path.endswith(f"-{OTHER}.md")


def test_collision_with_foreign_file(site: Site) -> None:
    rel = "_posts/2016-01-03-same.md"
    (site.root / "_posts").mkdir(parents=True)
    (site.root / rel).write_text("not a post\n", encoding="utf-8")
    assert site.write(PID, rel, post_text(PID)).path == f"_posts/2016-01-03-same-{PID}.md"
    assert (site.root / rel).read_text(encoding="utf-8") == "not a post\n"


def test_atomic_write_leaves_no_temp_file_on_failure(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = "_posts/2016-01-03-a.md"
    site.write(PID, rel, post_text(PID))

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store.os, "replace", broken_replace)
    with pytest.raises(StoreError, match="disk full"):
        site.write(PID, rel, post_text(PID, body="new\n"))
    assert sorted(p.name for p in (site.root / "_posts").iterdir()) == ["2016-01-03-a.md"]
    assert (site.root / rel).read_text(encoding="utf-8") == post_text(PID)


def test_atomic_write_leaves_no_temp_file_on_keyboard_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.write_atomic(tmp_path / "f.md", b"data")
    assert list(tmp_path.iterdir()) == []


def test_written_file_mode_is_readable(site: Site) -> None:
    rel = "_posts/2016-01-03-a.md"
    site.write(PID, rel, post_text(PID))
    assert (site.root / rel).stat().st_mode & 0o777 == 0o644


def test_concurrent_writers_of_same_slug_never_clash(site: Site) -> None:
    ids = [f"{i:012x}" for i in range(1, 9)]
    rel = "_posts/2016-01-03-same.md"
    barrier = threading.Barrier(len(ids))
    results: list[store.WriteResult] = []

    def work(pid: str) -> None:
        barrier.wait()
        results.append(site.write(pid, rel, post_text(pid)))

    threads = [threading.Thread(target=work, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    paths = [r.path for r in results]
    assert len(set(paths)) == len(ids)
    assert len(list((site.root / "_posts").iterdir())) == len(ids)
    assert set(Site(site.root).index()) == set(ids)


# ---------------------------------------------------------------- index


def test_index_of_seed_format_file(site: Site) -> None:
    posts = site.root / "_posts"
    posts.mkdir(parents=True)
    (posts / "2016-01-03-machine-learning-for-artists.md").write_text(SEED_STYLE, encoding="utf-8")
    index = site.index()
    entry = index[PID]
    assert entry.path == "_posts/2016-01-03-machine-learning-for-artists.md"
    assert entry.is_based_on_url.endswith(f"-{PID}#.b9dw5bmik")
    assert entry.date_modified == "2016-01-03T17:05:21.794Z"
    assert entry.url == "" and entry.archive == {}
    assert site.problems == []


def test_index_prefers_identifier_and_reads_archive(site: Site) -> None:
    text = post_text(OTHER, url=f"https://medium.com/p/{PID}", _archive={"etag": "x"})
    site.write(OTHER, "_drafts/d.md", text)
    entry = Site(site.root).index()[OTHER]
    assert entry.path == "_drafts/d.md" and entry.archive == {"etag": "x"}


def test_index_yaml_timestamp_dates_become_strings(site: Site) -> None:
    (site.root / "_posts").mkdir(parents=True)
    (site.root / "_posts" / "x.md").write_text(
        f"---\nidentifier: {PID}\ndateModified: 2016-01-03T17:05:21.794Z\n---\n", encoding="utf-8"
    )
    assert site.index()[PID].date_modified == "2016-01-03T17:05:21.794Z"


def test_index_reports_unparseable_files_and_goes_on(site: Site) -> None:
    posts = site.root / "_posts"
    posts.mkdir(parents=True)
    (posts / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    (posts / "no-front.md").write_text("just text\n", encoding="utf-8")
    (posts / "no-id.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    (posts / "binary.md").write_bytes(b"---\n\xff\xfe\n---\n")
    (posts / "good.md").write_text(post_text(PID), encoding="utf-8")
    (posts / "dupe.md").write_text(post_text(PID), encoding="utf-8")
    (posts / ".good.md.x.tmp").write_text(post_text(OTHER), encoding="utf-8")
    (posts / "notes.txt").write_text(post_text(OTHER), encoding="utf-8")
    index = site.index()
    assert list(index) == [PID]
    assert index[PID].path == "_posts/dupe.md"  # sorted order: first file wins
    problems = {p.path: p.message for p in site.problems}
    assert set(problems) == {
        "_posts/bad-yaml.md",
        "_posts/no-front.md",
        "_posts/no-id.md",
        "_posts/binary.md",
        "_posts/good.md",
    }
    assert "(while parsing a flow sequence at line 2)" in problems["_posts/bad-yaml.md"]
    assert "already archived in _posts/dupe.md" in problems["_posts/good.md"]
    assert all("\n" not in m for m in problems.values())


def test_index_reads_only_front_matter(site: Site) -> None:
    # a body that is not YAML and huge must not matter
    (site.root / "_posts").mkdir(parents=True)
    body = "---\n: not yaml [\n" * 10000
    (site.root / "_posts" / "a.md").write_text(post_text(PID, body=body), encoding="utf-8")
    assert set(site.index()) == {PID}


def test_index_is_fast_enough(site: Site) -> None:
    posts = site.root / "_posts"
    posts.mkdir(parents=True)
    sample = SEED_STYLE.replace(PID, "{pid}")
    for i in range(1000):
        (posts / f"2016-01-03-p{i}.md").write_text(sample.replace("{pid}", f"{i:012x}"))
    start = time.perf_counter()
    assert len(site.index()) == 1000
    # 10,000 files must scan in a few seconds: 1,000 in well under one
    assert time.perf_counter() - start < 1.5


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(sorted(store.INDEX_KEYS) + ["author", "keywords", "description", "x-y"]),
        st.one_of(
            st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
            st.lists(st.text(max_size=5), max_size=3),
            st.dictionaries(st.sampled_from(["etag", "url"]), st.text(max_size=10), max_size=2),
        ),
    )
)
def test_fast_front_matter_read_equals_full_parse(
    tmp_path_factory: pytest.TempPathFactory, meta: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("fm") / "a.md"
    path.write_text(dumps(meta, "body"), encoding="utf-8")
    expected = {k: v for k, v in store.read_front_matter(path).items() if k in store.INDEX_KEYS}
    assert store.read_front_matter(path, store.INDEX_KEYS) == expected


@pytest.mark.parametrize(
    "yaml_text",
    [
        'description: "one\nurl: https://medium.com/p/0123456789ab"\n',
        "description: 'one\n\n  url: x'\nidentifier: e93d20fdb097\n",
        "keywords: {a: 1,\nurl: 2}\n",
        "title: x\n? complex\n: y\n",
        "title: &a x\nurl: *a\n",
    ],
)
def test_fast_read_falls_back_when_layout_is_not_plain(tmp_path: Path, yaml_text: str) -> None:
    path = tmp_path / "a.md"
    path.write_text(f"---\n{yaml_text}---\nbody\n", encoding="utf-8")
    full = store.read_front_matter(path)
    assert store.read_front_matter(path, store.INDEX_KEYS) == {
        k: v for k, v in full.items() if k in store.INDEX_KEYS
    }


def test_rearchiving_an_unchanged_post_leaves_the_file_byte_for_byte(site: Site) -> None:
    from medium_archive.frontmatter import dumps_with_hash, front_matter

    def render() -> str:
        post = make_post()
        rel = site.path_for(post)
        meta = front_matter(
            post,
            source_path=rel,
            body_markdown="Body.\n",
            archive={"fetchedFrom": post.url, "etag": '"v1"'},
        )
        return dumps_with_hash(meta, "Body.\n")

    post = make_post()
    first = site.write(post.id, site.path_for(post), render())
    before = (site.root / first.path).stat().st_mtime_ns
    second = Site(site.root).write(post.id, site.path_for(post), render())
    assert (first.status, second.status) == ("created", "unchanged")
    assert (site.root / first.path).stat().st_mtime_ns == before
    assert Site(site.root).index()[post.id].archive["etag"] == '"v1"'


def test_index_entry_from_meta_is_the_one_read_back(tmp_path: Path) -> None:
    """A write given the front matter it dumped indexes the post without parsing the text: the
    entry must be the one a later run reads from the file (validators and contentHash too)."""
    from conftest import FIXTURES

    from medium_archive import archive

    sample = FIXTURES / "sample" / "sample-post.html"
    loaded = archive.load_fetched(
        sample.read_text(encoding="utf-8"),
        "https://medium.com/@jane/sample-5a3c2e1f9b7d",
        str(sample),
        etag='W/"abc"',
        last_modified="Tue, 01 Oct 2024 10:00:00 GMT",
    )
    site = Site(tmp_path)
    prepared = archive.prepare_post(
        loaded, site=site, options=archive.Options(), source=str(sample)
    )
    site.write_post(prepared)
    written = site.index()[prepared.post_id]
    assert written.archive["contentHash"].startswith("sha256:")
    assert written.archive["etag"] == 'W/"abc"'
    assert Site(tmp_path).index()[prepared.post_id] == written
