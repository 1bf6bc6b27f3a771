from datetime import timedelta
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core import ratelimit
from core.clients import client_bucket, client_ip
from insights.reader import opted_out
from insights.services import signup_confirmed_count

from .forms import PreferencesForm, SubscribeForm
from .models import Subscriber, normalize_email
from .services import (
    signup_request_create,
    subscriber_confirm,
    subscriber_confirmation_request,
    subscriber_unsubscribe,
    subscriber_update_preferences,
)
from .tokens import Purpose, TokenExpired, TokenInvalid, make_token, read_token, token_issued_at

NEUTRAL_ANSWER = (
    "Thanks. If this address can receive our digest, a confirmation link is on its way: "
    "please check your inbox to finish subscribing."
)
CROSS_SITE = "This form can only be sent from a page of this site. Please sign up at the Stay Updated form here."
TOO_MANY = "Too many attempts from here or for this address. Please wait an hour and try again."
RESENT_ANSWER = "If this address still needs confirming, a new link is on its way: please check your inbox."


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_safe
def signup(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/signup.html", {"form": SubscribeForm(), "show_cadence": True})


@require_safe
def subscribed(request: HttpRequest) -> HttpResponse:
    """Where the form lands without JavaScript: the same page for everyone."""
    return render(request, "newsletter/subscribed.html", {"message": NEUTRAL_ANSWER})


def _refuse(request: HttpRequest, form: SubscribeForm, message: str, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=status)
    context = {"form": form, "error": message, "show_cadence": True}
    return render(request, "newsletter/signup.html", context, status=status)


# What Sec-Fetch-Site says of a request a person started on this site (or typed).
SAME_SITE = {"same-origin", "same-site", "none"}


def _cross_site(request: HttpRequest) -> bool:
    """Whether a browser sent this POST from another site's page: Sec-Fetch-Site
    when the browser sends it, else an Origin naming another host than ours."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site.lower() not in SAME_SITE
    origin = request.headers.get("Origin")
    if not origin:
        return False  # not a browser's cross-site form: those send one of the two
    return origin == "null" or urlsplit(origin).netloc.lower() != request.get_host().lower()


# No CSRF token: the endpoint creates no session and acts for nobody, so a token
# would protect nothing, and reader pages carry none so one cached copy serves
# everyone. Cross-site posts are refused instead.
@csrf_exempt
@never_cache
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """Always the same answer for a valid address: new, pending, active, unsubscribed or a bot's."""
    form = SubscribeForm(request.POST)
    if _cross_site(request):
        return _refuse(request, form, CROSS_SITE, 403)
    ip = client_ip(request)
    if ip and not ratelimit.hit("subscribe-ip", client_bucket(ip)):
        return _refuse(request, form, TOO_MANY, 429)
    if not form.is_valid():
        return _refuse(request, form, form.error_message(), 400)
    email = form.cleaned_data["email"]
    if not ratelimit.hit("subscribe-address", normalize_email(email)):
        return _refuse(request, form, TOO_MANY, 429)
    if not form.is_bot:
        # The same work for every address (one INSERT, one queued task): the lookup is the task's.
        # Where the signup came from is kept for the Insights page unless the reader opted out.
        signup_request_create(
            email=email,
            topics=form.chosen_topics(),
            cadence=form.cleaned_data["cadence"],
            source=form.cleaned_data["source"],
            ip=ip,
            origin_referrer=None if opted_out(request) else form.referrer,
        )
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": NEUTRAL_ANSWER})
    return redirect("newsletter:subscribed")


def _subscriber_from(token: str, purpose: Purpose, *, allow_expired: bool = False) -> Subscriber | None:
    try:
        subscriber_id = read_token(token, purpose)
    except TokenExpired as expired:
        if not allow_expired:
            raise
        subscriber_id = expired.subscriber_id
    except TokenInvalid:
        return None
    return Subscriber.objects.filter(pk=subscriber_id).first()


def _bad_link(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/bad_link.html", status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = _subscriber_from(token, Purpose.CONFIRM)
    except TokenExpired:
        return render(request, "newsletter/confirm_expired.html", {"token": token}, status=410)
    if subscriber is None:
        return _bad_link(request)
    if _issued_before_stop(subscriber, token):
        # A replayed link from before an unsubscribe (or a suppression) must not undo it.
        return render(request, "newsletter/confirm_expired.html", {"token": token, "stale": True}, status=410)
    if request.method == "POST":
        try:
            subscriber = subscriber_confirm(subscriber=subscriber)
        except Subscriber.DoesNotExist:  # deleted since the link was read
            return _bad_link(request)
        signup_confirmed_count(subscriber=subscriber)
    elif subscriber.status != Subscriber.Status.ACTIVE:
        # A link scanner's GET changes nothing: the person presses the button.
        return render(request, "newsletter/confirm.html", {"subscriber": subscriber})
    return render(request, "newsletter/confirmed.html", {"subscriber": subscriber})


def _issued_before_stop(subscriber: Subscriber, token: str) -> bool:
    stopped_at, issued_at = subscriber.stopped_at, token_issued_at(token)
    # Token times are whole seconds: a second's grace keeps a link made just after a stop working.
    return bool(stopped_at and issued_at and issued_at + timedelta(seconds=1) <= stopped_at)


@never_cache
@require_POST
def confirm_resend(request: HttpRequest, token: str) -> HttpResponse:
    """From an expired confirmation link: mail a fresh one (at most one an hour per address)."""
    subscriber = _subscriber_from(token, Purpose.CONFIRM, allow_expired=True)
    if subscriber is None:
        return _bad_link(request)
    ip = client_ip(request)
    if ip and not ratelimit.hit("resend-ip", client_bucket(ip)):
        return render(request, "newsletter/message.html", {"title": "Please wait", "message": TOO_MANY}, status=429)
    subscriber_confirmation_request(subscriber=subscriber)
    return render(request, "newsletter/message.html", {"title": "Check your inbox", "message": RESENT_ANSWER})


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs with no cookie and no token.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    # An expired but genuine link still unsubscribes: stopping mail must never fail.
    subscriber = _subscriber_from(token, Purpose.UNSUBSCRIBE, allow_expired=True)
    if subscriber is None:
        return _bad_link(request)
    if request.method == "POST":
        try:
            subscriber_unsubscribe(subscriber=subscriber)
        except Subscriber.DoesNotExist:  # deleted: nothing left to mail
            pass
        return render(request, "newsletter/unsubscribed.html")
    return render(request, "newsletter/unsubscribe.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = _subscriber_from(token, Purpose.PREFERENCES)
    except TokenExpired:
        subscriber = None
    if subscriber is None:
        return _bad_link(request)
    form = PreferencesForm(request.POST if request.method == "POST" else None, subscriber=subscriber)
    context = {"form": form, "subscriber": subscriber, "unsubscribe_token": _unsubscribe_token(subscriber)}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "newsletter/preferences.html", context, status=400)
        try:
            subscriber_update_preferences(
                subscriber=subscriber, cadence=form.cleaned_data["cadence"], topics=list(form.cleaned_data["topics"])
            )
        except Subscriber.DoesNotExist:
            return _bad_link(request)
        return redirect(f"{request.path}?saved=1")
    context["saved"] = request.GET.get("saved") == "1"
    return render(request, "newsletter/preferences.html", context)


def _unsubscribe_token(subscriber: Subscriber) -> str:
    return make_token(subscriber, Purpose.UNSUBSCRIBE)
