from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers, patch_cache_control

from core import ratelimit
from core.clients import client_bucket, client_ip
from core.frontcache import add_tags

from .models import RELATED_ARTICLES_SHOWN, Article, Topic
from .previews import PreviewGone, PreviewInvalid, preview_link_read
from .purge import article_tag, author_tag, card_tags, topic_listing_tag, topic_tag
from .search import MAX_QUERY_LENGTH, SearchTimedOut, query_clean, search_highlights, search_time_limit

ARTICLES_PER_PAGE = 10
LATEST_SHOWN = 5  # on a search with no hits and on the 404 page
SEARCH_TOO_MANY = "You have searched a lot in the last minute: please wait a minute and search again."
SEARCH_TOO_COSTLY = (
    "That search took too long to answer: please try again in a moment, or with fewer or more specific words."
)


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))


def _render_listing(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    add_tags(request, card_tags(context["page_obj"]))
    response = render(request, template, context)
    if request.GET.get("page", "1") != str(context["page_obj"].number):
        # Past the end or not a number: answered, but kept out of shared
        # caches, so nobody can fill them with copies of the last page.
        patch_cache_control(response, private=True)
    return response


def home(request: HttpRequest) -> HttpResponse:
    page = _page(request, Article.objects.published().for_listing())
    return _render_listing(request, "articles/home.html", {"page_obj": page})


def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    add_tags(request, {topic_tag(topic.pk), topic_listing_tag(topic.pk)})
    page = _page(request, Article.objects.published().filter(topics=topic).for_listing())
    return _render_listing(request, "articles/topic.html", {"topic": topic, "page_obj": page})


def _page_articles():
    """Articles with what their page prints of them (not the search-only columns)."""
    return Article.objects.select_related("author").defer("body_text", "search_vector")


def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # A slice, not first(): the slug is unique, and first() would order by pk for nothing.
    article = next(iter(_page_articles().published().filter(slug=slug).order_by()[:1]), None)
    preview = article is None
    if preview:
        # Editors may look at a draft or a scheduled piece at its future address.
        if not request.user.has_perm("articles.view_article"):
            raise Http404("No article here.")
        article = get_object_or_404(_page_articles(), slug=slug)
    topics = list(article.topics.all())
    picks = article.related_picks()
    fill = article.related_fill(picks)
    related = picks + fill
    add_tags(request, {article_tag(article.pk), author_tag(article.author_id)})
    add_tags(request, {topic_tag(topic.pk) for topic in topics})
    add_tags(request, {article_tag(other.pk) for other in related})
    if len(picks) < RELATED_ARTICLES_SHOWN:
        # The box is filled up from the article's topics: it changes with them.
        add_tags(request, {topic_listing_tag(topic.pk) for topic in topics})
    response = render(
        request,
        "articles/article_detail.html",
        {"article": article, "topics": topics, "related_articles": related, "preview": preview},
    )
    if preview:
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def search(request: HttpRequest) -> HttpResponse:
    query = query_clean(request.GET.get("q", ""))
    context = {"query": query, "page_obj": None, "error": "", "max_length": MAX_QUERY_LENGTH}
    status, retry_after = 200, None
    ip = client_ip(request)
    if len(query) > MAX_QUERY_LENGTH:
        context["error"] = f"That search is too long: please use at most {MAX_QUERY_LENGTH} characters."
        status = 400
    elif query and ip and not ratelimit.hit("search-ip", client_bucket(ip)):
        context["error"], status, retry_after = SEARCH_TOO_MANY, 429, ratelimit.limit_for("search-ip").seconds
    elif query:
        try:
            with search_time_limit():
                found = Article.objects.published().search(query, highlight=True).select_related("author")
                page = _page(request, found)
                page.object_list = list(page.object_list)
        except SearchTimedOut:
            context["error"], status, retry_after = SEARCH_TOO_COSTLY, 503, 30
        else:
            search_highlights(page.object_list, query)
            context.update(page_obj=page, page_query=urlencode({"q": query}) + "&")
            if not page.paginator.count:  # a way on: the newest pieces
                context["latest"] = list(Article.objects.published().for_listing()[:LATEST_SHOWN])
    response = render(request, "articles/search.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
        add_never_cache_headers(response)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    """A page for one link's holder: never stored by a cache, never indexed,
    and its address (the token) never sent on as a referrer."""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def article_preview(request: HttpRequest, token: str) -> HttpResponse:
    """A draft or scheduled article for whoever has its preview link, with no login."""
    try:
        link = preview_link_read(token)
    except PreviewInvalid as error:
        return _private(render(request, "articles/preview_gone.html", {"message": str(error)}, status=404))
    except PreviewGone as error:
        return _private(render(request, "articles/preview_gone.html", {"message": str(error)}, status=410))
    article = link.article
    if article.is_live:
        return _private(HttpResponseRedirect(article.get_absolute_url()))
    response = render(
        request,
        "articles/article_detail.html",
        {
            "article": article,
            "topics": list(article.topics.all()),
            "related_articles": article.related_for_page(),
            "preview": True,
            "preview_link": link,
        },
    )
    return _private(response)
