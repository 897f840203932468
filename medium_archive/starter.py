"""The starter Jekyll site planted in a new or empty site folder (`plant`).

A small self-contained site, shipped as package data under ``medium_archive/starter/``: a
``_config.yml``, a default and a post layout (``<meta charset="utf-8">``; the post page shows
title, subtitle, authors with avatars linked to their profiles, the publication, the published
and updated dates, tags, the original's link and the lead image), a home page listing posts
newest first, and one stylesheet. No theme gem and no plugin, so ``jekyll build`` and ``jekyll
serve`` work at once. Planted once: a file already there is never overwritten.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import StoreError
from .store import write_atomic

if TYPE_CHECKING:  # importlib.abc's name is deprecated from 3.12 on; resources.abc is 3.11+
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

__all__ = ["plant", "starter_files"]

_PACKAGE_DIR = "starter"


def starter_files() -> Iterator[tuple[str, bytes]]:
    """``(relative POSIX path, bytes)`` of every starter file, sorted by path."""

    def walk(node: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                yield from walk(child, rel + "/")
            elif child.is_file() and not child.name.startswith("."):
                yield rel, child.read_bytes()

    yield from walk(resources.files("medium_archive").joinpath(_PACKAGE_DIR), "")


def plant(root: Path) -> list[str]:
    """Write the starter site into ``root`` (created if needed), each file atomically, none
    over an existing file; the relative paths written. `StoreError` when a file cannot be."""
    written: list[str] = []
    for rel, data in starter_files():
        path = Path(root) / rel
        if path.exists():
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
        except OSError as exc:
            raise StoreError(f"{path}: cannot write the starter site ({exc.strerror})") from exc
        written.append(rel)
    return written
