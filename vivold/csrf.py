"""CSRF tokens for the reader's pages, as Django makes them but cheaper.

Every reader page carries the signup form, so every page (rendered or served
from the cache) needs the reader's token, and a first visit a new secret too.
django.middleware.csrf.get_token() draws each of the 64 random characters with
a call to os.urandom() through secrets.choice: 107 µs, a tenth of the CPU a
page served from the cache costs. csrf_token() makes the same token (a random
mask, then the secret ciphered with it, uniform over the same 62 characters)
from one os.urandom() call per string: 17 µs. Django's CsrfViewMiddleware checks
it as its own; the tests post the forms of rendered and cached pages with it."""

import os

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString

# Bytes at or above this would make some characters likelier than others.
_UNBIASED = 256 - 256 % len(CSRF_ALLOWED_CHARS)
_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def _random_string() -> str:
    """CSRF_SECRET_LENGTH characters drawn uniformly from CSRF_ALLOWED_CHARS."""
    chars: list[str] = []
    while len(chars) < CSRF_SECRET_LENGTH:
        chars += [CSRF_ALLOWED_CHARS[byte % len(CSRF_ALLOWED_CHARS)] for byte in os.urandom(48) if byte < _UNBIASED]
    return "".join(chars[:CSRF_SECRET_LENGTH])


def csrf_token(request: HttpRequest) -> str:
    """What get_token() gives: a newly masked token for the reader's secret,
    with a new secret (and the cookie that carries it) on a first visit."""
    secret = request.META.get("CSRF_COOKIE")  # set by CsrfViewMiddleware from a well-formed cookie
    if secret is None:
        secret = request.META["CSRF_COOKIE"] = _random_string()
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_string()
    count = len(CSRF_ALLOWED_CHARS)
    return mask + "".join(
        CSRF_ALLOWED_CHARS[(_INDEX[s] + _INDEX[m]) % count] for s, m in zip(secret, mask, strict=True)
    )


def csrf_input(request: HttpRequest) -> SafeString:
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token(request))


# lazy() builds a proxy class: once here, not for every page.
_csrf_input_lazy = lazy(csrf_input, SafeString)
_csrf_token_lazy = lazy(csrf_token, str)


def context(request: HttpRequest) -> dict:
    """Context processor for the Jinja2 pages: ``{{ csrf_input }}`` and
    ``{{ csrf_token }}`` made by the functions above, and only when a page
    prints them (a page without a form sets no cookie)."""
    return {"csrf_input": _csrf_input_lazy(request), "csrf_token": _csrf_token_lazy(request)}
