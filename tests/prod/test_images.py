"""Uploaded images: admin-only, raster images only, capped in bytes and
pixels, and stored as a fresh encoding of their pixels with a random name."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image, PngImagePlugin

from articles.images import image_reencode
from articles.models import Article
from tests.articles.factories import AuthorFactory, TopicFactory

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
SECRET = b"<script>alert('polyglot')</script>"


def jpeg_with_exif(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Ltd"  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° to show
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "private note: taken at home")
    buffer = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 0, 255, 128)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size and holds almost nothing: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def upload(content: bytes, name: str, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def reencode(content: bytes, name: str, **limits):
    return image_reencode(
        upload=upload(content, name),
        max_bytes=limits.get("max_bytes", MAX_BYTES),
        max_pixels=limits.get("max_pixels", MAX_PIXELS),
    )


def test_exif_and_gps_are_stripped_and_orientation_applied():
    original = jpeg_with_exif()
    assert b"SpyCam" in original
    result = reencode(original, "holiday.jpg")
    data = result.read()
    assert b"SpyCam" not in data and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.size == (48, 64)  # turned upright, as the orientation tag asked
    assert result.name == "holiday.jpg" and result.content_type == "image/jpeg"


def test_png_text_chunks_are_dropped_and_transparency_kept():
    result = reencode(png_with_text(), "logo.PNG")
    data = result.read()
    assert b"private note" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == "RGBA"
        assert image.getpixel((0, 0)) == (0, 0, 255, 128)
    assert result.name == "logo.png"


def test_a_polyglot_loses_everything_but_its_pixels():
    content = jpeg_with_exif() + SECRET
    data = reencode(content, "innocent.jpg").read()
    assert SECRET not in data


def test_gif_is_stored_as_png():
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, format="GIF", comment=SECRET)
    result = reencode(buffer.getvalue(), "anim.gif")
    assert result.name == "anim.png" and SECRET not in result.read()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>', "a.svg"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "a.png"),
        (b"%PDF-1.4 not an image", "report.jpg"),
        (b"<html><script>alert(1)</script></html>", "page.png"),
        (b"", "empty.jpg"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "truncated.jpg"),
        ("Ünïcödé text".encode(), "ünï.jpg"),
    ],
)
def test_anything_but_a_raster_image_is_refused(content, name):
    with pytest.raises(ValidationError) as caught:
        reencode(content, name)
    assert caught.value.code == "invalid_image"
    assert "Upload a JPEG, PNG, WebP or GIF image" in caught.value.messages[0]


def test_too_many_bytes_is_refused_before_decoding():
    with pytest.raises(ValidationError) as caught:
        reencode(jpeg_with_exif(), "big.jpg", max_bytes=100)
    assert caught.value.code == "file_too_large"
    assert "too large" in caught.value.messages[0]


def test_too_many_pixels_is_refused():
    buffer = io.BytesIO()
    Image.new("L", (2000, 1000)).save(buffer, format="PNG")
    with pytest.raises(ValidationError) as caught:
        reencode(buffer.getvalue(), "wide.png", max_pixels=1_000_000)
    assert caught.value.code == "too_many_pixels"
    assert "2000×1000" in caught.value.messages[0]


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_a_decompression_bomb_is_refused_without_being_decoded(side):
    # 100 million and 10 billion pixels claimed: past our cap, and past Pillow's own bomb limit.
    with pytest.raises(ValidationError) as caught:
        reencode(png_header_only(side, side), "bomb.png")
    assert caught.value.code in ("too_many_pixels", "invalid_image")


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def article_form(**extra) -> dict:
    author = AuthorFactory()
    topic = TopicFactory()
    now = timezone.localtime()
    return {
        "title": "Pictures of the quarter",
        "slug": "pictures-of-the-quarter",
        "dek": "What the charts do not show.",
        "key_insights": "A picture and a thousand words.",
        "body": "<p>Body text.</p>",
        "status": Article.Status.PUBLISHED,
        "published_at_0": now.strftime("%Y-%m-%d"),
        "published_at_1": now.strftime("%H:%M:%S"),
        "author": author.pk,
        "topics": [topic.pk],
        "hero_image_alt": "A red square",
        "related_links-TOTAL_FORMS": "0",
        "related_links-INITIAL_FORMS": "0",
        "related_links-MIN_NUM_FORMS": "0",
        "related_links-MAX_NUM_FORMS": "1000",
        **extra,
    }


@pytest.mark.django_db
def test_the_admin_stores_a_reencoded_hero_image_under_a_random_name(admin_client, client, media_root):
    response = admin_client.post(
        reverse("admin:articles_article_add"),
        article_form(hero_image=upload(jpeg_with_exif() + SECRET, "My Holiday <script>.jpg")),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug="pictures-of-the-quarter")
    name = article.hero_image.name
    assert name.startswith("articles/") and name.endswith(".jpg")
    assert "Holiday" not in name and "script" not in name
    stored = (media_root / name).read_bytes()
    assert SECRET not in stored and b"SpyCam" not in stored

    # Served from MEDIA_URL, never sniffed, never a document that runs anything.
    served = client.get(article.hero_image.url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content) == stored


@pytest.mark.django_db
def test_the_admin_refuses_an_svg_with_a_clear_message_and_stores_nothing(admin_client, media_root):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = admin_client.post(
        reverse("admin:articles_article_add"),
        article_form(hero_image=upload(svg, "chart.svg", "image/svg+xml")),
    )
    assert response.status_code == 200
    assert "Upload a JPEG, PNG, WebP or GIF image" in response.content.decode()
    assert not Article.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


@pytest.mark.django_db
def test_only_images_are_served_from_media(client, media_root):
    (media_root / "articles").mkdir(parents=True)
    (media_root / "articles" / "page.html").write_text("<script>alert(1)</script>")
    (media_root / "articles" / "real.png").write_bytes(png_with_text())
    assert client.get("/media/articles/page.html").status_code == 404
    assert client.get("/media/articles/real.png").status_code == 200
    assert client.get("/media/../vivold/settings.py").status_code == 404
    assert client.get("/media/articles/%2e%2e/%2e%2e/manage.py").status_code == 404


@pytest.mark.django_db
def test_uploads_are_for_editors_only(client):
    response = client.get(reverse("admin:articles_article_add"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.django_db
def test_editors_upload_body_images_and_get_a_site_relative_address(admin_client, client, media_root, settings):
    url = reverse("admin:articles_article_upload_image")
    assert admin_client.get(url).status_code == 405  # the editor's Image button posts; nothing to show
    big = io.BytesIO()
    Image.new("RGB", (1200, 600), (20, 90, 170)).save(big, format="PNG", pnginfo=PngImagePlugin.PngInfo())
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "private note: taken at home")
    with_text = io.BytesIO()
    Image.open(io.BytesIO(big.getvalue())).save(with_text, format="PNG", pnginfo=info)
    response = admin_client.post(url, {"image": upload(with_text.getvalue() + SECRET, "chart.png", "image/png")})
    assert response.status_code == 201
    answer = response.json()
    address = answer["src"]
    # Site-relative: no host baked into the body, whatever SITE_URL says.
    assert address.startswith("/media/articles/body/") and address.endswith(".png")
    assert settings.SITE_URL not in address and "//" not in address
    assert (answer["width"], answer["height"]) == (1200, 600)
    stored = (media_root / address.removeprefix("/media/")).read_bytes()
    assert SECRET not in stored and b"private note" not in stored
    assert client.get(address).status_code == 200
    # Narrower copies for srcset, as wide as asked and no wider than the original.
    for width in (480, 960):
        copy = media_root / address.removeprefix("/media/").replace(".png", f"-{width}w.png")
        with Image.open(copy) as image:
            assert image.size == (width, width // 2)
    assert not (media_root / address.removeprefix("/media/").replace(".png", "-1440w.png")).exists()


@pytest.mark.django_db
def test_body_image_upload_refuses_svg_and_strangers(admin_client, client, media_root):
    url = reverse("admin:articles_article_upload_image")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    response = admin_client.post(url, {"image": upload(svg, "x.svg", "image/svg+xml")})
    assert response.status_code == 400
    assert "Upload a JPEG, PNG, WebP or GIF image" in response.json()["error"]
    assert not media_root.exists() or not any(media_root.rglob("*.*"))
    nothing = admin_client.post(url, {})
    assert nothing.status_code == 400 and nothing.json()["error"]
    anonymous = client.post(url, {"image": upload(png_with_text(), "x.png", "image/png")})
    assert anonymous.status_code == 302 and reverse("admin:login") in anonymous["Location"]


@pytest.mark.django_db
def test_body_image_upload_needs_the_csrf_token(media_root):
    from django.contrib.auth.models import User
    from django.test import Client

    User.objects.create_superuser("ed", "ed@example.com", "x" * 20)
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="ed"))
    response = client.post(
        reverse("admin:articles_article_upload_image"), {"image": upload(png_with_text(), "x.png", "image/png")}
    )
    assert response.status_code == 403
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


@pytest.mark.django_db
def test_staff_without_article_rights_cannot_upload(client, media_root):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("intern", password="x" * 20, is_staff=True))
    response = client.post(
        reverse("admin:articles_article_upload_image"), {"image": upload(png_with_text(), "x.png", "image/png")}
    )
    assert response.status_code == 403
    assert not media_root.exists()
