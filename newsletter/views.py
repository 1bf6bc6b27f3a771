from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .forms import SubscribeForm
from .models import Digest
from .services import subscriber_create

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


def digest_list(request: HttpRequest) -> HttpResponse:
    digests = Digest.objects.filter(status=Digest.Status.SENT).order_by("-sent_at")
    return render(request, "newsletter/digest_list.html", {"digests": digests})


def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    digest = get_object_or_404(Digest.objects.filter(status=Digest.Status.SENT), pk=pk)
    return render(request, "newsletter/digest_detail.html", {"digest": digest, "articles": digest.articles.all()})
