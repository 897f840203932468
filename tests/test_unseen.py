"""`extract_post` on hand-made pages shaped like the corpus pages that are KEPT ASIDE.

OBSERVATIONS.md describes pages that are not in the corpus folder (the French `recherche` post,
the locked `debugger` subdomain post, airbnb, timeline, hawker's profile, an imported story
with an off-site canonical, the post-2020 HackerNoon platform page...). Each page under
fixtures/unseen/ is a small synthetic page of one such shape, and every expected value below
comes from the rules of FORMAT.md, OBSERVATIONS.md and truth/README.md, not from our output.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES, html_of

from medium_archive import document, markdown
from medium_archive.errors import NotAPost
from medium_archive.extract import extract_post
from medium_archive.model import AppLink, Post
from medium_archive.urls import slug_from_url

PAGES = FIXTURES / "unseen"


def read(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def extract(name: str, url: str = "") -> Post:
    return extract_post(read(name), url or str(PAGES / name))


# --- language: E4 pages always say <html lang="en"> (OBSERVATIONS "Language") ------------------


def test_french_e4_post_is_french_although_the_page_says_en() -> None:
    post = extract("e4_french_2019.html")
    assert post.language == "fr"


def test_french_title_nbsp_before_colon_becomes_a_plain_space() -> None:
    post = extract("e4_french_2019.html")
    assert post.title == "La recherche d’information : bien chercher sur le web"


def test_french_post_date_is_json_ld_first_publication_not_the_e4_meta() -> None:
    post = extract("e4_french_2019.html")
    assert post.date_published == "2019-12-09T17:02:45.310Z"  # meta says 2019-12-12
    assert post.id == "4be1c2d3e5f6"
    assert post.authors[0].url == "https://medium.com/@clairedubois"


def test_german_e4_post_is_german() -> None:
    post = extract("e4_german_2021.html")
    assert post.language == "de"
    assert post.authors[0].url == "https://jonasweber.medium.com"
    assert post.publisher.is_medium  # a user subdomain is a personal post


# --- *.medium.com subdomain publication, member-only (the debugger M1 shape) --------------------


def test_subdomain_publication_with_schemeless_json_ld_url() -> None:
    post = extract("e4_debugger_locked_2021.html")
    assert post.publisher.name == "Debugger"
    assert post.publisher.url == "https://debugger.medium.com"
    assert post.publisher.domain == "debugger.medium.com"
    # the publication's own icon (OBSERVATIONS "Favicon": publication-specific for subdomain pubs)
    favicon = "https://miro.medium.com/fit/c/128/128/1*DebuggerAvatar0000000.png"
    assert post.publisher.favicon == favicon


def test_subdomain_post_fields() -> None:
    post = extract("e4_debugger_locked_2021.html")
    assert post.id == "9e1f2a3b4c5d"
    assert post.url == "https://debugger.medium.com/why-is-the-new-chip-so-fast-9e1f2a3b4c5d"
    assert post.title == "Why Is the New Chip So Fast?"
    assert post.subtitle == "A look at memory, cores and decoders"
    assert post.date_published == "2020-11-28T04:33:13.474Z"
    assert post.date_modified == "2021-01-24T11:01:26.109Z"
    assert post.tags == ("Apple", "Computer Science")
    assert post.language == "en"
    # truth/README: JSON-LD author.url, then link rel=author; the three forms the page gives all
    # name the same profile (OBSERVATIONS "Author URL forms seen")
    assert post.authors[0].name == "Erik Engheim"
    assert post.authors[0].url in {
        "https://erik-engheim.medium.com",
        "https://erik-engheim.debugger.medium.com",
        "https://medium.com/@erik-engheim",
    }


def test_locked_post_served_in_full_is_paywalled_but_not_truncated() -> None:
    post = extract("e4_debugger_locked_2021.html")
    assert post.is_paywalled
    assert not post.truncated
    assert post.warnings == ()


def test_mark_highlights_are_unwrapped_text_kept() -> None:
    post = extract("e4_debugger_locked_2021.html")
    assert "<mark" not in html_of(post.body)
    assert "simpler than most people think" in html_of(post.body)
    text = document.text_of(post.body)
    assert "the reasons are simpler than most people think: a unified memory" in text
    assert "which is the whole point of the design." in text
    md = markdown.render_markdown(post.body)
    assert "simpler than most people think" in md and "mark" not in md


def test_subdomain_body_drops_byline_and_keeps_full_image() -> None:
    post = extract("e4_debugger_locked_2021.html")
    assert "7 min read" not in html_of(post.body)
    assert "Nov 28, 2020" not in html_of(post.body)
    assert "https://miro.medium.com/max/1400/1*ChipPhoto00000000000000.jpeg" in html_of(post.body)
    assert "max/60" not in html_of(post.body)
    assert "<h2>Memory</h2>" in html_of(post.body)
    assert "A look at memory, cores and decoders" not in html_of(post.body)  # the subtitle


def test_locked_post_with_a_cut_body_is_truncated_with_a_warning() -> None:
    # OBSERVATIONS §5: "check isLocked together with the paragraph count": the state lists 12
    # paragraphs, the page shows 2.
    post = extract("e4_locked_truncated_2021.html")
    assert post.is_paywalled
    assert post.truncated
    assert post.warnings and "paywall" in post.warnings[0]


# --- <title> suffix forms of subdomain publications ---------------------------------------------


@pytest.mark.parametrize(
    "title_tag",
    [
        "Reading Old Code Kindly | by Lena Park | Better Programs",
        "Reading Old Code Kindly | Better Programs",
        "Reading Old Code Kindly | by Lena Park | Better Programs | Medium",
        "Reading Old Code Kindly - Lena Park - Medium",
    ],
)
@pytest.mark.parametrize("with_h1", [True, False])
def test_title_tag_suffixes_are_stripped(title_tag: str, with_h1: bool) -> None:
    html = read("e4_title_tag_only_2021.html").replace(
        "Reading Old Code Kindly | by Lena Park | Better Programs", title_tag
    )
    if not with_h1:
        html = html.replace('<h1 id="9a9a">Reading Old Code Kindly</h1>', "")
    post = extract_post(html, "https://betterprograms.medium.com/reading-old-code-c1d2e3f4a5b6")
    assert post.title == "Reading Old Code Kindly"
    assert post.publisher.name == "Better Programs"
    assert post.publisher.url == "https://betterprograms.medium.com"


# --- a publication using Medium's generic logo (airbnb) ----------------------------------------


def test_publication_with_the_generic_medium_logo_is_still_a_publication() -> None:
    post = extract("e4_airbnb_generic_logo_2020.html")
    assert post.publisher.name == "The Airbnb Tech Blog"
    assert post.publisher.url == "https://medium.com/airbnb-engineering"
    assert post.publisher.domain == "medium.com"
    assert not post.publisher.is_medium
    assert post.date_published == "2018-09-25T16:51:38.285Z"  # meta is latestPublishedAt
    assert post.title == "Building Services at Scale"


# --- humanparts: JSON-LD author on the pub subdomain, meta on medium.com -----------------------


def test_author_url_prefers_the_medium_com_form_the_page_gives() -> None:
    # FORMAT.md: `url` is "https://medium.com/@user where the page gives that form".
    post = extract("e5_humanparts_author_2022.html")
    assert post.authors[0].url == "https://medium.com/@ThingMaker"
    assert post.publisher.url == "https://humanparts.medium.com"
    assert post.publisher.name == "Human Parts"


# --- imported story whose canonical points off Medium -------------------------------------------


def test_offsite_canonical_keeps_the_medium_url() -> None:
    """Decision: `Post.url` is the post's canonical MEDIUM URL. An imported story's rel=canonical
    names the original on another site (justlaravel.com): it carries no post id, re-sync would
    fetch a page that is not Medium's, and the file's slug (FORMAT.md: "the URL's slug with the
    trailing post id removed") would not be the post's. So the first URL candidate that carries
    the post's own id wins (og:url / al:web:url here); custom domains (uxdesign.cc/…-<id>) still
    win because their URLs do carry the id."""
    post = extract("e4_offsite_canonical_2019.html")
    assert post.id == "8c5b3d2a1f0e"
    assert post.url == "https://medium.com/@justlaravel/search-in-laravel-with-ajax-8c5b3d2a1f0e"
    assert slug_from_url(post.url, post.id) == "search-in-laravel-with-ajax"
    assert post.date_published == "2019-02-08T16:20:00.123Z"
    assert post.publisher.is_medium
    assert 'href="https://justlaravel.com/search-in-laravel-with-ajax/"' in html_of(post.body)


# --- E3 custom domain: drop cap, Facebook-id article:author ------------------------------------


def test_e3_custom_domain_drop_cap_is_joined() -> None:
    post = extract("e3_timeline_dropcap_2017.html")
    assert "<p>Dozens of newspapers were run by women" in html_of(post.body)
    assert markdown.render_markdown(post.body).startswith("Dozens of newspapers")


def test_e3_custom_domain_fields() -> None:
    post = extract("e3_timeline_dropcap_2017.html")
    assert post.id == "5f4e3d2c1b0a"
    assert post.title == "The women who ran the newsroom"
    assert post.subtitle == "A forgotten chapter of the 1940s press"
    assert post.publisher.name == "Timeline"
    assert post.publisher.url == "https://timeline.com"
    assert post.publisher.domain == "timeline.com"
    assert post.tags == ("History", "Journalism", "Women")
    assert post.date_published == "2017-03-29T23:22:10.505Z"
    assert post.authors[0].url == "https://timeline.com/@meaganday"


@pytest.mark.parametrize("drop", ["json-ld", "json-ld+link"])
def test_facebook_numeric_article_author_is_never_the_author_url(drop: str) -> None:
    html = read("e3_timeline_dropcap_2017.html")
    start = html.index('<script type="application/ld+json">')
    html = html[:start] + html[html.index("</script>", start) + len("</script>") :]
    if drop == "json-ld+link":
        html = html.replace('<link rel="author" href="https://timeline.com/@meaganday">', "")
    post = extract_post(html, "https://timeline.com/women-ran-newsroom-5f4e3d2c1b0a")
    url = post.authors[0].url
    assert "10156242496430654" not in url
    assert url == "https://timeline.com/@meaganday"  # link rel=author, else the header link


# --- not posts ----------------------------------------------------------------------------------


def test_profile_page_is_not_a_post() -> None:
    with pytest.raises(NotAPost, match="profile"):
        extract("e3_profile_2018.html", "https://medium.com/@samhawker")


def test_profile_page_without_app_links_is_not_a_post() -> None:
    html = "\n".join(
        line for line in read("e3_profile_2018.html").splitlines() if "al:" not in line
    )
    with pytest.raises(NotAPost):
        extract_post(html, "https://medium.com/@samhawker")


def test_hackernoon_platform_page_is_not_medium() -> None:
    """Post-2020 HackerNoon (its own platform): a hex-looking URL suffix, a NewsArticle JSON-LD
    and old images still on Medium's CDN, but no Medium app links, state or markup."""
    with pytest.raises(NotAPost, match="not a Medium page"):
        extract(
            "hackernoon_platform_2021.html",
            "https://hackernoon.com/how-to-cache-api-responses-in-go-3fa1c9e2",
        )


# --- E1 2015 GLOBALS page ------------------------------------------------------------------------


def test_e1_globals_page_single_slash_ios_url_and_no_android() -> None:
    post = extract("e1_globals_2015.html")
    assert post.id == "b2c3d4e5f6a7"
    assert post.app_links == (
        AppLink(
            type="ios", url="medium:/p/b2c3d4e5f6a7", app_store_id="828256236", app_name="Medium"
        ),
        AppLink(
            type="web",
            url="https://medium.com/@ubysseyed/notes-from-a-student-newsroom-b2c3d4e5f6a7",
        ),
    )


def test_e1_globals_page_fields() -> None:
    post = extract("e1_globals_2015.html")
    assert post.title == "Notes from a Student Newsroom"
    assert post.date_published == "2015-03-17T16:27:40.294Z"
    assert post.date_modified == "2015-03-18T17:33:20.000Z"
    assert post.language == "en"
    assert post.tags == ("Journalism",)
    assert post.authors[0].url == "https://medium.com/@ubysseyed"
    assert post.subtitle == ""  # og:description is a truncation of the first paragraph
    assert html_of(post.body).startswith("<p>Student papers can be more open")
    assert "Notes from a Student Newsroom" not in html_of(post.body)
    assert "https://d262ilb51hltx0.cloudfront.net/max/800/1*NewsroomWall00000000000.jpeg" in (
        html_of(post.body)
    )
    assert "<figcaption>The newsroom wall</figcaption>" in html_of(post.body)
