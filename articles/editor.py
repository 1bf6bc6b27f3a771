"""The article body editor's own extensions, as django-prose-editor sees them.

Each entry maps an extension name of ``DJANGO_PROSE_EDITOR_DEFAULT_EXTENSIONS``
to the HTML it produces, from which the package builds the nh3 allowlist the
body is sanitized with: what the editor can make is exactly what is kept. The
editor side of these extensions is ``static/js/article-editor.js``.

Imported by the settings: nothing here may import models."""

from django_prose_editor.config import add_allowed_classes, add_tags_and_attributes, html_tags

IMAGE_ATTRIBUTES = ["src", "alt", "width", "height"]


def image_tags(config, nh3_config) -> None:
    """An image: its address, alt text and intrinsic size (no ``data-file``: we have no file picker)."""
    add_tags_and_attributes(nh3_config, ["img"], {"img": IMAGE_ATTRIBUTES})


def figure_tags(config, nh3_config) -> None:
    """``<figure><img><figcaption>…</figcaption></figure>``, without the editor's own class names."""
    add_tags_and_attributes(nh3_config, ["figure", "figcaption", "img"], {"img": IMAGE_ATTRIBUTES})


def table_tags(config, nh3_config) -> None:
    """Tables as Tiptap writes them: header cells in the first row, merged cells."""
    add_tags_and_attributes(
        nh3_config,
        ["table", "tbody", "thead", "tr", "th", "td"],
        {"th": ["rowspan", "colspan"], "td": ["rowspan", "colspan"]},
    )


def callout_tags(config, nh3_config) -> None:
    """A callout box: ``<div class="callout">`` holding paragraphs. Only that class."""
    add_tags_and_attributes(nh3_config, ["div"], None)
    add_allowed_classes(nh3_config, {"div": ["callout"]})


def document_tags(config, nh3_config) -> None:
    """No attribute on every element (nh3 allows ``lang`` and ``title`` anywhere by default)."""
    nh3_config["attributes"].setdefault("*", set())


PROCESSORS = {
    "Document": document_tags,
    # Ours replace the package's for these two: no data-file, no free class on figure.
    "Image": image_tags,
    "Figure": figure_tags,
    "ImageUpload": html_tags([]),  # inserts figures; produces nothing of its own
    "DataTable": table_tags,
    "Callout": callout_tags,
    "SpellCheck": html_tags([]),
}
