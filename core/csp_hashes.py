"""CSP hashes for the one inline style the admin's rich-text editor injects.

Tiptap, inside django-prose-editor's editor.js, adds a fixed ``<style>`` with
ProseMirror's base rules when the editor starts, and django-prose-editor gives
no way to pass it our nonce. Allowing exactly that text by its hash keeps
'unsafe-inline' out of style-src. Read at start-up from the installed file,
so an upgrade that changes the text changes the hash with it (the browser
test of the admin editor fails if it can no longer be found).

Imports nothing from Django: settings.py uses it.
"""

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

# The template literal that starts with ProseMirror's first base rule.
TIPTAP_STYLE_RE = re.compile(r"`(\.ProseMirror \{\n  position: relative;\n\}[^`$\\]*)`")


def prose_editor_style_hashes() -> list[str]:
    spec = importlib.util.find_spec("django_prose_editor")
    if spec is None or not spec.submodule_search_locations:
        return []
    editor_js = Path(next(iter(spec.submodule_search_locations))) / "static" / "django_prose_editor" / "editor.js"
    try:
        source = editor_js.read_text(encoding="utf-8")
    except OSError:
        return []
    hashes = []
    for match in TIPTAP_STYLE_RE.finditer(source):
        digest = base64.b64encode(hashlib.sha256(match[1].encode()).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return hashes
