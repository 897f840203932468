"""The command line's shared options: their click decorators, validators and defaults.

``--cookies`` / ``--user-agent`` wait in the click context for `make_session`, which builds the
one HTTP session of an invocation from them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .errors import MediumArchiveError
from .store import GENERATORS

#: Default --rate: requests per second per host.
DEFAULT_RATE = 5.0
#: Where ``--cookies`` and ``--user-agent`` wait in ``ctx.meta`` for `make_session`.
_HTTP_META = "medium_archive.http"
#: The Medium origin ``@user`` is resolved on (tests and mirrors point it elsewhere).
ORIGIN_ENV = "MEDIUM_ARCHIVE_ORIGIN"


class OneLineUsageError(click.ClickException):
    """A usage error told in one line (``Error: …``), exit code 2."""

    exit_code = 2


def _stacked(*options: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """One decorator applying click options in the order given (as in ``--help``)."""

    def decorate(fn: Any) -> Any:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


site_option = click.option(
    "--site",
    "site_root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The site root: a Jekyll site (posts go to _posts/, drafts to _drafts/; a new or "
    "empty folder gets a starter site) or a Hugo site (page bundles in content/posts/).",
)

generator_option = click.option(
    "--generator",
    type=click.Choice(GENERATORS),
    default=None,
    help="Lay the site out for this generator (default: hugo for a folder with a Hugo "
    "config, else jekyll).",
)

body_option = click.option(
    "--body",
    "body_format",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
    help="Write the body as Markdown, or as sanitised HTML inside <article>.",
)

images_option = click.option(
    "--images",
    is_flag=True,
    help="Save content images under assets/<post-id>/ (Hugo: beside the post in its bundle) "
    "and link them there; an image that cannot be saved keeps its remote URL (with a warning).",
)

embeds_option = click.option(
    "--embeds/--no-embeds",
    default=True,
    show_default=True,
    help="Fetch what each embed shows: gists archived as code, videos, tweets and pens "
    "linked at their real URL. --no-embeds makes no such request (only what the page says "
    "is used; other embeds stay links to Medium's copy).",
)


def finite_rate(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """``--rate`` must be a finite number above 0: not nan or inf (FloatRange lets them by)."""
    if not math.isfinite(value) or value <= 0:
        raise click.BadParameter(f"{value} is not a number of requests per second above 0")
    return value


#: ``--jobs`` and ``--rate``, shared by the batch commands (import, sync).
batch_options = _stacked(
    click.option(
        "-j",
        "--jobs",
        type=click.IntRange(1, 64),
        default=4,
        show_default=True,
        help="Posts fetched at once (one connection pool shared by all workers).",
    ),
    click.option(
        "--rate",
        type=click.FloatRange(min=0, min_open=True),
        callback=finite_rate,
        default=DEFAULT_RATE,
        show_default=True,
        help="At most this many requests per second to any one host.",
    ),
)


def _remember_http(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None and param.name:
        ctx.meta.setdefault(_HTTP_META, {})[param.name] = value


#: ``--cookies`` and ``--user-agent`` (also from the environment), for `make_session`.
http_options = _stacked(
    click.option(
        "--cookies",
        "cookies",
        metavar="FILE",
        envvar="MEDIUM_ARCHIVE_COOKIES",
        show_envvar=True,
        expose_value=False,
        callback=_remember_http,
        help="Send the cookies of this Netscape cookies.txt file (exported from a browser), "
        "each only to its own site: a member's login, Cloudflare's cf_clearance.",
    ),
    click.option(
        "--user-agent",
        "user_agent",
        metavar="UA",
        envvar="MEDIUM_ARCHIVE_USER_AGENT",
        show_envvar=True,
        expose_value=False,
        callback=_remember_http,
        help="Send this User-Agent (use the browser's own with its cookies: Cloudflare's "
        "clearance cookie is bound to it).",
    ),
)


def make_session(ctx: click.Context, **kwargs: Any) -> Any:
    """One HTTP session per invocation, closed when the command ends.

    With ``--cookies`` / ``--user-agent`` given, the session sends them; a cookie file that
    cannot be read or parsed is a one-line usage error (exit 2) that shows no cookie.
    """
    from .fetch import load_cookies
    from .fetch import make_session as _make_session

    given = ctx.meta.get(_HTTP_META, {})
    user_agent = (given.get("user_agent") or "").strip()
    if user_agent:
        if not user_agent.isprintable():
            raise OneLineUsageError("--user-agent: control characters are not allowed in it")
        kwargs["user_agent"] = user_agent
    if given.get("cookies"):
        try:
            kwargs["cookies"] = load_cookies(os.path.expanduser(given["cookies"]))
        except MediumArchiveError as exc:
            raise OneLineUsageError(str(exc)) from None
    session = _make_session(**kwargs)
    ctx.call_on_close(session.close)
    return session


def gist_base() -> str:
    """Where gist requests go instead of https://gist.github.com: the environment variable
    MEDIUM_ARCHIVE_GIST_BASE, read once per command (for tests against a local server)."""
    return os.environ.get("MEDIUM_ARCHIVE_GIST_BASE", "").strip()


def json_option(what: str) -> Callable[[Any], Any]:
    """``--json``: a JSON report of one record per ``what`` (its help's wording)."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print a JSON report {what}.")


#: import: what of an export, feed or account is archived besides published posts.
source_options = _stacked(
    click.option("--drafts", is_flag=True, help="Export/feed: archive drafts too, into _drafts/."),
    click.option(
        "--responses", is_flag=True, help="Export/feed/account: archive responses (comments) too."
    ),
    click.option(
        "--enrich",
        is_flag=True,
        help="Export: fetch each post's live page for tags, publication and modified date.",
    ),
)

refresh_option = click.option(
    "--refresh",
    is_flag=True,
    help="Fetch posts already in the site again (conditional GET), and update them.",
)

#: import: what becomes of the inputs that fail.
failed_options = _stacked(
    click.option(
        "--failed",
        "failed_path",
        type=click.Path(dir_okay=False, writable=True),
        help="Write the inputs that failed to this file, as a list for a later import.",
    ),
    click.option("--fail-fast", is_flag=True, help="Stop at the first input that fails."),
)

sync_body_option = click.option(
    "--body",
    "body_format",
    type=click.Choice(["markdown", "html"]),
    default=None,
    help="Rewrite updated bodies in this format (default: each file keeps its own).",
)

#: sync: what is written, and over what.
sync_write_options = _stacked(
    click.option(
        "--dry-run",
        is_flag=True,
        help="Say what each post would become (and what changed); write nothing.",
    ),
    click.option(
        "--force", is_flag=True, help="Overwrite files edited by hand with the post from Medium."
    ),
    click.option(
        "--images/--no-images",
        default=None,
        help="Keep images under assets/<post-id>/ (default: as each archived file already does).",
    ),
)
