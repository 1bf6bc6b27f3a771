"""Subscribers to and from CSV, losslessly.

One row per subscriber; timestamps in ISO 8601 with their offset (UTC);
topics as slugs separated by ";" (empty means every topic). Text a spreadsheet
would run as a formula (a cell starting with = + - @ or a tab) is written with a
leading apostrophe, which reading removes again, so the round trip is exact.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_ipv46_address

from articles.models import Topic

from .models import Subscriber, normalize_email

COLUMNS = ["email", "status", "cadence", "topics", *Subscriber.RECORD_FIELDS, "hard_bounces"]
TIMESTAMPS = [name for name in COLUMNS if name.endswith("_at")]
TEXT_COLUMNS = {"email", "consent_source"}
TOPIC_SEPARATOR = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def _protect(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _unprotect(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def _timestamp(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def subscriber_row(subscriber: Subscriber) -> list[str]:
    values = {
        "email": subscriber.email,
        "status": subscriber.status,
        "cadence": subscriber.cadence,
        # From the prefetch cache when there is one: sorted in Python, not by a query each.
        "topics": TOPIC_SEPARATOR.join(sorted(topic.slug for topic in subscriber.topics.all())),
        "consent_source": subscriber.consent_source,
        "consent_ip": subscriber.consent_ip or "",
        "hard_bounces": str(subscriber.hard_bounces),
        **{name: _timestamp(getattr(subscriber, name)) for name in TIMESTAMPS},
    }
    return [_protect(values[name]) if name in TEXT_COLUMNS else values[name] for name in COLUMNS]


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_lines(subscribers: Iterable[Subscriber]) -> Iterator[str]:
    """CSV text, one line at a time (for a streaming response); a BOM first so spreadsheets read UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)
    for subscriber in subscribers:
        yield writer.writerow(subscriber_row(subscriber))


@dataclass
class ImportRow:
    line: int
    email: str
    values: dict = field(default_factory=dict)
    topics: list[Topic] = field(default_factory=list)


@dataclass
class ParseResult:
    rows: list[ImportRow]
    errors: list[str]


class ImportFileError(Exception):
    """The file as a whole can't be read: nothing is imported."""


def _parse_timestamp(text: str, name: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text[:40]!r} is not a date and time like 2026-01-31T09:00:00+00:00") from None
    # A spreadsheet may drop the offset: our exports are UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_email(record: dict[str, str]) -> str:
    email = _unprotect(record["email"].strip())
    if not email:
        raise ValueError("email is empty")
    try:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in email):
            raise ValidationError("control character")
        validate_email(email)
        if len(normalize_email(email)) > 254:
            raise ValidationError("too long")
    except ValidationError:
        raise ValueError(f"email {email[:80]!r} is not a valid address") from None
    return email


def _parse_choice(record: dict[str, str], name: str, choices: list[str], default: str) -> str:
    value = record.get(name, "").strip() or default
    if value not in choices:
        raise ValueError(f"{name} {value[:40]!r} is not one of {', '.join(choices)}")
    return value


def _parse_consent(record: dict[str, str]) -> dict:
    source = _unprotect(record.get("consent_source", ""))
    if len(source) > 500 or "\x00" in source:
        raise ValueError("consent_source is longer than 500 characters or holds a NUL")
    ip = record.get("consent_ip", "").strip()
    if ip:
        try:
            validate_ipv46_address(ip)
        except ValidationError:
            raise ValueError(f"consent_ip {ip[:50]!r} is not an IP address") from None
    return {"consent_source": source, "consent_ip": ip or None}


def _parse_bounces(record: dict[str, str]) -> int:
    bounces = record.get("hard_bounces", "").strip() or "0"
    most = Subscriber.HARD_BOUNCES_MAX
    # The length first: int() of a long run of digits is slow.
    if not (bounces.isascii() and bounces.isdigit() and len(bounces) <= len(str(most)) and int(bounces) <= most):
        raise ValueError(f"hard_bounces {bounces[:20]!r} is not a whole number from 0 to {most}")
    return int(bounces)


