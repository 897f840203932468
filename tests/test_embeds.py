"""Embeds resolved to what they show: the pure parsers, the resolver against a 127.0.0.1 server,
and the commands on a corpus post whose eight embeds are Medium proxy iframes."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from click.testing import CliRunner
from conftest import CORPUS, require_corpus
from pytest_httpserver import HTTPServer
from test_hugo import require_hugo
from test_jekyll import require_jekyll
from werkzeug import Request, Response

from medium_archive import embeds
from medium_archive.cli import cli
from medium_archive.codelang import lang_for_filename, normalize_lang
from medium_archive.document import Code, Document, Embed, Paragraph, Run
from medium_archive.embeds import EmbedResolver, resolve_embeds
from medium_archive.embedtargets import (
    media_id_of,
    offline_target,
    parse_gist_js,
    parse_media_page,
    target_of_thumbnail,
    target_of_url,
)
from medium_archive.errors import PostGone
from medium_archive.fetch import make_session

# --- code languages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("objective-c", "objectivec"),
        ("objectivec", "objectivec"),
        ("Objective-C", "objectivec"),
        ("c#", "csharp"),
        ("csharp", "csharp"),
        ("C#", "csharp"),
        ("c++", "cpp"),
        ("shell", "bash"),
        ("sh", "bash"),
        ("Shell", "bash"),
        ("js", "javascript"),
        ("JavaScript", "javascript"),
        ("python", "python"),
        ("Python", "python"),
        ("python-repl", "python"),
        ("yml", "yaml"),
        ("plaintext", ""),
        ("text", ""),
        ("", ""),
        (None, ""),
        ("brainfudge", ""),
        ("language-go", "go"),
        ("Shell Session", "console"),
        ("Dockerfile", "dockerfile"),
        ("vbnet", "vb"),
    ],
)
def test_normalize_lang(name: str | None, expected: str) -> None:
    assert normalize_lang(name) == expected


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("app.py", "python"),
        ("index.js", "javascript"),
        ("types.ts", "typescript"),
        ("Gemfile", "ruby"),
        ("main.go", "go"),
        ("Main.java", "java"),
        ("Main.kt", "kotlin"),
        ("View.swift", "swift"),
        ("AppDelegate.m", "objectivec"),
        ("install.sh", "bash"),
        ("run.bash", "bash"),
        ("package.json", "json"),
        ("config.yml", "yaml"),
        ("docker-compose.yaml", "yaml"),
        ("index.html", "html"),
        ("style.css", "css"),
        ("query.sql", "sql"),
        ("lib.rs", "rust"),
        ("hello.c", "c"),
        ("hello.cpp", "cpp"),
        ("Program.cs", "csharp"),
        ("index.php", "php"),
        ("README.md", "markdown"),
        ("Dockerfile", "dockerfile"),
        ("notes.txt", ""),
        ("LICENSE", ""),
        (".bashrc", "bash"),
        ("weird.qqq", ""),
    ],
)
def test_lang_for_filename(filename: str, expected: str) -> None:
    assert lang_for_filename(filename) == expected


def test_every_language_written_is_known_to_rouge() -> None:
    require_jekyll()  # jekyll brings ruby and rouge (skipped without it, an error in CI)
    names = sorted(embeds_langs())
    script = 'require "rouge"; ARGV.each { |l| puts(Rouge::Lexer.find(l) ? "ok" : "missing #{l}") }'
    done = subprocess.run(
        ["ruby", "-e", script, *names], capture_output=True, text=True, check=False
    )
    assert "cannot load such file" not in done.stderr, "jekyll's ruby has no rouge gem"
    assert [line for line in done.stdout.splitlines() if line != "ok"] == []
    assert done.stdout.count("ok") == len(names)


def test_every_language_written_is_known_to_chroma(tmp_path: Path) -> None:
    """Hugo wraps a fence in ``<div class="highlight">`` only when Chroma has a lexer for its
    language (an unknown one, the control, is left bare)."""
    hugo = require_hugo()  # skipped without hugo, an error in CI
    names = sorted(embeds_langs())
    fences = "".join(f"```{name}\nfoo = bar(1) # x\n```\n\n" for name in [*names, "zzzunknown"])
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "langs.md").write_text(f"---\ntitle: langs\n---\n\n{fences}")
    (tmp_path / "layouts" / "_default").mkdir(parents=True)
    (tmp_path / "layouts" / "_default" / "single.html").write_text("{{ .Content }}")
    (tmp_path / "config.toml").write_text(
        'baseURL = "http://example.org/"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
    )
    done = subprocess.run(
        [hugo, "--source", str(tmp_path), "--destination", str(tmp_path / "public")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "public" / "langs" / "index.html").read_text(encoding="utf-8")
    wrapped = r'<div class="highlight"><pre[^>]*><code class="language-([^"]+)"'
    known = set(re.findall(wrapped, html))
    assert "zzzunknown" not in known and "zzzunknown" in html
    assert [name for name in names if name not in known] == []


def embeds_langs() -> set[str]:
    from medium_archive import codelang

    return (
        set(codelang._CANONICAL)
        | set(codelang._ALIASES.values())
        | {v for v in codelang._EXTENSIONS.values() if v}
    )


# --- targets from the page alone ----------------------------------------------------------------

EMBEDLY_YOUTUBE = (
    "https://cdn.embedly.com/widgets/media.html?src=https%3A%2F%2Fwww.youtube.com%2Fembed%2F"
    "IAoy3ia2ivI%3Fstart%3D2527%26feature%3Doembed&amp;url=http%3A%2F%2Fwww.youtube.com%2Fwatch"
    "%3Fv%3DIAoy3ia2ivI&amp;image=https%3A%2F%2Fi.ytimg.com%2Fvi%2FIAoy3ia2ivI%2Fhqdefault.jpg"
    "&amp;key=d04bfffea46d4aeda930ec88cc64b87c&amp;type=text%2Fhtml&amp;schema=youtube"
)


@pytest.mark.parametrize(
    ("src", "url", "provider"),
    [
        (EMBEDLY_YOUTUBE, "https://www.youtube.com/watch?v=IAoy3ia2ivI", "YouTube"),
        (  # src only (no url=): the embed URL becomes the watch URL, start time kept
            "https://cdn.embedly.com/widgets/media.html?src=https%3A%2F%2Fwww.youtube.com%2F"
            "embed%2FIAoy3ia2ivI%3Fstart%3D90&schema=youtube",
            "https://www.youtube.com/watch?v=IAoy3ia2ivI&t=90s",
            "YouTube",
        ),
        (
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "YouTube",
        ),  # noqa: E501
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
        (
            "https://player.vimeo.com/video/76979871?h=8272103f6e",
            "https://vimeo.com/76979871",
            "Vimeo",
        ),  # noqa: E501
        (
            "https://w.soundcloud.com/player/?url=https%3A%2F%2Fapi.soundcloud.com%2Ftracks%2F2937"
            "&auto_play=false",
            "https://api.soundcloud.com/tracks/2937",
            "SoundCloud",
        ),
        (
            "https://codepen.io/lavrton/embed/preview/xRqLVo?height=500&default-tab=result",
            "https://codepen.io/lavrton/pen/xRqLVo",
            "CodePen",
        ),  # noqa: E501
        (
            "https://cdn.embedly.com/widgets/media.html?type=text%2Fhtml&key=d04&schema=twitter"
            "&url=https%3A//twitter.com/tizmagik/status/876128847682523138&image=x",
            "https://twitter.com/tizmagik/status/876128847682523138",
            "Tweet",
        ),
        ("https://x.com/jack/status/20", "https://x.com/jack/status/20", "Tweet"),
        (
            "https://www.instagram.com/p/BWhyIhRDBCw/embed/captioned",
            "https://www.instagram.com/p/BWhyIhRDBCw/",
            "Instagram",
        ),  # noqa: E501
        (
            "https://www.google.com/maps/embed?pb=!1m18!1m12",
            "https://www.google.com/maps/embed?pb=!1m18!1m12",
            "Google Maps",
        ),  # noqa: E501
        (
            "https://gist.github.com/lavrton/0123abcdef.js",
            "https://gist.github.com/lavrton/0123abcdef",
            "Gist",
        ),  # noqa: E501
        (
            "https://upscri.be/8f5f1b?as_embed=true",
            "https://upscri.be/8f5f1b?as_embed=true",
            "upscri.be",
        ),  # noqa: E501
    ],
)
def test_target_of_url(src: str, url: str, provider: str) -> None:
    target = target_of_url(src)
    assert target is not None
    assert (target.url, target.provider) == (url, provider)


@pytest.mark.parametrize(
    "src",
    [
        "https://medium.com/media/18dfd4b7ef29975e9ab56a3a749b98e7?postId=e52ab9515573",
        "https://blog.lavrton.com/media/9a839b7d6f1167898954c381e0c3b03c?postId=ad01f5b161ae",
        "/media/4533845503a873853b93e6aaf0833c57?postId=15fd2dd8f07b",
        "javascript:alert(1)",
        "",
        # A browser-saved page's copy of the frame (unfurl/bench-medium-2), made absolute.
        "https://medium.com/p/medium-2_files/saved_resource.html",
    ],
)
def test_the_medium_proxy_and_non_http_urls_are_no_target(src: str) -> None:
    assert target_of_url(src) is None


def test_an_embed_whose_link_is_not_its_target_falls_back_to_medium_s_copy() -> None:
    found = embeds.resolve_one(
        "https://medium.com/p/medium-2_files/saved_resource.html",
        media_id="121c6f5f7ca767de127fdae05f17c650",
        origin="https://theringer.com",
        resolver=None,
    )
    assert (found.url, found.resolved, found.warning) == (
        "https://theringer.com/media/121c6f5f7ca767de127fdae05f17c650",
        False,
        "",
    )


def test_a_youtube_thumbnail_names_the_video_and_others_do_not() -> None:
    yt = target_of_thumbnail(
        "https://i.embed.ly/1/image?url=https%3A%2F%2Fi.ytimg.com%2Fvi%2FIAoy3ia2ivI%2F"
        "hqdefault.jpg&amp;key=4fce0568f2ce49e8b54624ef71a8a5bd"
    )
    assert yt is not None and yt.url == "https://www.youtube.com/watch?v=IAoy3ia2ivI"
    assert yt.default_title == "YouTube IAoy3ia2ivI"
    tweet_image = (
        "https://i.embed.ly/1/image?url=https%3A%2F%2Fpbs.twimg.com%2Fmedia%2FDCih0NiWAAAAtZl.jpg"
        "%3Alarge&key=a19fcc184b9711e1b4764040d3dc5c07"
    )
    assert target_of_thumbnail(tweet_image) is None


# --- media pages and gist embeds ----------------------------------------------------------------


def media_page_gist(user: str, gist_id: str, base: str = "https://gist.github.com") -> str:
    return (
        "<!DOCTYPE html><html><head><title>app.js – Medium</title>"
        '<link rel="stylesheet" href="https://cdn-static-1.medium.com/_/fp/css/main.css">'
        "</head><body><style>body{margin:0}</style>"
        f'<script src="{base}/{user}/{gist_id}.js" charset="utf-8"></script>'
        "<script>var height = -1; function notifyResize(){}</script></body></html>"
    )


def media_page_iframe(src: str) -> str:
    return (
        "<!DOCTYPE html><html><head><title>Video – Medium</title></head><body>"
        f'<iframe class="embedly-embed" src="{src}" width="854" height="480" scrolling="no" '
        'title="YouTube embed" frameborder="0" allowfullscreen></iframe></body></html>'
    )


def gist_js(user: str, gist_id: str, files: list[tuple[str, str, str]]) -> str:
    """A gist's .js embed as GitHub writes it: ``document.write`` of JS-escaped HTML with a
    "view raw" link per file. ``files``: (name, sha, GitHub language)."""
    parts = []
    for name, sha, lang in files:
        anchor = "file-" + re.sub(r"[^a-z0-9]+", "-", name.lower())
        parts.append(
            f'<div id=\\"{anchor}\\" class=\\"file my-2\\">\\n'
            f'  <table data-hpc class=\\"highlight tab-size js-file-line-container\\" '
            f'data-tab-size=\\"8\\" data-paste-markdown-skip data-tagsearch-lang=\\"{lang}\\" '
            f'data-tagsearch-path=\\"{name}\\">\\n'
            f'<tr><td class=\\"blob-code\\"><span class=\\"pl-k\\">x<\\/span><\\/td><\\/tr>'
            f"<\\/table>\\n"
            f'<div class=\\"gist-meta\\">\\n'
            f'  <a href=\\"https://gist.github.com/{user}/{gist_id}/raw/{sha}/{quote(name)}\\" '
            f'style=\\"float:right\\" class=\\"Link--inTextBlock\\">view raw<\\/a>\\n'
            f'  <a href=\\"https://gist.github.com/{user}/{gist_id}#{anchor}\\">{name}<\\/a>\\n'
            f'  hosted with &#10084; by <a href=\\"https://github.com\\">GitHub<\\/a>'
            f"<\\/div><\\/div>\\n"
        )
    return (
        'document.write(\'<link rel="stylesheet" href="https://github.githubassets.com/'
        "assets/gist-embed-4ac6018bcc05.css\">')\n"
        f'document.write(\'<div id=\\"gist{gist_id}\\" class=\\"gist\\">\\n'
        + "".join(parts)
        + "<\\/div>\\n')\n"
    )


def test_parse_media_page_finds_the_gist_or_the_framed_thing() -> None:
    gist = parse_media_page(media_page_gist("lavrton", "5a1b2c3d4e"))
    assert gist is not None and gist.gist == ("lavrton", "5a1b2c3d4e", "")
    assert gist.url == "https://gist.github.com/lavrton/5a1b2c3d4e"
    video = parse_media_page(media_page_iframe(EMBEDLY_YOUTUBE))
    assert video is not None and video.url == "https://www.youtube.com/watch?v=IAoy3ia2ivI"
    assert parse_media_page("<html><body><p>nothing here</p></body></html>") is None


def test_parse_gist_js_lists_each_file_with_its_language() -> None:
    js = gist_js(
        "lavrton",
        "5a1b2c3d4e",
        [
            ("app.js", "aa11", "JavaScript"),
            ("My Notes.txt", "bb22", "Text"),
            ("run", "cc33", "Shell"),
        ],
    )
    files = parse_gist_js(js)
    assert [(f.name, f.lang) for f in files] == [
        ("app.js", "javascript"),
        ("My Notes.txt", ""),
        ("run", "bash"),  # no extension: the gist's own language
    ]
    assert files[0].raw_url == "https://gist.github.com/lavrton/5a1b2c3d4e/raw/aa11/app.js"


# --- the resolver against a local server --------------------------------------------------------

IDS = {
    "gist": "9a839b7d6f1167898954c381e0c3b03c",
    "gist2": "55bb0a29e96dc683d5b95e0c2702a3eb",
    "video": "7e925cc84a748185fab3be17a2994c5c",
    "pen": "262d642f00148bc6615d8c3e8cc47a10",
    "gone": "ead4e7e5a24a3f143f52c815ec60c5ce",
}
APP_JS = "const items = [];\nfor (const item of items) {\n  render(item);  // <b>not HTML</b>\n}\n"
STYLE_CSS = ".item { color: red; }\n"
SETUP_SH = "npm install konva\n"


def serve_embeds(server: HTTPServer) -> None:
    """Medium's media pages (a gist, a two-file gist, an embed.ly YouTube video, a CodePen, a
    404) and a gist host, all on ``server``."""
    server.expect_request(f"/media/{IDS['gist']}").respond_with_data(
        media_page_gist("lavrton", "0a1b2c"), content_type="text/html"
    )
    server.expect_request(f"/media/{IDS['gist2']}").respond_with_data(
        media_page_gist("lavrton", "3d4e5f"), content_type="text/html"
    )
    server.expect_request(f"/media/{IDS['video']}").respond_with_data(
        media_page_iframe(EMBEDLY_YOUTUBE), content_type="text/html"
    )
    server.expect_request(f"/media/{IDS['pen']}").respond_with_data(
        media_page_iframe("https://codepen.io/lavrton/embed/preview/xRqLVo?height=500"),
        content_type="text/html",
    )
    server.expect_request(f"/media/{IDS['gone']}").respond_with_data("gone", status=404)
    server.expect_request("/lavrton/0a1b2c.js").respond_with_data(
        gist_js("lavrton", "0a1b2c", [("app.js", "f00d", "JavaScript")]),
        content_type="application/javascript",
    )
    server.expect_request("/lavrton/3d4e5f.js").respond_with_data(
        gist_js("lavrton", "3d4e5f", [("style.css", "beef", "CSS"), ("setup.sh", "cafe", "Shell")]),
        content_type="application/javascript",
    )
    for path, text in (
        ("/lavrton/0a1b2c/raw/f00d/app.js", APP_JS),
        ("/lavrton/3d4e5f/raw/beef/style.css", STYLE_CSS),
        ("/lavrton/3d4e5f/raw/cafe/setup.sh", SETUP_SH),
    ):
        server.expect_request(path).respond_with_data(text, content_type="text/plain")


def base_of(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")


def embed(key: str, title: str = "") -> Embed:
    return Embed(
        url=f"https://blog.example.com/media/{IDS[key]}",
        title=title,
        caption=(Run("caption of " + key),),
        media_id=IDS[key],
    )


def media_requests(server: HTTPServer) -> list[str]:
    return [r.path for r, _ in server.log if r.path.startswith("/media/")]


def test_resolve_embeds_in_a_document(httpserver: HTTPServer) -> None:
    serve_embeds(httpserver)
    base = base_of(httpserver)
    text = Paragraph((Run("Some text."),))
    doc = Document(
        (
            text,
            embed("gist", "app.js"),
            embed("gist2"),
            embed("video", "A talk"),
            embed("pen"),
            embed("gone", "Chunk Name"),
            embed("gist", "app.js again"),  # the same media id: fetched once
        )
    )
    resolver = EmbedResolver(make_session(retries=0), gist_base=base)
    new, warnings = resolve_embeds(doc, origin=base, resolver=resolver)
    blocks = new.blocks
    assert blocks[0] == text
    gist, gist2, video, pen, gone, again = blocks[1:]
    assert isinstance(gist, Embed) and gist.resolved
    assert gist.url == "https://gist.github.com/lavrton/0a1b2c"
    assert gist.title == "app.js" and gist.caption == (Run("caption of gist"),)
    assert gist.code == (Code(APP_JS.rstrip("\n"), "javascript"),)
    assert isinstance(gist2, Embed)
    assert gist2.title == "Gist lavrton/3d4e5f"
    assert gist2.code == (Code(".item { color: red; }", "css"), Code("npm install konva", "bash"))
    assert isinstance(video, Embed)
    assert (video.url, video.title, video.code) == (
        "https://www.youtube.com/watch?v=IAoy3ia2ivI",
        "A talk",
        (),
    )
    assert isinstance(pen, Embed)
    assert pen.url == "https://codepen.io/lavrton/pen/xRqLVo"
    assert pen.title == "CodePen lavrton/xRqLVo"
    assert gone == embed("gone", "Chunk Name")  # kept as it was: the proxy link and its caption
    assert isinstance(again, Embed) and again.code == gist.code
    assert len(warnings) == 1
    assert f"/media/{IDS['gone']}: HTTP 404" in warnings[0] and "'Chunk Name'" in warnings[0]
    assert sorted(media_requests(httpserver)) == sorted(
        f"/media/{IDS[k]}" for k in ("gist", "gist2", "video", "pen", "gone")
    )
    # The same resolver (one run) asks nothing again.
    httpserver.clear_log()
    assert resolve_embeds(doc, origin=base, resolver=resolver) == (new, warnings)
    assert httpserver.log == []


def test_without_a_resolver_nothing_is_fetched_and_nothing_warned(httpserver: HTTPServer) -> None:
    known = Embed(url=EMBEDLY_YOUTUBE.replace("&amp;", "&"), title="A talk", media_id=IDS["video"])
    doc = Document((embed("gist"), known))
    new, warnings = resolve_embeds(doc, origin=base_of(httpserver), resolver=None)
    assert warnings == []
    assert new.blocks[0] == embed("gist")
    assert new.blocks[1] == Embed(
        url="https://www.youtube.com/watch?v=IAoy3ia2ivI",
        title="A talk",
        media_id=IDS["video"],
        resolved=True,
    )
    assert httpserver.log == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_no_network_gives_one_warning_per_embed() -> None:
    origin = f"http://127.0.0.1:{closed_port()}"
    doc = Document((embed("gist"), embed("gist2"), embed("gist")))
    resolver = EmbedResolver(make_session(retries=0), gist_base=origin)
    new, warnings = resolve_embeds(doc, origin=origin, resolver=resolver)
    assert new == doc
    assert len(warnings) == 3
    assert all("connection refused" in w for w in warnings)
    assert all(w.endswith("kept the link to Medium's copy") for w in warnings)


def test_a_gist_whose_code_cannot_be_had_links_to_the_gist(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/media/{IDS['gist']}").respond_with_data(
        media_page_gist("lavrton", "0a1b2c"), content_type="text/html"
    )
    httpserver.expect_request("/lavrton/0a1b2c.js").respond_with_data("", status=404)
    base = base_of(httpserver)
    resolver = EmbedResolver(make_session(retries=0), gist_base=base)
    new, warnings = resolve_embeds(Document((embed("gist"),)), origin=base, resolver=resolver)
    (block,) = new.blocks
    assert isinstance(block, Embed)
    assert (block.url, block.resolved, block.code) == (
        "https://gist.github.com/lavrton/0a1b2c",
        True,
        (),
    )
    assert len(warnings) == 1 and "gist code not archived" in warnings[0]


def test_a_raw_file_over_the_size_limit_keeps_the_link(httpserver: HTTPServer) -> None:
    serve_embeds(httpserver)
    base = base_of(httpserver)
    resolver = EmbedResolver(make_session(retries=0), gist_base=base, max_bytes=40)
    new, warnings = resolve_embeds(Document((embed("gist"),)), origin=base, resolver=resolver)
    (block,) = new.blocks
    assert isinstance(block, Embed) and block.code == ()
    assert len(warnings) == 1 and "over the 40 bytes limit" in warnings[0]


# --- the commands, on a corpus post with eight embeds ---------------------------------------------

LAVRTON = "gunar/lavrton.html"
LAVRTON_PATH = "/how-to-optimise-rendering-of-a-set-of-elements-in-react-ad01f5b161ae"
#: The post's embeds in page order (obvInit IFRAME paragraphs and E3 iframes).
LAVRTON_MEDIA = [
    "9a839b7d6f1167898954c381e0c3b03c",
    "55bb0a29e96dc683d5b95e0c2702a3eb",
    "7e925cc84a748185fab3be17a2994c5c",
    "262d642f00148bc6615d8c3e8cc47a10",
    "ead4e7e5a24a3f143f52c815ec60c5ce",
    "74c012d9590d75716403074a4e19ba83",
    "3d4168a46ea79b375270c72c4521ca26",
    "e97c1d46baf09b82d341b8706b24e33b",
]


def lavrton_html() -> str:
    require_corpus()
    return (CORPUS / "pages" / LAVRTON).read_text(encoding="utf-8")


def serve_lavrton(server: HTTPServer) -> None:
    """The post, its embeds' media pages: the gist, two-file gist, video, pen and 404 of
    `serve_embeds` for five of its ids; every other id a one-file gist of its own."""
    serve_embeds(server)
    server.expect_request(LAVRTON_PATH).respond_with_data(
        lavrton_html(), content_type="text/html; charset=utf-8"
    )
    for media in LAVRTON_MEDIA:
        if media in IDS.values():
            continue
        gist_id = media[:10]
        server.expect_request(f"/media/{media}").respond_with_data(
            media_page_gist("lavrton", gist_id), content_type="text/html"
        )
        server.expect_request(f"/lavrton/{gist_id}.js").respond_with_data(
            gist_js("lavrton", gist_id, [(f"example-{gist_id}.jsx", "ab12", "JavaScript")]),
            content_type="application/javascript",
        )

        def raw(request: Request, gist_id: str = gist_id) -> Response:
            return Response(f"// gist {gist_id}\n<Layer />\n", content_type="text/plain")

        server.expect_request(
            f"/lavrton/{gist_id}/raw/ab12/example-{gist_id}.jsx"
        ).respond_with_handler(raw)  # noqa: E501


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.stdout, result.stderr


def media_links(markdown: str) -> list[str]:
    """The media ids of the Markdown links to Medium's proxy."""
    return re.findall(r"\]\([^)\s]*/media/([0-9a-f]{32})", markdown)


