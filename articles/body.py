"""An article body as it is stored, and as a reader's page, a feed and a mail get it.

Stored: what the editor produced, cleaned by nh3 against exactly what the
editor's extensions make (``articles/editor.py``), with our own images
addressed site-relative (``/media/…``), never with a host.

Page: every image of ours gets ``srcset``/``sizes`` from its narrower copies,
its intrinsic ``width``/``height`` and lazy loading (the body starts below the
fold); an image whose file is missing stays a plain ``<img>`` with its alt
text. Tables scroll sideways in a box of their own on narrow screens and get
column headers; a callout is a note to assistive technology.

Feeds and mail: the stored markup with absolute addresses (``articles/feeds.py``)."""

import functools
import html
import re
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from .images import StoredImage, media_name, stored_image

# The article column is 42rem wide, less the page's 1rem margins on a phone.
BODY_IMAGE_SIZES = "(min-width: 44rem) 42rem, calc(100vw - 2rem)"
BODY_COLUMN_PX = 672  # 42rem


def body_image_sizes(width: int) -> str:
    """An image narrower than the body's column is shown at its own width, not stretched to the column."""
    if width >= BODY_COLUMN_PX:
        return BODY_IMAGE_SIZES
    return f"(min-width: {width + 32}px) {width}px, calc(100vw - 2rem)"


_RENDER_BUCKET_SECONDS = 300  # how long a rendered body is reused before files are looked at again

# Sanitized markup (nh3) always double-quotes attribute values; ">" may occur inside them.
_ATTRIBUTES = r'(?:\s+[\w-]+(?:="[^"]*")?)*'
_IMG = re.compile(rf"<img({_ATTRIBUTES})\s*/?>", re.IGNORECASE)
_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")', re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([\w-]+)(?:="([^"]*)")?')
_TABLE = re.compile(r"<table\b[^>]*>.*?</table>", re.IGNORECASE | re.DOTALL)
_FIRST_ROW_HEADERS = re.compile(
    r"^(<table\b[^>]*>\s*(?:<tbody>|<thead>)\s*<tr>)(.*?)(</tr>)", re.IGNORECASE | re.DOTALL
)
_TH = re.compile(r"<th\b", re.IGNORECASE)
_CALLOUT = '<div class="callout">'
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


# --- stored -----------------------------------------------------------------


def own_media_path(url: str) -> str | None:
    """The site-relative address of an absolute URL pointing at our own media, or None.

    Our own: the public origin (``SITE_URL``) or a development address
    (loopback), which the old upload page used to bake into bodies."""
    if not url.startswith(("http://", "https://")) or not settings.MEDIA_URL.startswith("/"):
        return None
    parts = urlsplit(url)
    site = urlsplit(settings.SITE_URL)
    if parts.netloc != site.netloc and parts.hostname not in LOOPBACK_HOSTS:
        return None
    if not parts.path.startswith(settings.MEDIA_URL) or parts.query or parts.fragment:
        return None
    return parts.path


def body_media_relative(body: str) -> str:
    """The body with absolute addresses of our own images made site-relative."""

    def relative(match: re.Match) -> str:
        path = own_media_path(html.unescape(match.group(2)))
        return f"{match.group(1)}{html.escape(path)}{match.group(3)}" if path else match.group(0)

    return _SRC.sub(relative, body)


# --- page -------------------------------------------------------------------


def _attributes(raw: str) -> dict[str, str]:
    return {name.lower(): html.unescape(value or "") for name, value in _ATTRIBUTE.findall(raw)}


def _render_attributes(attributes: dict[str, str | int]) -> str:
    return "".join(f' {name}="{html.escape(str(value))}"' for name, value in attributes.items())


def image_srcset(image: StoredImage) -> str:
    candidates = [*image.variants]
    if not candidates or image.width <= 1440:
        candidates.append((image.width, image.url))
    return ", ".join(f"{url} {width}w" for width, url in candidates)


def responsive_img(
    image: StoredImage | None, *, src: str, alt: str, sizes: str, lazy: bool, extra: dict | None = None
) -> str:
    """An ``<img>`` with srcset, sizes and intrinsic size; plain (address and alt) when the file is missing."""
    if image is None:
        return f"<img{_render_attributes({'src': src, 'alt': alt, **(extra or {})})}>"
    # The fallback src: the laptop-sized copy when there is one, so an old browser is not sent the largest.
    fallback = next((url for width, url in image.variants if width >= 960), image.url)
    attributes: dict[str, str | int] = {
        "src": fallback,
        "srcset": image_srcset(image),
        "sizes": sizes,
        "alt": alt,
        "width": image.width,
        "height": image.height,
    }
    if lazy:
        attributes |= {"loading": "lazy", "decoding": "async"}
    return f"<img{_render_attributes(attributes | (extra or {}))}>"


def _page_img(match: re.Match) -> str:
    attributes = _attributes(match.group(1))
    src, alt = attributes.get("src", ""), attributes.get("alt", "")
    name = media_name(src)
    if name is None:  # someone else's image (allowed by DJANGO_CSP_IMG_SRC): as stored, but lazy
        return f"<img{_render_attributes(attributes | {'loading': 'lazy'})}>"
    image = stored_image(name)
    sizes = body_image_sizes(image.width) if image else BODY_IMAGE_SIZES
    return responsive_img(image, src=src, alt=alt, sizes=sizes, lazy=True)


def _page_table(match: re.Match) -> str:
    table = match.group(0)
    # Tiptap writes the header row as <th> cells in the first row: they head columns.
    head = _FIRST_ROW_HEADERS.match(table)
    if head and "<td" not in head.group(2).lower():
        table = head.group(1) + _TH.sub('<th scope="col"', head.group(2)) + table[head.end(2) :]
    # Focusable, so that a keyboard can scroll a wide table on a phone.
    return f'<div class="table-scroll" tabindex="0">{table}</div>'


def body_for_page(body: str) -> SafeString:
    """The sanitized body as the article page shows it (see the module's docstring)."""
    return _body_for_page(body or "", int(time.monotonic() // _RENDER_BUCKET_SECONDS))


@functools.lru_cache(maxsize=256)
def _body_for_page(body: str, bucket: int) -> SafeString:
    if "<img" in body:
        body = _IMG.sub(_page_img, body)
    if "<table" in body:
        body = _TABLE.sub(_page_table, body)
    body = body.replace(_CALLOUT, '<div class="callout" role="note">')
    return mark_safe(body)  # noqa: S308 - sanitized on save; attributes added here are escaped
