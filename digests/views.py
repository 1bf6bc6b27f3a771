from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from articles.models import Article

from .models import Digest


def digest_list(request: HttpRequest) -> HttpResponse:
    digests = Digest.objects.archived().order_by("-period_end")[:200]
    return render(request, "digests/digest_list.html", {"digests": digests})


def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    digest = get_object_or_404(Digest.objects.archived(), pk=pk)
    # Through published(): an article unpublished or moved later is not shown, whatever the edition holds.
    articles = Article.objects.published().filter(digests=digest).for_listing()
    return render(request, "digests/digest_detail.html", {"digest": digest, "articles": articles})
