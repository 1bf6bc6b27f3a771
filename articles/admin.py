from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_POST

from core.security import CSPNonceMediaMixin

from .images import ReencodedImageField, body_image_store
from .models import Article, Author, PreviewLink, PublicationState, RelatedArticle, Topic
from .previews import DEFAULT_DAYS, MAX_DAYS
from .revisions import revision_changes, revision_state
from .services import article_revision_restore, preview_link_create, preview_links_revoke

SAVE_AS_DRAFT, PUBLISH_NOW, SCHEDULE = "_save_as_draft", "_publish_now", "_schedule"
PUBLISHING_ACTIONS = (SAVE_AS_DRAFT, PUBLISH_NOW, SCHEDULE)
REVISIONS_SHOWN = 50


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


class ArticleAdminForm(forms.ModelForm):
    """The article form; ``publishing_action`` (a button the editor pressed)
    sets the status and date, so nobody has to know the convention."""

    publishing_action: str | None = None  # the admin's get_form() gives the model and fields

    def clean(self):
        data = super().clean()
        now = timezone.now()
        if self.publishing_action == SAVE_AS_DRAFT:
            data["status"] = Article.Status.DRAFT
        elif self.publishing_action == PUBLISH_NOW:
            data["status"] = Article.Status.PUBLISHED
            if not (data.get("published_at") and data["published_at"] <= now and self.instance.is_live):
                data["published_at"] = now
        elif self.publishing_action == SCHEDULE:
            when = data.get("published_at")
            if when is None or when <= now:
                self.add_error("published_at", "To schedule the article, give a publication date in the future.")
            data["status"] = Article.Status.PUBLISHED
        for name in ("status", "published_at"):
            if name in data and name not in self.errors:
                setattr(self.instance, name, data[name])
        return data


def publication_state_label(article: Article) -> str:
    """Draft, Published, or Scheduled with its time."""
    state = article.publication_state
    if state is PublicationState.SCHEDULED:
        return f"Scheduled · {date_filter(timezone.localtime(article.published_at), 'j M Y, H:i')}"
    return state


