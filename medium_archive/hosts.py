"""Which hosts a download may go to, when the URL comes from content (an image, a feed item).

A post's images are saved only from Medium's own servers (``medium.com`` and its subdomains:
``miro.medium.com``, ``cdn-images-1.medium.com``) and the host the post was fetched from, plus
hosts the caller allows; member-only feed items are fetched only from Medium and the feed's own
host. A loopback, private, link-local or otherwise non-public address is never allowed by
content alone: only when the user pointed us at that host (the page or feed was fetched from it).
Pure functions of strings; no network, no DNS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from urllib.parse import urlsplit

__all__ = ["host_of", "is_local_host", "is_medium_host", "refusal"]


def host_of(url: str) -> str:
    """The lower-case host name of an http(s) URL ("" when there is none)."""
    try:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https"):
            return ""
        return (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def is_medium_host(host: str) -> bool:
    """``medium.com`` or one of its subdomains (Medium's image CDNs among them)."""
    return host == "medium.com" or host.endswith(".medium.com")


def is_local_host(host: str) -> bool:
    """True for loopback, private, link-local, reserved or unspecified addresses and localhost
    names: hosts on this machine or its network, not on the public internet."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def refusal(
    url: str,
    *,
    fetched_from: Collection[str] = (),
    named: Collection[str] = (),
    allowed: Collection[str] = (),
) -> str:
    """Why ``url`` may not be downloaded ("" when it may).

    ``fetched_from``: hosts the user had us fetch from (allowed, local ones too); ``named``:
    hosts the content names as its own (allowed when public); ``allowed``: hosts the caller
    allows outright. Medium's hosts are always allowed.
    """
    host = host_of(url)
    if not host:
        return "not an http(s) URL"
    if host in allowed or host in fetched_from or is_medium_host(host):
        return ""
    if is_local_host(host):
        return f"{host} is a local or private address"
    if host in named:
        return ""
    return f"{host} is neither Medium's nor the post's own host"
