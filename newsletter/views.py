from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from .forms import PreferencesForm, SubscribeForm
from .models import Subscriber
from .services import subscriber_confirm, subscriber_create, subscriber_unsubscribe, subscriber_update_preferences
from .tokens import Purpose, TokenExpired, TokenInvalid, read_token

NEUTRAL_ANSWER = (
    "Thanks. If this address can receive our digest, a confirmation link is on its way: "
    "please check your inbox to finish subscribing."
)


def signup(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/signup.html", {"form": SubscribeForm()})


@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "newsletter/signup.html", {"form": form}, status=400)
    if not form.cleaned_data["website"]:
        subscriber_create(
            email=form.cleaned_data["email"],
            topics=form.chosen_topics(),
            source=form.cleaned_data["source"],
            ip=request.META.get("REMOTE_ADDR"),
        )
    messages.success(request, NEUTRAL_ANSWER)
    return redirect("newsletter:signup")


def _subscriber_from(token: str, purpose: Purpose) -> Subscriber | None:
    try:
        return Subscriber.objects.filter(pk=read_token(token, purpose)).first()
    except (TokenExpired, TokenInvalid):
        return None


def _bad_link(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/bad_link.html", status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber_from(token, Purpose.CONFIRM)
    if subscriber is None:
        return _bad_link(request)
    if request.method == "POST":
        subscriber = subscriber_confirm(subscriber=subscriber)
        return render(request, "newsletter/confirmed.html", {"subscriber": subscriber})
    # A link scanner's GET changes nothing: the person presses the button.
    return render(request, "newsletter/confirm.html", {"subscriber": subscriber})


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs with no cookie and no token.
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber_from(token, Purpose.UNSUBSCRIBE)
    if subscriber is None:
        return _bad_link(request)
    if request.method == "POST":
        subscriber_unsubscribe(subscriber=subscriber)
        return render(request, "newsletter/unsubscribed.html")
    return render(request, "newsletter/unsubscribe.html")


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber_from(token, Purpose.PREFERENCES)
    if subscriber is None:
        return _bad_link(request)
    form = PreferencesForm(request.POST or None, subscriber=subscriber)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "newsletter/preferences.html", {"form": form}, status=400)
        subscriber_update_preferences(
            subscriber=subscriber, cadence=form.cleaned_data["cadence"], topics=list(form.cleaned_data["topics"])
        )
        messages.success(request, "Your preferences are saved.")
        return redirect(request.path)
    return render(request, "newsletter/preferences.html", {"form": form})
