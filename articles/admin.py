from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR
from django.db.models import Count
from django.utils import timezone

from .models import Article, Author, RelatedArticle, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description="Articles", ordering="article_count")
    def article_count(self, topic: Topic) -> int:
        return topic.article_count


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "role"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class RelatedArticleInline(admin.TabularInline):
    model = RelatedArticle
    fk_name = "article"
    extra = 0
    autocomplete_fields = ["related"]
    fields = ["related", "position"]
    verbose_name = "related article"
    verbose_name_plural = "Related articles (in this order; the page fills up to three from shared topics)"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status_label", "published_at", "updated_at", "author", "topic_list"]
    list_filter = ["status", "topics", "author"]
    # The change list searches with get_search_results below; these fields show
    # the search box and serve the related-article autocomplete (prefix typing).
    search_fields = ["title", "dek", "key_insights", "body_text"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    autocomplete_fields = ["topics", "author"]
    inlines = [RelatedArticleInline]
    readonly_fields = ["reading_time", "created_at", "updated_at"]
    list_select_related = ["author"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "dek", "key_insights", "body"]}),
        ("Publishing", {"fields": ["status", "published_at", "author", "topics"]}),
        ("Hero image", {"fields": ["hero_image", "hero_image_alt"], "classes": ["collapse"]}),
        ("Details", {"fields": ["reading_time", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics").defer("search_vector")

    def get_search_results(self, request, queryset, search_term):
        # The readers' engine (articles/search.py), drafts included; best match first.
        is_autocomplete = request.resolver_match is not None and request.resolver_match.url_name == "autocomplete"
        if is_autocomplete or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        results = queryset.search(search_term)  # best match first...
        if ORDER_VAR in request.GET:  # ...unless the editor sorted by a column
            results = results.order_by(*queryset.query.order_by)
        return results, False

    @admin.display(description="Status", ordering="status")
    def status_label(self, article: Article) -> str:
        if (
            article.status == Article.Status.PUBLISHED
            and article.published_at
            and article.published_at > timezone.now()
        ):
            return "Scheduled"
        return article.get_status_display()

    @admin.display(description="Topics")
    def topic_list(self, article: Article) -> str:
        return ", ".join(topic.name for topic in article.topics.all())
