"""The one reader of dates: every date the tool reads goes through here, and nothing here raises.

Dates come from pages (JSON-LD, embedded state, meta tags), account exports, feeds (RFC 822
``pubDate``, ISO ``atom:updated``) and existing post files (strings, or the ``datetime``/``date``
objects YAML makes of unquoted timestamps). Whatever the input, the answer is FORMAT.md's
``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC, or ``""`` ("no date") when the value is garbage or out of
range (``2020-13-45``, ``2021-02-30``, ``9999-12-31T23:59:59-23:59``, which leaves year 9999
once in UTC): callers turn ``""`` into a warning or a per-item failure, never a crash.

The ISO reader is a small regular expression, not ``datetime.fromisoformat``, so that the same
strings are accepted on Python 3.10 (whose ``fromisoformat`` refuses ``Z`` and 2-digit fractions)
as on 3.11+.
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["date_string", "iso_from_epoch_ms", "iso_from_text", "parse_instant", "utc_day"]

_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"[ \t]*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?"
)
#: Longer strings are not dates (and are not worth a regular expression's time).
_MAX_TEXT = 64
_UTC = dt.timezone.utc


def _from_iso(text: str) -> dt.datetime | None:
    match = _ISO_RE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            micro,
        )  # fmt: skip
        if sign:
            offset = dt.timedelta(hours=int(off_h), minutes=int(off_m or 0))
            tz = dt.timezone(-offset if sign == "-" else offset)
            return moment.replace(tzinfo=tz).astimezone(_UTC)
    except (ValueError, OverflowError):  # a field out of range, or out of range once in UTC
        return None
    return moment.replace(tzinfo=_UTC)


def parse_instant(value: Any) -> dt.datetime | None:
    """An aware UTC ``datetime`` from an ISO string, a YAML ``datetime``/``date``, or an RFC 822
    string (feeds); None when unreadable or out of range. Never raises."""
    try:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=_UTC)
            return value.astimezone(_UTC)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=_UTC)
        if not isinstance(value, str):
            return None
        text = value.strip()
        if not text or len(text) > _MAX_TEXT:
            return None
        if text[:1].isdigit():
            found = _from_iso(text)
            if found is not None or text[4:5] == "-":
                return found
        moment = parsedate_to_datetime(text)  # RFC 822: "Tue, 14 Feb 2023 09:31:02 GMT"
        if moment is None:
            return None
        return parse_instant(moment)
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def _format(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_from_text(value: Any) -> str:
    """A date normalised to ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC); ``""`` when unreadable."""
    moment = parse_instant(value)
    if moment is None or moment.year < 1000:
        return ""  # strftime pads years below 1000 differently across platforms
    return _format(moment)


def iso_from_epoch_ms(value: Any) -> str:
    """Epoch milliseconds -> ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC); ``""`` for 0 or junk."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 1e15:
        return ""  # 0, negative, junk, inf, nan, or past year 30000
    try:
        moment = dt.datetime.fromtimestamp(int(value) / 1000, tz=_UTC)
    except (ValueError, OverflowError, OSError):
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(value) % 1000:03d}Z"


def utc_day(value: Any) -> str:
    """The UTC day ``YYYY-MM-DD`` of a date (a bare ``YYYY-MM-DD`` is that day); ``""`` if none."""
    if isinstance(value, str) and len(value.strip()) == 10:
        moment = parse_instant(value.strip())
        return moment.date().isoformat() if moment is not None else ""
    found = iso_from_text(value)
    return found[:10]


def date_string(value: Any) -> Any:
    """A YAML-loaded date as FORMAT.md's string (``…T…mmmZ`` UTC; a ``date`` as ``YYYY-MM-DD``);
    other values unchanged. A datetime out of range in UTC is written as it was (ISO, offset
    kept) rather than lost."""
    if isinstance(value, dt.datetime):
        return iso_from_text(value) or value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