def body_of(text: str) -> str:
    return text.split("---\n", 2)[2]


def test_archive_resolves_every_embed_of_a_corpus_post(
    httpserver: HTTPServer, tmp_path: Path
) -> None:  # noqa: E501
    serve_lavrton(httpserver)
    base = base_of(httpserver)
    env = {"MEDIUM_ARCHIVE_GIST_BASE": base}
    url = base + LAVRTON_PATH
    code, out, err = run_cli("archive", url, "--site", str(tmp_path / "plain"), "--no-embeds")
    assert code == 0, err
    plain = body_of((tmp_path / "plain" / out.strip()).read_text(encoding="utf-8"))
    assert len(media_links(plain)) == 8  # without fetching: eight links to Medium's copy
    assert httpserver.log and media_requests(httpserver) == []  # --no-embeds: none fetched

    code, out, err = run_cli("archive", url, "--site", str(tmp_path / "site"), env=env)
    assert code == 0, err
    post_file = tmp_path / "site" / out.strip()
    body = body_of(post_file.read_text(encoding="utf-8"))
    # The gists are code, fenced with their language, then a link to the gist.
    assert (
        f"```javascript\n{APP_JS}```\n\n[Gist lavrton/0a1b2c](https://gist.github.com/lavrton/0a1b2c)"
        in body
    )  # noqa: E501
    assert "```css\n.item { color: red; }\n```" in body
    assert "```bash\nnpm install konva\n```" in body
    assert body.count("```jsx\n// gist ") == 3
    # The video and the pen are links to their real URLs.
    assert "(https://www.youtube.com/watch?v=IAoy3ia2ivI)" in body
    assert "[CodePen lavrton/xRqLVo](https://codepen.io/lavrton/pen/xRqLVo)" in body
    # Only the 404 keeps its link to Medium's copy; it warns once.
    assert media_links(body) == [IDS["gone"]]
    assert err.count("warning:") == 1 and f"/media/{IDS['gone']}" in err
    # Every line of text is kept (the embed links are what changed).
    kept = [line for line in plain.splitlines() if line and "/media/" not in line]
    assert all(line in body for line in kept)
    # Each media page was asked once.
    requested = media_requests(httpserver)
    assert len(requested) == len(set(requested)) == 8

    # Again (a new run): the same bytes, file untouched.
    before = post_file.read_bytes(), post_file.stat().st_mtime_ns
    code, _, _ = run_cli("archive", url, "--site", str(tmp_path / "site"), env=env)
    assert code == 0
    assert (post_file.read_bytes(), post_file.stat().st_mtime_ns) == before
    # Again with --no-embeds: no embed request, and what was resolved is kept, not lost.
    httpserver.clear_log()
    code, _, err = run_cli("archive", url, "--site", str(tmp_path / "site"), "--no-embeds")
    assert code == 0, err
    assert media_requests(httpserver) == [] and err == ""
    assert (post_file.read_bytes(), post_file.stat().st_mtime_ns) == before

    # What took the network is recorded in _archive.embeds (for runs that do not fetch).
    meta = yaml.safe_load(post_file.read_text(encoding="utf-8").split("---\n")[1])
    recorded = meta["_archive"]["embeds"]
    assert list(recorded) == [m for m in LAVRTON_MEDIA if m != IDS["gone"]]
    assert recorded[IDS["gist2"]] == {
        "url": "https://gist.github.com/lavrton/3d4e5f",
        "title": "Gist lavrton/3d4e5f",
        "code": [
            {"lang": "css", "text": ".item { color: red; }"},
            {"lang": "bash", "text": "npm install konva"},
        ],
    }
    assert recorded[IDS["video"]] == {
        "url": "https://www.youtube.com/watch?v=IAoy3ia2ivI",
        "title": "YouTube IAoy3ia2ivI",
    }

    # sync --dry-run fetches the post again but no embed, and finds it unchanged.
    httpserver.clear_log()
    code, out, err = run_cli("sync", "--site", str(tmp_path / "site"), "--dry-run", env=env)
    assert code == 0, err
    assert out.startswith("unchanged: ")
    assert any(r.path == LAVRTON_PATH for r, _ in httpserver.log)
    assert media_requests(httpserver) == []
    # sync with the gist host and media pages gone keeps the archived code and links.
    down = f"http://127.0.0.1:{closed_port()}"
    httpserver.clear()
    httpserver.expect_request(LAVRTON_PATH).respond_with_data(
        lavrton_html(), content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request(re.compile("^/media/")).respond_with_data("gone", status=404)
    code, out, err = run_cli(
        "sync", "--site", str(tmp_path / "site"), env={"MEDIUM_ARCHIVE_GIST_BASE": down}
    )
    assert code == 0, err
    assert out == ""  # nothing updated
    assert post_file.read_bytes() == before[0]
    assert err.count("kept the archived code") == 5 and err.count("kept the archived link") == 2


def test_body_html_shows_the_same_resolution(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_lavrton(httpserver)
    base = base_of(httpserver)
    code, out, err = run_cli(
        "archive",
        base + LAVRTON_PATH,
        "--site",
        str(tmp_path),
        "--body",
        "html",
        env={"MEDIUM_ARCHIVE_GIST_BASE": base},
    )
    assert code == 0, err
    body = body_of((tmp_path / out.strip()).read_text(encoding="utf-8"))
    assert '<pre data-lang="javascript">const items = [];' in body
    assert "render(item);  // &lt;b&gt;not HTML&lt;/b&gt;" in body
    assert '<a href="https://www.youtube.com/watch?v=IAoy3ia2ivI">' in body
    assert '<a href="https://codepen.io/lavrton/pen/xRqLVo">' in body
    assert re.findall(r'href="[^"]*/media/([0-9a-f]+)', body) == [IDS["gone"]]


def test_import_resolves_embeds_in_the_fetching_threads(
    httpserver: HTTPServer, tmp_path: Path
) -> None:  # noqa: E501
    serve_lavrton(httpserver)
    base = base_of(httpserver)
    listing = tmp_path / "list.txt"
    listing.write_text(base + LAVRTON_PATH + "\n", encoding="utf-8")
    code, out, err = run_cli(
        "import",
        str(listing),
        "--site",
        str(tmp_path / "site"),
        "-j",
        "2",
        "--processes",
        "1",
        env={"MEDIUM_ARCHIVE_GIST_BASE": base},
    )
    assert code == 0, err
    body = body_of((tmp_path / "site" / out.strip()).read_text(encoding="utf-8"))
    assert "```css\n.item { color: red; }\n```" in body
    assert media_links(body) == [IDS["gone"]]
    assert "1 warning" in err or err.count(f"/media/{IDS['gone']}") >= 1


def test_with_no_network_the_post_is_archived_with_one_warning_per_embed(tmp_path: Path) -> None:
    # A saved copy of the post whose site (the origin of its media pages) refuses connections.
    origin = f"http://127.0.0.1:{closed_port()}"
    page = tmp_path / "lavrton.html"
    page.write_text(lavrton_html().replace("https://blog.lavrton.com", origin), encoding="utf-8")
    code, out, err = run_cli(
        "archive",
        str(page),
        "--site",
        str(tmp_path / "site"),
        env={"MEDIUM_ARCHIVE_GIST_BASE": origin},
    )
    assert code == 0, err
    assert Path(out.strip()).parent.name == "_posts"  # printed relative to the cwd, or absolute
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 8
    assert all("connection refused" in w for w in warnings)
    body = body_of((tmp_path / "site" / out.strip()).read_text(encoding="utf-8"))
    assert len(media_links(body)) == 8


_IFRAME_TAG_RE = re.compile(r"<iframe\b[^>]*>", re.I)
_ATTR_RE = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
_OBV_IFRAME_RE = re.compile(r'"iframe":\{"mediaResourceId":"([0-9a-f]{32})"([^}]*)\}')
_APOLLO_MEDIA_RE = re.compile(r'"MediaResource:([0-9a-f]{32})":\s*\{([^{}]*)\}')
_JSON_FIELD_RE = re.compile(r'"(thumbnailUrl|iframeSrc)":\s*"([^"]*)"')


def page_embeds(html: str) -> dict[str, tuple[str, str]]:
    """Every embed of a saved page, keyed by media id (or src for an iframe without one):
    (the best URL the page gives, the thumbnail). Read from the HTML iframes, obvInit/GLOBALS
    ``iframe`` metadata and Apollo ``MediaResource`` objects."""
    found: dict[str, tuple[str, str]] = {}

    def add(key: str, url: str, thumbnail: str) -> None:
        old_url, old_thumb = found.get(key, ("", ""))
        if target_of_url(url) is None:
            url = old_url or url
        found[key] = (url, thumbnail or old_thumb)

    for tag in _IFRAME_TAG_RE.findall(html):
        attrs = {k.lower(): v.replace("&amp;", "&") for k, v in _ATTR_RE.findall(tag)}
        src = attrs.get("src", "") if "/media/" in attrs.get("src", "") else ""
        src = src or attrs.get("data-src", "") or attrs.get("src", "")
        media = attrs.get("data-media-id") or media_id_of(src)
        if media:
            add(media, src, attrs.get("data-thumbnail", ""))
        elif "embedly.com/widgets" in src:
            add(src, src, "")
    for media, rest in _OBV_IFRAME_RE.findall(html):
        fields = dict(_JSON_FIELD_RE.findall(rest))
        add(media, "", fields.get("thumbnailUrl", ""))
    for media, rest in _APOLLO_MEDIA_RE.findall(html):
        fields = dict(_JSON_FIELD_RE.findall(rest.replace("\\u002F", "/")))
        add(media, fields.get("iframeSrc", ""), "")
    return found


def test_page_embeds_reads_every_source_of_one_page() -> None:
    html = lavrton_html()
    assert sorted(page_embeds(html)) == sorted(LAVRTON_MEDIA)


def test_count_corpus_embeds_resolvable_offline(corpus: Path) -> None:
    """The note's numbers (``pytest tests/test_embeds.py -k count -s`` prints them): the
    corpus's embeds known from the page alone vs. those that need the media page."""
    offline = needs = 0
    lines = []
    for path in sorted((corpus / "pages").rglob("*.html")):
        found = page_embeds(path.read_text(encoding="utf-8", errors="replace"))
        if not found:
            continue
        known = sum(offline_target(url, thumb) is not None for url, thumb in found.values())
        offline += known
        needs += len(found) - known
        lines.append(f"  {path.relative_to(corpus / 'pages')}: {known}/{len(found)} offline")
    print("\n".join(lines))
    print(f"corpus embeds: {offline} resolve from the page alone, {needs} need the media page")
    assert offline > 0 and needs > 0
    # The same through the pipeline's readers (what archive sees today: the readers pass on an
    # embed's iframeSrc, title and media id, not its thumbnail).
    from medium_archive.errors import MediumArchiveError
    from medium_archive.extract import extract_post

    offline = needs = 0
    for path in sorted((corpus / "pages").rglob("*.html")):
        try:
            html = path.read_text(encoding="utf-8", errors="replace")
            post = extract_post(html, "https://medium.com/p/x")
        except MediumArchiveError:
            continue
        for block in post.body.embeds():
            if block.kind == "iframe":
                target = target_of_url(block.url)
                known = target is not None and target.gist is None
                offline, needs = offline + known, needs + (not known)
    print(f"through the readers: {offline} from the page alone, {needs} need the media page")
    assert offline > 0 and needs > 0


def test_needs_network_only_for_embeds_the_page_does_not_resolve() -> None:
    from medium_archive.embeds import needs_network

    video = Embed(url=EMBEDLY_YOUTUBE.replace("&amp;", "&"), media_id=IDS["video"])
    card = Embed(url="https://example.com/a", title="A card", kind="link", resolved=True)
    gist = Embed(url="https://gist.github.com/lavrton/0a1b2c", resolved=True)
    assert not needs_network(Document((Paragraph((Run("text"),)), video, card)))
    assert needs_network(Document((video, embed("gist"))))  # a proxy link
    assert needs_network(Document((gist,)))  # a gist without its code
    assert not needs_network(Document((replace(gist, code=(Code("x", "python"),)),)))


def test_a_cached_failure_is_raised_afresh_for_each_embed(httpserver: HTTPServer) -> None:
    """Re-raising one cached exception would chain every post's frames onto its traceback (and
    keep every page alive for the whole run): each caller gets its own copy."""
    httpserver.expect_request(f"/media/{IDS['gone']}").respond_with_data("gone", status=404)
    resolver = EmbedResolver(make_session(retries=0))
    caught = []
    for _ in range(3):
        with pytest.raises(PostGone) as info:
            resolver.media_target(base_of(httpserver), IDS["gone"])
        caught.append(info.value)
    assert len({id(e) for e in caught}) == 3
    depths = [len(traceback.extract_tb(e.__traceback__)) for e in caught]
    assert depths[0] == depths[1] == depths[2]
    assert media_requests(httpserver) == [f"/media/{IDS['gone']}"]  # asked once


def test_threads_asking_for_one_media_page_share_one_request(httpserver: HTTPServer) -> None:
    started = threading.Event()

    def slow(request: Request) -> Response:
        started.set()
        time.sleep(0.3)
        return Response(media_page_iframe(EMBEDLY_YOUTUBE), content_type="text/html")

    httpserver.expect_request(f"/media/{IDS['video']}").respond_with_handler(slow)
    resolver = EmbedResolver(make_session(retries=0, pool_size=4))
    with ThreadPoolExecutor(4) as pool:
        found = list(
            pool.map(lambda _: resolver.media_target(base_of(httpserver), IDS["video"]), range(4))
        )
    assert {t.url for t in found if t is not None} == {
        "https://www.youtube.com/watch?v=IAoy3ia2ivI"
    }
    assert media_requests(httpserver) == [f"/media/{IDS['video']}"]


def test_a_thread_interrupted_mid_fetch_leaves_the_key_to_the_next() -> None:
    calls = []

    def fetch_page(session: object, url: str, **kw: object) -> object:
        calls.append(url)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return FetchedPage(media_page_iframe(EMBEDLY_YOUTUBE))

    resolver = EmbedResolver(None, fetch_page=fetch_page)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        resolver.media_target("https://medium.com", IDS["video"])
    target = resolver.media_target("https://medium.com", IDS["video"])
    assert target is not None and target.provider == "YouTube"
    assert len(calls) == 2


@dataclass
class FetchedPage:
    text: str


EXPORT_GISTS = "formats/export/bryanguner__2021-03-06_A-Collection-of-my-most-useful-Gist-Entries-f4314f3ba3ab.html"  # noqa: E501


def test_an_export_post_s_gist_scripts_become_code(httpserver: HTTPServer, tmp_path: Path) -> None:
    """An account export keeps each gist as its ``<script src="https://gist.github.com/….js">``
    (33 of them here, 28 distinct): each becomes its file's code, each gist fetched once."""
    export = require_corpus() / EXPORT_GISTS
    page = export.read_text(encoding="utf-8")
    gists = re.findall(r'src="https://gist\.github\.com/bgoonz/([0-9a-f]+)\.js"', page)
    assert (len(gists), len(set(gists))) == (33, 28)
    for gist_id in set(gists):
        httpserver.expect_request(f"/bgoonz/{gist_id}.js").respond_with_data(
            gist_js("bgoonz", gist_id, [(f"{gist_id[:6]}.sh", "5a5a", "Shell")]),
            content_type="application/javascript",
        )
        httpserver.expect_request(f"/bgoonz/{gist_id}/raw/5a5a/{gist_id[:6]}.sh").respond_with_data(
            f"echo {gist_id}\n", content_type="text/plain"
        )
    code, out, err = run_cli(
        "archive",
        str(export),
        "--site",
        str(tmp_path),
        env={"MEDIUM_ARCHIVE_GIST_BASE": base_of(httpserver)},
    )
    assert code == 0, err
    assert [line for line in err.splitlines() if not line.startswith("new site:")] == []
    body = body_of((tmp_path / out.strip()).read_text(encoding="utf-8"))
    for gist_id in gists:
        assert (
            f"```bash\necho {gist_id}\n```\n\n[Gist bgoonz/{gist_id}](https://gist.github.com/bgoonz/{gist_id})"
            in body
        )  # noqa: E501
    assert body.count("```bash\necho ") == 33
    assert len(httpserver.log) == 2 * 28


def test_fetch_text_decodes_and_fails_like_every_fetch(httpserver: HTTPServer) -> None:
    from medium_archive.errors import FetchError
    from medium_archive.fetch import fetch_text

    httpserver.expect_request("/latin1").respond_with_data(
        "café\n".encode("latin-1"), content_type="text/plain; charset=iso-8859-1"
    )
    httpserver.expect_request("/bom").respond_with_data(
        b"\xef\xbb\xbfna\xc3\xafve", content_type="application/javascript"
    )
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    httpserver.expect_request("/big").respond_with_data("x" * 100, content_type="text/plain")
    session = make_session(retries=0)
    assert fetch_text(session, httpserver.url_for("/latin1")) == "café\n"
    assert fetch_text(session, httpserver.url_for("/bom")) == "naïve"
    with pytest.raises(PostGone):
        fetch_text(session, httpserver.url_for("/gone"))
    with pytest.raises(FetchError, match="over the 50 bytes limit"):
        fetch_text(session, httpserver.url_for("/big"), max_bytes=50)
