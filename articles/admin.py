from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import JsonResponse
from django.urls import path
from django.utils import formats, timezone

from vivold.security import CSPNonceMediaMixin

from .images import ReencodedImageField, body_image_store
from .models import Article, Author, RelatedArticle, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles")).order_by("name")

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


class BodyImageForm(forms.Form):
    image = ReencodedImageField(help_text="JPEG, PNG, WebP or GIF. It is re-encoded and stored under a random name.")


@admin.register(Article)
class ArticleAdmin(CSPNonceMediaMixin, admin.ModelAdmin):
    # Fits a laptop's 1280 px beside the admin's menu and the filters: the
    # author is in the filters, the time of day and the last change on the form.
    list_display = ["title", "status_label", "publication_day", "topic_list"]
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
    formfield_overrides = {models.ImageField: {"form_class": ReencodedImageField}}
    change_form_template = "admin/articles/article/change_form.html"

    class Media:
        # Full-width title and standfirst, a tall body editor, a readable list.
        css = {"all": ["css/admin-articles.css"]}

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

    def get_urls(self):
        upload = path(
            "upload-image/",
            self.admin_site.admin_view(self.body_image_upload_view),
            name="articles_article_upload_image",
        )
        return [upload, *super().get_urls()]

    def body_image_upload_view(self, request):
        """The body editor's Image button, drops and pastes (static/js/article-editor.js)
        post the file here: it is re-encoded, stored under a random name with its
        narrower copies, and its site-relative address and size come back as JSON."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        if request.method != "POST":
            return JsonResponse({"error": "POST an image file as “image”."}, status=405, headers={"Allow": "POST"})
        form = BodyImageForm(request.POST, request.FILES)
        if not form.is_valid():
            errors = form.errors.get("image") or ["Choose an image file."]
            return JsonResponse({"error": " ".join(errors)}, status=400)
        stored = body_image_store(image=form.cleaned_data["image"])
        return JsonResponse({"src": stored.url, "width": stored.width, "height": stored.height}, status=201)

    @admin.display(description="Status", ordering="status")
    def status_label(self, article: Article) -> str:
        if (
            article.status == Article.Status.PUBLISHED
            and article.published_at
            and article.published_at > timezone.now()
        ):
            return "Scheduled"
        return article.get_status_display()

    @admin.display(description="Date", ordering="published_at")
    def publication_day(self, article: Article) -> str:
        if article.published_at is None:
            return "–"
        return formats.date_format(timezone.localtime(article.published_at), "j M Y")

    @admin.display(description="Topics")
    def topic_list(self, article: Article) -> str:
        return ", ".join(topic.name for topic in article.topics.all())
