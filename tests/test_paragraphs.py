"""The paragraph-model reader (paragraphs.py) on hand-written models, and the pipeline choosing
it over the HTML on the corpus pages that embed one."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import CORPUS, load_truth, truth_files
from hypothesis import given
from hypothesis import strategies as st

from medium_archive import paragraphs
from medium_archive.document import (
    Break,
    Code,
    Document,
    Embed,
    Heading,
    Image,
    ListItem,
    Paragraph,
    Quote,
    Run,
    plain,
)
from medium_archive.extract import extract_post, model_is_whole
from medium_archive.markdown import render_markdown
from medium_archive.pagedata import build_page

URL = "https://medium.com/@ada/a-post-abcdef123456"


def obvinit(
    paras: list[dict[str, Any]], sections: list[dict[str, Any]] | None = None, **options: Any
) -> Document:
    post = {"content": {"bodyModel": {"paragraphs": paras, "sections": sections or []}}}
    model = paragraphs.find_model("obvinit", post, lambda ref: {})
    assert model is not None
    return paragraphs.read_model(model, url=URL, **options)


def test_markups_split_into_flat_runs_at_every_boundary() -> None:
    text = "bold both italic link"
    doc = obvinit(
        [
            {
                "name": "a",
                "type": 1,
                "text": text,
                "markups": [
                    {"type": 1, "start": 0, "end": 9},  # "bold both"
                    {"type": 2, "start": 5, "end": 16},  # "both italic"
                    {"type": 3, "start": 17, "end": 21, "href": "https://x.test/?source=post_page"},
                    {"type": 2, "start": 17, "end": 21},
                ],
            }
        ]
    )
    assert doc.blocks == (
        Paragraph(
            (
                Run("bold ", strong=True),
                Run("both", strong=True, em=True),
                Run(" italic", em=True),
                Run(" "),
                Run("link", em=True, href="https://x.test/"),
            )
        ),
    )


def test_offsets_are_utf16_code_units() -> None:
    # "🎉" is two UTF-16 code units: the markup after it starts at 3, not 2.
    text = "🎉 go now"
    doc = obvinit(
        [{"name": "a", "type": 1, "text": text, "markups": [{"type": 1, "start": 3, "end": 5}]}]
    )
    assert doc.blocks == (Paragraph((Run("🎉 "), Run("go", strong=True), Run(" now"))),)


def test_adjacent_equal_markups_merge_and_edge_spaces_leave_emphasis() -> None:
    doc = obvinit(
        [
            {
                "name": "a",
                "type": 1,
                "text": "one two three",
                "markups": [
                    {"type": 2, "start": 0, "end": 4},
                    {"type": 2, "start": 4, "end": 7},
                ],
            }
        ]
    )
    assert doc.blocks == (Paragraph((Run("one two", em=True), Run(" three"))),)


def test_apollo_names_code_user_mentions_and_javascript_links() -> None:
    refs = {
        "Paragraph:p1": {
            "name": "p1",
            "type": "P",
            "text": "see `x` Ada and this",
            "markups": [
                {"type": "CODE", "start": 4, "end": 7},
                {"type": "A", "start": 8, "end": 11, "anchorType": "USER", "userId": "u123"},
                {"type": "A", "start": 16, "end": 20, "href": "javascript:alert(1)"},
            ],
        },
    }
    post = {"content({})": {"bodyModel": {"paragraphs": [{"__ref": "Paragraph:p1"}]}}}
    model = paragraphs.find_model("apollo", post, lambda ref: refs.get(ref.get("__ref"), {}))
    assert model is not None
    doc = paragraphs.read_model(model, url=URL)
    assert doc.blocks == (
        Paragraph(
            (
                Run("see "),
                Run("`x`", code=True),
                Run(" "),
                Run("Ada", href="https://medium.com/u/u123"),
                Run(" and this"),
            )
        ),
    )


def test_block_types_title_subtitle_sections_and_code() -> None:
    doc = obvinit(
        [
            {"name": "t", "type": 3, "text": "The Title"},
            {"name": "s", "type": 13, "text": "The subtitle"},
            {"name": "p", "type": 1, "text": "Para."},
            {"name": "h", "type": 3, "text": "Big"},
            {"name": "h2", "type": 13, "text": "Small"},
            {
                "name": "i",
                "type": 4,
                "text": "A caption",
                "markups": [{"type": 2, "start": 2, "end": 9}],
                "metadata": {"id": "1*abc.png", "originalWidth": 1600, "alt": "Image for post"},
            },
            {"name": "q", "type": 6, "text": "Quoted"},
            {"name": "pq", "type": 7, "text": "Pulled"},
            {"name": "c1", "type": 8, "text": "a = 1"},
            {"name": "c2", "type": 8, "text": "b = 2"},
            {"name": "u", "type": 9, "text": "item"},
            {"name": "o", "type": 10, "text": "first"},
            {"name": "f", "type": 11, "text": "", "iframe": {"mediaResourceId": "a" * 32}},
            {
                "name": "m",
                "type": 14,
                "text": "Card Title\nA descriptionexample.com",
                "markups": [
                    {"type": 3, "start": 0, "end": 34, "href": "https://example.com/x"},
                    {"type": 1, "start": 0, "end": 10},
                ],
            },
        ],
        sections=[{"name": "s0", "startIndex": 0}, {"name": "s1", "startIndex": 3}],
        title="The Title",
        subtitles=("The subtitle",),
    )
    assert doc.blocks == (
        Paragraph((Run("Para."),)),
        Break(),
        Heading((Run("Big"),), 2),
        Heading((Run("Small"),), 3),
        Image(
            "https://miro.medium.com/v2/resize:fit:1600/1*abc.png",
            "",
            (Run("A "), Run("caption", em=True)),
        ),
        Quote((Run("Quoted"),)),
        Quote((Run("Pulled"),), pull=True),
        Code("a = 1\nb = 2"),
        ListItem((Run("item"),)),
        ListItem((Run("first"),), ordered=True),
        Embed("https://medium.com/media/" + "a" * 32, media_id="a" * 32),
        Embed("https://example.com/x", title="Card Title", kind="link", resolved=True),
    )


def test_a_heading_that_is_not_the_title_stays() -> None:
    doc = obvinit(
        [
            {"name": "h", "type": 3, "text": "Introduction"},
            {"name": "p", "type": 1, "text": "Text."},
        ],
        title="Another Title",
    )
    assert doc.blocks[0] == Heading((Run("Introduction"),), 2)


def test_apollo_iframe_src_code_language_and_grouped_quotes() -> None:
    refs = {
        "Paragraph:1": {
            "name": "1",
            "type": "PRE",
            "text": "x = 1",
            "codeBlockMetadata": {"lang": "Python"},
        },
        "Paragraph:2": {
            "name": "2",
            "type": "IFRAME",
            "text": "",
            "iframe": {"mediaResource": {"__ref": "MediaResource:abc"}},
        },
        "MediaResource:abc": {
            "id": "abc",
            "title": "A video",
            "iframeSrc": "https://www.youtube.com/embed/xyz",
        },
        "Paragraph:3": {"name": "3", "type": "BQ", "text": "one"},
        "Paragraph:4": {"name": "4", "type": "BQ", "text": "two"},
    }
    post = {
        "content({})": {
            "bodyModel": {"paragraphs": [{"__ref": f"Paragraph:{i}"} for i in range(1, 5)]}
        }
    }
    model = paragraphs.find_model("apollo", post, lambda ref: refs.get(ref.get("__ref"), {}))
    assert model is not None
    doc = paragraphs.read_model(model, url=URL)
    assert doc.blocks == (
        Code("x = 1", "python"),
        Embed("https://www.youtube.com/embed/xyz", title="A video", media_id="abc", resolved=True),
        Quote((Run("one"),)),
        Quote((Run("two"),), continued=True),
    )


@pytest.mark.parametrize("value", [None, 3, "x", [1], {"a": 1}, True])
def test_odd_json_values_never_raise(value: Any) -> None:
    para = {
        "name": value,
        "type": value,
        "text": value,
        "markups": value,
        "metadata": value,
        "iframe": value,
        "mixtapeMetadata": value,
        "codeBlockMetadata": value,
    }
    post = {"content": {"bodyModel": {"paragraphs": [para, value], "sections": [value]}}}
    model = paragraphs.find_model("obvinit", post, lambda ref: {})
    if model is not None:
        paragraphs.read_model(model, url=URL, title="t")


# --- the pipeline on the corpus ----------------------------------------------------------------


def _model_pages() -> list[str]:
    """Corpus post pages whose embedded state holds a body model."""
    found = []
    for name in truth_files("pages"):
        truth = load_truth(name)
        if not truth.get("is_post"):
            continue
        html = (CORPUS / "pages" / truth["source"]).read_text(encoding="utf-8", errors="replace")
        if '"bodyModel"' in html:
            found.append(truth["source"])
    return found


@pytest.mark.corpus
@pytest.mark.parametrize("source", _model_pages())
def test_pipeline_reads_the_model_unless_the_html_shows_more(corpus: Any, source: str) -> None:
    html = (CORPUS / "pages" / source).read_text(encoding="utf-8", errors="replace")
    page = build_page(html, "https://medium.com/x")
    assert page.state is not None
    model = paragraphs.find_model(page.state.kind, page.state.post, page.state.resolve)
    assert model is not None
    post = extract_post(html, "https://medium.com/x")
    markdown = render_markdown(post.body)
    texts = [p.get("text") or "" for p in model.paragraphs if p.get("type") in (1, "P")]
    shown = [t for t in texts if t.strip()]
    if source == "postlight/medium.com--mtg.html":  # 5 model paragraphs, 106 in the HTML
        assert not model_is_whole(page, model)
        assert len([b for b in post.body.blocks if isinstance(b, Paragraph)]) > 90
        return
    assert model_is_whole(page, model)
    body_text = {
        " ".join(plain(b.runs).split()) for b in post.body.blocks if isinstance(b, Paragraph)
    }
    for text in shown:  # every P of the model is a paragraph of the body, exactly
        assert " ".join(text.split()) in body_text
    assert markdown.endswith("\n")


def test_model_pages_are_found(corpus: Any) -> None:
    assert len(_model_pages()) >= 20
    assert json.dumps(_model_pages())  # names only
    assert all(re.match(r"^[\w.-]+/[\w.-]+\.html$", s) for s in _model_pages())


_TEXT = st.text(alphabet=st.sampled_from("ab  \n\t😀é&;"), min_size=1, max_size=30)


@given(
    _TEXT,
    st.lists(
        st.tuples(st.sampled_from([1, 2, 3, 10, 99]), st.integers(-2, 70), st.integers(-2, 70)),
        max_size=6,
    ),
)
def test_any_markups_keep_the_text_and_give_flat_runs(
    text: str, spans: list[tuple[int, int, int]]
) -> None:
    markups = [{"type": t, "start": a, "end": b, "href": "https://x.test/"} for t, a, b in spans]
    runs = paragraphs.runs_of(text, markups, URL)
    without = paragraphs.runs_of(text, [], URL)
    assert plain(runs) == plain(without)  # markups never change the text
    assert plain(without) == re.sub(r" ?\n ?", "\n", re.sub(r"[ \t]+", " ", text)).strip(" \n")
    assert all(run.text for run in runs)
    assert all(a.marks() != b.marks() for a, b in zip(runs, runs[1:], strict=False))
    assert not plain(runs).startswith((" ", "\n")) and not plain(runs).endswith((" ", "\n"))
