"""Uploaded images, made safe: only raster images Pillow can decode, capped in
bytes and pixels, and re-encoded from their pixels alone, so that no SVG,
script, polyglot trailer or EXIF metadata (GPS position, camera serial)
survives the upload."""

import io
import uuid
import warnings
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

# What we accept and what we write it back as.
OUTPUT_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


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


def body_image_store(*, image: UploadedFile) -> str:
    """Store an already re-encoded image for article bodies; return its absolute address."""
    suffix = PurePath(image.name or "").suffix
    name = default_storage.save(f"articles/body/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}", image)
    url = default_storage.url(name)
    # Absolute on the public origin: bodies are also sent in digests.
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url
