"""Cookies from a browser's export: reading a Netscape ``cookies.txt`` file for `--cookies`.

A file format reader, no network: the session (session.py) sends the cookies, to the hosts and
paths they belong to only. Errors are `CookieFileError` with one line that names the file and
a line number, never a cookie's name or value (they are secrets).
"""

from __future__ import annotations

import http.cookiejar
import io
import warnings

from .errors import CookieFileError

#: The largest cookies file read (a browser's whole jar is a few hundred kB).
MAX_FILE_BYTES = 10 * 1024 * 1024

_NETSCAPE_HEADER = "# Netscape HTTP Cookie File\n"
_HTTPONLY_PREFIX = "#HttpOnly_"


def load_cookies(path: str) -> http.cookiejar.MozillaCookieJar:
    """The cookies of a Netscape ``cookies.txt`` file (what browser cookie-export extensions,
    curl and yt-dlp write), read by the standard library's `MozillaCookieJar`.

    Lenient where exporters differ: the header line may be missing, lines may end in CRLF, a
    domain's "include subdomains" flag may disagree with its leading dot, and an expiry of 0
    means a session cookie (sent, not expired). Raises `CookieFileError` with a one-line message
    that names the file and a line number, never a cookie's name or value.
    """
    where = f"--cookies {path}"
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            text = fh.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise CookieFileError(f"{where}: a folder, not a cookies.txt file") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CookieFileError(f"{where}: cannot read the file ({reason})") from None
    if len(text) > MAX_FILE_BYTES:
        size = f"{MAX_FILE_BYTES / (1024 * 1024):.1f} MB"
        raise CookieFileError(f"{where}: over {size}; not a cookies.txt file")
    lines = [_NETSCAPE_HEADER]
    for number, line in enumerate(text.splitlines(), start=1):
        fixed = _cookie_line(line, number, where)
        if fixed:
            lines.append(fixed + "\n")
    if len(lines) == 1:
        raise CookieFileError(
            f"{where}: holds no cookies; export them in the Netscape cookies.txt format"
        )
    jar = http.cookiejar.MozillaCookieJar()
    try:
        # The documented load() takes only a file name; this is what it runs on the open file.
        # Its warning on an unexpected error would print a traceback: the error says it all.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jar._really_load(  # type: ignore[attr-defined]
                io.StringIO("".join(lines)), path, True, True
            )
    except (http.cookiejar.LoadError, ValueError) as exc:  # never show the line: a secret
        raise CookieFileError(f"{where}: not a valid Netscape cookies.txt file") from exc
    for cookie in jar:
        if cookie.expires == 0:  # exporters write 0 for a browser-session cookie
            cookie.expires = None
            cookie.discard = True
    return jar


def _cookie_line(line: str, number: int, where: str) -> str:
    """One line of a cookies file made regular for `MozillaCookieJar`, or "" to skip it."""
    stripped = line.strip()
    if not stripped or (stripped.startswith("#") and not stripped.startswith(_HTTPONLY_PREFIX)):
        return ""
    prefix = ""
    body = line.rstrip("\r\n")
    if body.startswith(_HTTPONLY_PREFIX):
        prefix, body = _HTTPONLY_PREFIX, body[len(_HTTPONLY_PREFIX) :]
    fields = body.split("\t")
    if len(fields) != 7:
        hint = (
            "a JSON cookie export? export in the Netscape cookies.txt format"
            if stripped[:1] in "[{"
            else "a cookie line has 7 tab-separated fields"
        )
        raise CookieFileError(f"{where}: line {number} is not a cookie line ({hint})")
    domain, _flag, path, secure, expires, name, value = fields
    if not domain.strip() or not path.startswith("/"):
        raise CookieFileError(f"{where}: line {number} has no domain or no path")
    expires = expires.strip()
    whole = expires.split(".", 1)[0].lstrip("-")
    if expires and not (whole.isdigit() and len(whole) <= 15):
        raise CookieFileError(f"{where}: line {number} has an expiry that is not a number")
    flag = "TRUE" if domain.startswith(".") else "FALSE"
    secure = "TRUE" if secure.strip().upper() == "TRUE" else "FALSE"
    return prefix + "\t".join((domain.strip(), flag, path, secure, expires, name, value))
