"""Security pieces the settings switch on: the Content-Security-Policy and
Permissions-Policy headers, the admin sign-in lock's glue for django-axes, and the CSP nonce for the
admin's rich-text editor."""

import functools
import logging
import math
import unicodedata
from datetime import timedelta

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from js_asset import Media

from core.clients import client_bucket, client_ip

logger = logging.getLogger(__name__)

# What views set on a response to change its policy (django-csp's decorators).
_PER_RESPONSE_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware, with the site-wide policies built once per process.

    django-csp builds both headers afresh for every response, deep-copying the
    settings on the way. A response no view decorator changed, for a request that
    used no nonce, gets the policies built from the settings alone, remembered
    until a CONTENT_SECURITY_POLICY setting changes. Anything else, and every
    rule on which responses get a header, is django-csp's own."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _PER_RESPONSE_POLICY
        ):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response
        for header, policy, exempt, config in (
            (HEADER, _site_policy(report_only=False), "_csp_exempt", settings.CONTENT_SECURITY_POLICY),
            (
                HEADER_REPORT_ONLY,
                _site_policy(report_only=True),
                "_csp_exempt_ro",
                settings.CONTENT_SECURITY_POLICY_REPORT_ONLY,
            ),
        ):
            excluded = tuple((config or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if policy and header not in response and getattr(response, exempt, False) is False:
                if not request.path_info.startswith(excluded):
                    response[header] = policy
        # As django-csp: a nonce asked for after the header is written could not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def _site_policy(*, report_only: bool) -> str:
    return build_policy(report_only=report_only)


@receiver(setting_changed, dispatch_uid="core.site_policy_forget")
def _site_policy_forget(*, setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _site_policy.cache_clear()


class PermissionsPolicyMiddleware:
    """Turn off browser features no page of ours uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# The admin sign-in lock: django-axes records each failure in PostgreSQL by (address,
# username) and refuses, from its authentication backend and so before any password is
# checked, a client that has LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_SECONDS:
# counted per address whatever the names tried, and per (address, username). Never per
# username alone, so nobody can lock the real admin out from elsewhere. The settings name
# these callables (AXES_*).


def login_client_address(request: HttpRequest) -> str | None:
    """The address a sign-in is counted under: core.clients' client address, an IPv6 client by its
    /64 (whose first address stands for it, as axes stores an address)."""
    ip = client_ip(request)
    return None if ip is None else client_bucket(ip).split("/", 1)[0]


def login_username(request: HttpRequest, credentials: dict | None) -> str:
    """The username as Django signs in with it (NFKC, what the login form's UsernameField
    applies), case-folded: ``ａdmin``, ``Admin`` and ``admin`` are counted as one."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username", "")
    name = unicodedata.normalize("NFKC", str(raw)).strip()
    return unicodedata.normalize("NFKC", name.casefold())[:255]


def login_failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    return settings.LOGIN_FAILURE_LIMIT


def login_lockout_period(request: HttpRequest | None) -> timedelta:
    return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def login_locked_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out client gets: a short page, 429 and Retry-After, never the username."""
    minutes = math.ceil(settings.LOGIN_LOCKOUT_SECONDS / 60)
    response = render(request, "security/login_locked.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(settings.LOGIN_LOCKOUT_SECONDS)
    return response


class CSPNonceMediaMixin:
    """Give the admin form's media this request's CSP nonce.

    django-prose-editor's widget brings an inline ``<script type="importmap">``;
    with the nonce it runs under a policy that allows no inline script.
    """

    def render_change_form(self, request, context, *args, **kwargs):
        context["media"] = Media.from_media(context["media"], nonce=str(request.csp_nonce))
        return super().render_change_form(request, context, *args, **kwargs)
