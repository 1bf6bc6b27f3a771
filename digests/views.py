from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers

from articles.models import Article

from .models import Digest


def digest_list(request: HttpRequest) -> HttpResponse:
    digests = Digest.objects.archived().order_by("-period_end")[:200]
    return render(request, "digests/digest_list.html", {"digests": digests})


def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Editors may open an edition not sent yet: a test mail's "read on the web" link leads here.
    editor = request.user.has_perm("digests.view_digest")
    digest = get_object_or_404(Digest.objects.all() if editor else Digest.objects.archived(), pk=pk)
    # Through published(): an article unpublished or moved later is not shown, whatever the edition holds.
    articles = Article.objects.published().filter(digests=digest).for_listing()
    response = render(request, "digests/digest_detail.html", {"digest": digest, "articles": articles})
    if digest.status not in (Digest.Status.SENDING, Digest.Status.SENT):
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response
