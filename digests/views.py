from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Digest


def digest_list(request: HttpRequest) -> HttpResponse:
    digests = Digest.objects.archived().order_by("-period_end")[:200]
    return render(request, "digests/digest_list.html", {"digests": digests})


def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    digest = get_object_or_404(Digest.objects.archived(), pk=pk)
    articles = digest.articles.prefetch_related("topics").order_by("-published_at", "-pk")
    return render(request, "digests/digest_detail.html", {"digest": digest, "articles": articles})
