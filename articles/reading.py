"""What a reader gets around the body: anchors on its h2 headings and a table of contents."""

import functools
import html
import re
from dataclasses import dataclass

from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

TOC_MIN_HEADINGS = 3  # a piece with fewer sections needs no contents list
_H2 = re.compile(r"<h2(\s[^>]*)?>(.*?)</h2>", re.IGNORECASE | re.DOTALL)
_ID_ATTRIBUTE = re.compile(r"""\s+id\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Outline:
    html: SafeString
    headings: tuple[tuple[str, str], ...] = ()  # (anchor id, heading text)

    @property
    def show_contents(self) -> bool:
        return len(self.headings) >= TOC_MIN_HEADINGS


@functools.lru_cache(maxsize=256)
def body_outline(body: str) -> Outline:
    """The body (already sanitized on save) with an id on every h2, and the list of them.

    Ids are slugs of the heading text, prefixed so they never clash with the page's own.
    Remembered for the most read bodies, which would otherwise be parsed again on every view."""
    headings: list[tuple[str, str]] = []
    used: set[str] = set()

    def anchor(match: re.Match) -> str:
        attributes = _ID_ATTRIBUTE.sub("", match.group(1) or "")
        text = " ".join(html.unescape(strip_tags(match.group(2))).split())
        base = f"section-{slugify(text)[:60].strip('-') or len(headings) + 1}"
        anchor_id, n = base, 2
        while anchor_id in used:
            anchor_id, n = f"{base}-{n}", n + 1
        used.add(anchor_id)
        headings.append((anchor_id, text))
        return f'<h2 id="{anchor_id}"{attributes}>{match.group(2)}</h2>'

    return Outline(html=mark_safe(_H2.sub(anchor, body or "")), headings=tuple(headings))  # noqa: S308 - body sanitized on save; ids are slugs
