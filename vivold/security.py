"""Security pieces the settings switch on: the Content-Security-Policy and
Permissions-Policy headers, the admin login guard, and the CSP nonce for the
admin's rich-text editor."""

import functools
import hashlib
import logging
import math

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from js_asset import Media

from core.clients import client_ip

logger = logging.getLogger(__name__)

# A username may be tried from many addresses: it locks at a higher count, so
# that one person cannot lock an editor out as easily as their own address.
USERNAME_FACTOR = 4


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
    settings on the way: 75 microseconds, a tenth of what a page served from
    the cache costs. A response no view decorator changed, for a request that
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
        for header, policy, exempt, setting in (
            (HEADER, _site_policy(report_only=False), "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                HEADER_REPORT_ONLY,
                _site_policy(report_only=True),
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        ):
            excluded = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if policy and header not in response and getattr(response, exempt, False) is False:
                if not request.path_info.startswith(excluded):
                    response[header] = policy
        # As django-csp: a nonce asked for after the header is written could not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def _site_policy(*, report_only: bool) -> str:
    return build_policy(report_only=report_only)


@receiver(setting_changed, dispatch_uid="vivold.site_policy_forget")
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


def _username_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login-guard:user:{digest}"


def _ip_key(ip: str) -> str:
    return f"login-guard:ip:{ip}"


def login_failure_record(*, ip: str, username: str) -> None:
    """Count one failed sign-in for the address and the username; lock what went over."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    limits = [(_ip_key(ip), settings.LOGIN_FAILURE_LIMIT)]
    if username:
        limits.append((_username_key(username), settings.LOGIN_FAILURE_LIMIT * USERNAME_FACTOR))
    for key, limit in limits:
        cache.add(f"{key}:count", 0, window)
        try:
            count = cache.incr(f"{key}:count")
        except ValueError:  # expired between add and incr
            cache.set(f"{key}:count", 1, window)
            count = 1
        if count == limit:
            cache.set(f"{key}:locked", 1, window)
            # The key names the address, or a hash of the username: never the username itself.
            logger.warning("admin sign-in locked for %s seconds: %s", window, key)
        elif count > limit:
            cache.set(f"{key}:locked", 1, window)


def login_is_locked(*, ip: str, username: str) -> bool:
    keys = [f"{_ip_key(ip)}:locked"]
    if username:
        keys.append(f"{_username_key(username)}:locked")
    return any(cache.get_many(keys).values())


def login_failures_clear(*, username: str) -> None:
    key = _username_key(username)
    cache.delete_many([f"{key}:count", f"{key}:locked"])


@receiver(user_login_failed, dispatch_uid="vivold.login_failure_record")
def _on_login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    if request is not None:
        login_failure_record(ip=client_ip(request) or "", username=str(credentials.get("username", "")))


@receiver(user_logged_in, dispatch_uid="vivold.login_failures_clear")
def _on_logged_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    login_failures_clear(username=user.get_username())


class AdminLoginGuardMiddleware:
    """Refuse sign-in attempts from a locked address or for a locked username.

    The attempt is refused before the password is checked, so a locked-out
    guesser learns nothing, even when the guess is right.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == reverse("admin:login"):
            username = request.POST.get("username", "")
            if login_is_locked(ip=client_ip(request) or "", username=username):
                minutes = math.ceil(settings.LOGIN_LOCKOUT_SECONDS / 60)
                response = render(request, "security/login_locked.html", {"minutes": minutes}, status=429)
                response["Retry-After"] = str(settings.LOGIN_LOCKOUT_SECONDS)
                return response
        return self.get_response(request)


class CSPNonceMediaMixin:
    """Give the admin form's media this request's CSP nonce.

    django-prose-editor's widget brings an inline ``<script type="importmap">``;
    with the nonce it runs under a policy that allows no inline script.
    """

    def render_change_form(self, request, context, *args, **kwargs):
        context["media"] = Media.from_media(context["media"], nonce=str(request.csp_nonce))
        return super().render_change_form(request, context, *args, **kwargs)