def _parse_topics(record: dict[str, str], topics_by_slug: dict[str, Topic]) -> list[Topic]:
    slugs = [part.strip() for part in record.get("topics", "").split(TOPIC_SEPARATOR) if part.strip()]
    missing = [slug for slug in slugs if slug not in topics_by_slug]
    if missing:
        raise ValueError(f"topic {missing[0][:80]!r} does not exist")
    return [topics_by_slug[slug] for slug in slugs]


def _parse_row(record: dict[str, str], topics_by_slug: dict[str, Topic]) -> tuple[str, dict, list[Topic]]:
    """(email, field values, topics) or ValueError naming everything that is wrong."""
    email = _parse_email(record)
    problems: list[str] = []
    values: dict = {}
    topics: list[Topic] = []
    checks = [
        ("status", lambda: _parse_choice(record, "status", Subscriber.Status.values, Subscriber.Status.PENDING)),
        ("cadence", lambda: _parse_choice(record, "cadence", Subscriber.Cadence.values, Subscriber.Cadence.WEEKLY)),
        ("hard_bounces", lambda: _parse_bounces(record)),
        *((name, lambda name=name: _parse_timestamp(record.get(name, "").strip(), name)) for name in TIMESTAMPS),
    ]
    for name, check in checks:
        try:
            values[name] = check()
        except ValueError as exc:
            problems.append(str(exc))
    try:
        values.update(_parse_consent(record))
    except ValueError as exc:
        problems.append(str(exc))
    try:
        topics = _parse_topics(record, topics_by_slug)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    return email, values, topics


def _delimiter(text: str) -> str:
    """Comma, or what a spreadsheet set to another locale wrote instead (semicolon, tab)."""
    first_line = text.split("\n", 1)[0]
    for delimiter in (",", ";", "\t"):
        if "email" in (name.strip('"') for name in first_line.rstrip("\r").split(delimiter)):
            return delimiter
    return ","


def _read_header(reader) -> list[str]:
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise ImportFileError(f"Line 1: {exc}") from None
    if "email" not in header:
        raise ImportFileError("The first line must name the columns, including “email”.")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or len(set(header)) != len(header):
        raise ImportFileError(
            f"Unknown or repeated columns: {', '.join(repr(name[:40]) for name in unknown) or 'repeated names'}. "
            f"Known columns: {', '.join(COLUMNS)}."
        )
    return header


def size_check(size: int) -> None:
    """Refuse a file too large to import, before it is read."""
    if size > MAX_IMPORT_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")


def parse_csv(data: bytes) -> ParseResult:
    """Check every row; a bad row is reported by its line number and left out whole."""
    size_check(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text: save it as “CSV UTF-8” and try again.") from None
    if "\x00" in text:
        raise ImportFileError("The file holds NUL characters: it is not a CSV file.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    header = _read_header(reader)
    topics_by_slug = {topic.slug: topic for topic in Topic.objects.all()}
    max_rows = settings.NEWSLETTER_IMPORT_MAX_ROWS
    rows: list[ImportRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    while True:
        start = reader.line_num + 1  # a quoted value may span lines: report where the row begins
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"Line {start}: {exc}; the rest of the file was not read.")
            break
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(rows) + len(errors) >= max_rows:
            raise ImportFileError(
                f"The file has more than {max_rows:,} rows: split it into several files and import each."
            )
        if len(cells) != len(header):
            errors.append(f"Line {start}: {len(header)} columns expected, {len(cells)} found.")
            continue
        try:
            email, values, topics = _parse_row(dict(zip(header, cells, strict=True)), topics_by_slug)
        except ValueError as exc:
            errors.append(f"Line {start}: {exc}.")
            continue
        normalized = normalize_email(email)
        if normalized in seen:
            errors.append(f"Line {start}: the same address as line {seen[normalized]}.")
            continue
        seen[normalized] = start
        rows.append(ImportRow(line=start, email=email, values=values, topics=topics))
    return ParseResult(rows=rows, errors=errors)
