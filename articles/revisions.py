"""What changed between two revisions of an article, word by word, for editors.

The body is compared as the text a reader sees, a paragraph a line, not as
HTML: a diff of tags is not readable. Revisions are recorded by
django-simple-history (articles/history.py)."""

import difflib
import html
import re
from dataclasses import dataclass

from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from .models import Article

# Closing a block starts a new line of the text compared.
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|ul|ol)>|<br\s*/?>|<hr\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_WORDS = re.compile(r"\n|[^\S\n]+|[^\s]+")


@dataclass
class FieldChange:
    label: str
    pieces: list[tuple[str, str]]  # ("same" | "removed" | "added", text)
    whole: bool = False  # one value replaced by another, not a text edited


def body_as_text(body: str) -> str:
    """The body's words, one block (paragraph, heading, list item) a line."""
    text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n", body or "")))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The new text as pieces that are the same, removed or added, word by word."""
    old_words, new_words = _WORDS.findall(old), _WORDS.findall(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(old_words[a1:a2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(("removed", "".join(old_words[a1:a2])))
        if op in ("insert", "replace"):
            pieces.append(("added", "".join(new_words[b1:b2])))
    return pieces


def _when(value) -> str:
    return date_filter(timezone.localtime(value), "j M Y, H:i") if value else "no date"


def revision_state(revision) -> str:
    """Where the article stood for readers when the revision was saved: a published row
    whose date was still ahead was scheduled, not out (Article.publication_state_at)."""
    as_saved = Article(status=revision.status, published_at=revision.published_at)
    return as_saved.publication_state_at(revision.history_date).value


def _readable(revision) -> dict[str, str]:
    return {
        "Title": revision.title,
        "Standfirst": revision.dek,
        "Key insights": revision.key_insights,
        "Body": body_as_text(revision.body),
        "Topics": ", ".join(sorted(row.topic.name for row in revision.topics.select_related("topic") if row.topic)),
        "Status": revision_state(revision),
        "Publication date": _when(revision.published_at),
        "Author": str(revision.author) if revision.author_id else "",
        "Address": revision.slug,
        "Hero image": revision.hero_image or "",
        "Hero image alt text": revision.hero_image_alt,
    }


# Values read as one piece: "3 Dec" struck and "5 Dec" added, never a lone "3" and "5".
WHOLE_VALUES = {"Status", "Publication date", "Author", "Address", "Hero image"}


def _whole_diff(old: str, new: str) -> list[tuple[str, str]]:
    return [piece for piece in (("removed", old), ("added", new)) if piece[1]]


def revision_changes(revision, previous=None) -> list[FieldChange]:
    """The fields that differ from the previous revision (all of them, for the first)."""
    new = _readable(revision)
    old = _readable(previous) if previous is not None else dict.fromkeys(new, "")
    changes = []
    for label, value in new.items():
        if old[label] != value:
            whole = label in WHOLE_VALUES
            pieces = (_whole_diff if whole else word_diff)(old[label], value)
            changes.append(FieldChange(label=label, pieces=pieces, whole=whole))
    return changes