@admin.register(Article)
class ArticleAdmin(CSPNonceMediaMixin, admin.ModelAdmin):
    form = ArticleAdminForm
    actions = ["publish_now", "move_to_draft"]
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

    class Media:
        # Full-width title and standfirst, a tall body editor, a readable list; the
        # autosave keeps what is typed in this browser until it is saved, and warns
        # before leaving unsaved changes (static files: the CSP allows no inline script).
        js = ["js/admin/article_autosave.js"]
        css = {"all": ["css/admin-articles.css", "css/admin/newsroom.css"]}

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload-image/", view(self.body_image_upload_view), name="articles_article_upload_image"),
            path("<path:object_id>/revisions/", view(self.revisions_view), name="articles_article_revisions"),
            path(
                "<path:object_id>/revisions/<int:revision_id>/restore/",
                view(require_POST(self.revision_restore_view)),
                name="articles_article_revision_restore",
            ),
            path(
                "<path:object_id>/preview-links/", view(self.preview_links_view), name="articles_article_preview_links"
            ),
            *super().get_urls(),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        action = next((name for name in PUBLISHING_ACTIONS if name in request.POST), None)
        if request.method == "POST" and action:
            return type(form.__name__, (form,), {"publishing_action": action})
        return form

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        if change and not form.has_changed():
            # Saved as it was (Enter in a field, a second click): no revision that changes nothing.
            obj.skip_history_when_saving = True
        try:
            super().save_model(request, obj, form, change)
        finally:
            obj.__dict__.pop("skip_history_when_saving", None)
        action = getattr(form, "publishing_action", None)
        if action == SCHEDULE:
            when = date_filter(timezone.localtime(obj.published_at), "j F Y, H:i")
            messages.info(request, f"“{obj}” is scheduled: it appears by itself on {when}.")
        elif action == PUBLISH_NOW:
            messages.info(request, f"“{obj}” is published.")
        elif action == SAVE_AS_DRAFT:
            messages.info(request, f"“{obj}” is saved as a draft: readers can't see it.")

    def _article_or_404(self, request, object_id: str, *, change: bool = False) -> Article:
        if not str(object_id).isdigit():
            raise Http404("No such article.")
        article = get_object_or_404(Article.objects.defer("search_vector"), pk=object_id)
        allowed = (
            self.has_change_permission(request, article)
            if change
            else self.has_view_or_change_permission(request, article)
        )
        if not allowed:
            raise PermissionDenied
        return article

    def revisions_view(self, request, object_id: str):
        """Every revision of the article, newest first, each with what it changed."""
        article = self._article_or_404(request, object_id)
        revisions = list(article.history.select_related("author", "history_user")[: REVISIONS_SHOWN + 1])
        shown = []
        for position, revision in enumerate(revisions[:REVISIONS_SHOWN]):
            previous = revisions[position + 1] if position + 1 < len(revisions) else None
            shown.append(
                {
                    "revision": revision,
                    "state": revision_state(revision),
                    "changes": revision_changes(revision, previous),
                    "latest": position == 0,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revisions of “{article}”",
            "opts": self.opts,
            "original": article,
            "revisions": shown,
            "more": article.history.count() - len(shown),
            "can_restore": self.has_change_permission(request, article),
        }
        return TemplateResponse(request, "admin/articles/article/revisions.html", context)

    def revision_restore_view(self, request, object_id: str, revision_id: int):
        article = self._article_or_404(request, object_id, change=True)
        revision = get_object_or_404(article.history.all(), history_id=revision_id)
        article_revision_restore(article=article, revision=revision, user=request.user)
        when = date_filter(timezone.localtime(revision.history_date), "j F Y, H:i")
        messages.success(request, f"The text of {when} is back; the restore is itself a revision.")
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    def preview_links_view(self, request, object_id: str):
        """Make and revoke the article's review links (POST), and list them."""
        article = self._article_or_404(request, object_id, change=request.method == "POST")
        here = reverse("admin:articles_article_preview_links", args=[article.pk])
        if request.method == "POST":
            if "revoke" in request.POST:
                link_id = request.POST.get("revoke", "")
                link = get_object_or_404(PreviewLink, pk=int(link_id) if link_id.isdigit() else 0, article=article)
                preview_links_revoke(link=link)
                messages.success(request, "That preview link no longer opens the article.")
            elif "revoke_all" in request.POST:
                count = preview_links_revoke(article=article)
                messages.success(request, f"Revoked {count} preview link{'s' if count != 1 else ''}.")
            else:
                try:
                    days = int(request.POST.get("days", DEFAULT_DAYS))
                    preview_link_create(article=article, days=days, user=request.user)
                except ValueError:
                    messages.error(request, f"A preview link lasts from 1 to {MAX_DAYS} days.")
                else:
                    messages.success(request, "A new preview link is ready: copy it from the list below.")
            return HttpResponseRedirect(here)
        links = [
            {"link": link, "url": request.build_absolute_uri(link.get_absolute_url())}
            for link in article.preview_links.select_related("created_by")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview links for “{article}”",
            "opts": self.opts,
            "original": article,
            "links": links,
            "default_days": DEFAULT_DAYS,
            "max_days": MAX_DAYS,
            "is_live": article.is_live,
            "can_change": self.has_change_permission(request, article),
        }
        return TemplateResponse(request, "admin/articles/article/preview_links.html", context)

    @admin.action(description="Publish the selected articles now", permissions=["change"])
    def publish_now(self, request, queryset):
        now, count = timezone.now(), 0
        for article in queryset.unpublished(now=now):
            article.status, article.published_at = Article.Status.PUBLISHED, now
            article._history_user = request.user
            article.save()
            count += 1
        messages.success(request, f"Published {count} article{'s' if count != 1 else ''}.")

    @admin.action(description="Move the selected articles back to draft", permissions=["change"])
    def move_to_draft(self, request, queryset):
        count = 0
        for article in queryset.scheduled_or_published():
            article.status = Article.Status.DRAFT
            article._history_user = request.user
            article.save()
            count += 1
        messages.success(request, f"Moved {count} article{'s' if count != 1 else ''} back to draft.")

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
        return publication_state_label(article)

    @admin.display(description="Date", ordering="published_at")
    def publication_day(self, article: Article) -> str:
        if article.published_at is None:
            return "–"
        return formats.date_format(timezone.localtime(article.published_at), "j M Y")

    @admin.display(description="Topics")
    def topic_list(self, article: Article) -> str:
        return ", ".join(topic.name for topic in article.topics.all())
