"""Uploaded images, made safe: only raster images Pillow can decode, capped in
bytes and pixels, and re-encoded from their pixels alone, so that no SVG,
script, polyglot trailer or EXIF metadata (GPS position, camera serial)
survives the upload."""

import io
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import unquote

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

# What we accept and what we write it back as.
OUTPUT_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# The narrower copies pages offer in srcset: a phone, a laptop's article column, a sharp one.
VARIANT_WIDTHS = (480, 960, 1440)


def image_reencode(*, upload: UploadedFile, max_bytes: int, max_pixels: int) -> SimpleUploadedFile:
    """A new image file holding only the upload's pixels, or a ValidationError saying why not."""
    if upload.size is None or upload.size > max_bytes:
        raise forms.ValidationError(
            "This image is too large (%(size)s); the limit is %(limit)s.",
            code="file_too_large",
            params={"size": filesizeformat(upload.size or 0), "limit": filesizeformat(max_bytes)},
        )
    upload.seek(0)
    try:
        # Opening reads the header only: the pixel count is known before
        # anything is decompressed, so a decompression bomb costs nothing.
        with warnings.catch_warnings():
            # Pillow warns past its own limit; ours, checked next, is lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(upload, formats=list(OUTPUT_FORMATS))
        with opened:
            width, height = opened.size
            if width * height > max_pixels:
                raise forms.ValidationError(
                    "This image is %(width)s×%(height)s pixels; the limit is %(limit)s million pixels.",
                    code="too_many_pixels",
                    params={"width": width, "height": height, "limit": round(max_pixels / 1e6)},
                )
            source_format = opened.format
            opened.load()
            image = ImageOps.exif_transpose(opened)  # keep the orientation the camera recorded
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise forms.ValidationError(
            "Upload a JPEG, PNG, WebP or GIF image. This file is not one, or it is damaged.",
            code="invalid_image",
        ) from exc

    output_format = OUTPUT_FORMATS[source_format]
    if output_format == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in (("RGB", "RGBA") if output_format == "WEBP" else ("RGB", "RGBA", "L", "LA")):
        image = image.convert("RGBA")
    buffer = io.BytesIO()
    options = {"JPEG": {"quality": 85, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 85}}
    # Saved without exif=, icc_profile= or pnginfo=: no metadata is carried over.
    image.save(buffer, format=output_format, **options[output_format])
    stem = PurePath(upload.name or "image").stem[:50] or "image"
    return SimpleUploadedFile(
        f"{stem}{SUFFIXES[output_format]}", buffer.getvalue(), content_type=CONTENT_TYPES[output_format]
    )


class ReencodedImageField(forms.ImageField):
    """An image upload that is size-capped and re-encoded before it is stored."""

    def to_python(self, data):
        if data in self.empty_values:
            return None
        # Our checks run first: the byte cap before Pillow reads anything.
        return image_reencode(
            upload=data,
            max_bytes=settings.IMAGE_UPLOAD_MAX_BYTES,
            max_pixels=settings.IMAGE_UPLOAD_MAX_PIXELS,
        )

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["accept"] = ",".join(sorted(set(CONTENT_TYPES.values()) | {"image/gif"}))
        return attrs


@dataclass(frozen=True, slots=True)
class StoredImage:
    """An image in storage: its site-relative (or CDN) address and intrinsic size."""

    name: str
    url: str
    width: int
    height: int
    # Smaller copies for srcset, (width, address), narrowest first.
    variants: tuple[tuple[int, str], ...] = ()


def variant_name(name: str, width: int) -> str:
    path = PurePath(name)
    return str(path.with_name(f"{path.stem}-{width}w{path.suffix}"))


def image_variants_create(*, name: str) -> list[str]:
    """Write the narrower copies of a stored image that pages offer in ``srcset``.

    The image was re-encoded on upload; its copies keep its format and carry
    no metadata either. Widths the image does not exceed are skipped."""
    created = []
    with default_storage.open(name, "rb") as stored, Image.open(stored) as image:
        missing = [
            width
            for width in VARIANT_WIDTHS
            if width < image.width and not default_storage.exists(variant_name(name, width))
        ]
        if not missing:  # the header alone told: nothing to decode
            return created
        output_format = image.format
        image.load()
        options = {"JPEG": {"quality": 82, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 82}}
        for width in missing:
            height = max(1, round(image.height * width / image.width))
            # reducing_gap: a cheap box reduction first, then Lanczos: as sharp, and far cheaper on a large upload.
            copy = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            buffer = io.BytesIO()
            copy.save(buffer, format=output_format, **options.get(output_format, {}))
            created.append(default_storage.save(variant_name(name, width), ContentFile(buffer.getvalue())))
    return created


def body_image_store(*, image: UploadedFile) -> StoredImage:
    """Store an already re-encoded image for article bodies, with its narrower copies.

    Its address is site-relative (``/media/…``): bodies never name a host, so
    they survive a change of domain; feeds and mail make it absolute."""
    suffix = PurePath(image.name or "").suffix
    name = default_storage.save(f"articles/body/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}", image)
    image_variants_create(name=name)
    info = stored_image(name)
    if info is None:  # pragma: no cover - just written
        raise forms.ValidationError("The image could not be stored.", code="not_stored")
    return info


def media_name(url: str) -> str | None:
    """The storage name behind a media address, or None for anything else."""
    if not url.startswith(settings.MEDIA_URL) or len(url) == len(settings.MEDIA_URL):
        return None
    name = unquote(url[len(settings.MEDIA_URL) :])
    if ".." in PurePath(name).parts or name.startswith("/"):
        return None
    return name


_INFO_SECONDS = 300
_info_memo: dict[str, tuple[float, StoredImage | None]] = {}


def stored_image(name: str) -> StoredImage | None:
    """What pages need to show a stored image, or None when its file is missing.

    Remembered for a few minutes per process: pages ask for the same images
    again and again, and names are random, so a file only ever appears once."""
    now = time.monotonic()
    memo = _info_memo.get(name)
    if memo is not None and memo[0] > now:
        return memo[1]
    info = _stored_image_read(name)
    if len(_info_memo) > 4096:
        _info_memo.clear()
    _info_memo[name] = (now + _INFO_SECONDS, info)
    return info


def stored_images_forget() -> None:
    _info_memo.clear()


def _stored_image_read(name: str) -> StoredImage | None:
    try:
        with default_storage.open(name, "rb") as stored, Image.open(stored) as image:
            width, height = image.size
    except (FileNotFoundError, UnidentifiedImageError, OSError, ValueError):
        return None
    variants = tuple(
        (w, default_storage.url(variant_name(name, w)))
        for w in VARIANT_WIDTHS
        if w < width and default_storage.exists(variant_name(name, w))
    )
    return StoredImage(name=name, url=default_storage.url(name), width=width, height=height, variants=variants)
