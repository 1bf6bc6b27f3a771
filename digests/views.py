from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Digest


def digest_list(request: HttpRequest) -> HttpResponse:
    digests = Digest.objects.filter(status=Digest.Status.SENT).order_by("-sent_at")
    return render(request, "digests/digest_list.html", {"digests": digests})


def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    digest = get_object_or_404(Digest.objects.filter(status=Digest.Status.SENT), pk=pk)
    return render(request, "digests/digest_detail.html", {"digest": digest, "articles": digest.articles.all()})
