import smtplib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from articles.models import Article
from newsletter.models import Subscriber

from .building import (
    PERIOD,
    NothingToSend,
    article_edition_create,
    digest_slot,
    edition_contents,
    edition_recipients,
    withheld_reason,
)
from .models import Delivery, Digest
from .rendering import digest_preview
from .services import digest_send, digest_send_test

STATUS_FIELDS = ["status", "recipients_count", "sent_count", "failed_count", "started_at", "sent_at"]


class PublishedArticleSearch(AutocompleteJsonView):
    """The article picker's search: published, due articles only, newest first, by title."""

    def process_request(self, request):
        return request.GET.get("term", "").strip()[:200], self.admin_site.get_model_admin(Article), None, "pk"

    def get_queryset(self):
        articles = Article.objects.published().only("pk", "title", "published_at")
        for word in self.term.split()[:8]:
            articles = articles.filter(title__icontains=word)
        return articles.order_by("-published_at", "-pk")

    def serialize_result(self, obj, to_field_name):
        return {
            "id": str(obj.pk),
            "text": f"{obj.title} · {date_filter(timezone.localtime(obj.published_at), 'j M Y')}",
        }


class IdsOnlyMixin:
    """Re-showing a refused form: ignore values that are not ids (the admin's widget would crash on them)."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if str(v).isdigit()], attr)


class PublishedArticlesMixin(IdsOnlyMixin):
    def get_url(self) -> str:
        return reverse("admin:digests_digest_article_search")


class PublishedArticlePicker(PublishedArticlesMixin, AutocompleteSelectMultiple):
    pass


class PublishedArticleSelect(PublishedArticlesMixin, AutocompleteSelect):
    pass


class SubscriberPicker(IdsOnlyMixin, AutocompleteSelect):
    pass


class DigestForm(forms.ModelForm):
    class Meta:
        model = Digest
        fields = ["cadence", "period_start", "period_end", "subject", "intro", "articles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "cadence" in self.fields:
            self.fields["cadence"].required = True
        if "articles" in self.fields:
            self.fields["articles"].help_text = (
                "Only published articles whose date has come can be picked. One that becomes a draft "
                "or is scheduled later after it was picked is left out of every mail."
            )

    def clean_articles(self):
        chosen = self.cleaned_data["articles"]
        before = set(self.instance.articles.values_list("pk", flat=True)) if self.instance.pk else set()
        refused = [
            f"“{article.title}”: {reason}"
            for article in chosen
            if article.pk not in before and (reason := withheld_reason(article))
        ]
        if refused:
            raise ValidationError("Only published articles can be picked. " + "; ".join(refused) + ".")
        return chosen


class SendArticleForm(forms.Form):
    article = forms.ModelChoiceField(
        queryset=Article.objects.all(),
        widget=PublishedArticleSelect(Digest._meta.get_field("articles"), admin.site, attrs={"data-width": "100%"}),
        help_text="Published articles whose date has come. Type a few letters of the title.",
    )
    intro = forms.CharField(
        label="Editor's note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Optional: a line above the article.",
    )

    def clean_article(self):
        article = self.cleaned_data["article"]
        if reason := withheld_reason(article):
            raise ValidationError(f"“{article.title}” can't be sent: {reason}.")
        return article


class PreviewForm(forms.Form):
    subscriber = forms.ModelChoiceField(
        queryset=Subscriber.objects.all(),
        widget=SubscriberPicker(
            Delivery._meta.get_field("subscriber"),
            admin.site,
            attrs={"data-placeholder": "Search by email", "data-width": "100%"},
        ),
        label="Subscriber",
        help_text="Type part of an address.",
    )


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    form = DigestForm
    list_display = ["subject", "edition", "status", "period_end", "recipients_count", "sent_count", "failed_count"]
    list_filter = ["kind", "cadence", "status"]
    readonly_fields = ["kind", "article_link", "left_out", *STATUS_FIELDS]
    change_list_template = "admin/digests/digest/change_list.html"

    def view_on_site(self, digest: Digest) -> str | None:
        # The web archive shows an edition once it goes out.
        if digest.status in (Digest.Status.SENDING, Digest.Status.SENT):
            return digest.get_absolute_url()
        return None

    def get_fields(self, request: HttpRequest, obj: Digest | None = None) -> list[str]:
        if obj is not None and obj.kind == Digest.Kind.ARTICLE:
            return ["kind", "article_link", "subject", "intro", "left_out", *STATUS_FIELDS]
        return ["cadence", "period_start", "period_end", "subject", "intro", "articles", "left_out", *STATUS_FIELDS]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "articles":
            kwargs["widget"] = PublishedArticlePicker(db_field, self.admin_site, attrs={"data-width": "100%"})
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        # A new edition defaults to the next daily slot, so an editor can write its intro ahead.
        next_slot = digest_slot(cadence=Subscriber.Cadence.DAILY) + PERIOD[Subscriber.Cadence.DAILY]
        return {
            "cadence": Subscriber.Cadence.DAILY,
            "period_end": next_slot,
            "period_start": next_slot - PERIOD[Subscriber.Cadence.DAILY],
        }

    @admin.display(description="Edition", ordering="kind")
    def edition(self, digest: Digest) -> str:
        return digest.label

    @admin.display(description="Article")
    def article_link(self, digest: Digest) -> str:
        if digest.article_id is None:
            return "—"
        article = digest.article
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">as readers see it</a>',
            reverse("admin:articles_article_change", args=[article.pk]),
            article.title,
            article.get_absolute_url(),
        )

    @admin.display(description="Left out of the mail")
    def left_out(self, digest: Digest) -> str:
        if digest.pk is None:
            return "—"
        if digest.status in (Digest.Status.SENDING, Digest.Status.SENT):
            entries = [(entry["title"], entry["reason"]) for entry in digest.withheld]
        else:
            entries = [(entry.title, entry.reason) for entry in edition_contents(digest).withheld]
        if not entries:
            return "Nothing: every picked article is published."
        return format_html('<ul class="digest-withheld">{}</ul>', format_html_join("", "<li>“{}”: {}</li>", entries))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("send-article/", view(self.send_article_view), name="digests_digest_send_article"),
            path(
                "published-articles/",
                view(PublishedArticleSearch.as_view(admin_site=self.admin_site)),
                name="digests_digest_article_search",
            ),
            path("<int:pk>/preview/", view(self.preview_view), name="digests_digest_preview"),
            path("<int:pk>/send-test/", view(require_POST(self.send_test_view)), name="digests_digest_send_test"),
            path("<int:pk>/send-now/", view(self.send_now_view), name="digests_digest_send_now"),
            path("<int:pk>/progress/", view(self.progress_view), name="digests_digest_progress"),
            *super().get_urls(),
        ]

    def _digest(self, request: HttpRequest, pk: int, *, change: bool = False) -> Digest:
        digest = get_object_or_404(Digest, pk=pk)
        allowed = self.has_change_permission(request, digest) if change else self.has_view_permission(request, digest)
        if not allowed:
            raise PermissionDenied
        return digest

    def _context(self, request: HttpRequest, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, **extra}

    def _change_url(self, digest: Digest) -> str:
        return reverse("admin:digests_digest_change", args=[digest.pk])

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The mail exactly as one subscriber would get it (HTML, or ?format=text)."""
        digest = self._digest(request, pk)
        wanted = request.GET.get("subscriber", "").strip()[:254]
        subscriber = None
        if wanted:
            lookup = Q(email_normalized=wanted.lower())
            if wanted.isdigit():
                lookup |= Q(pk=int(wanted))
            subscriber = Subscriber.objects.filter(lookup).first()
        form = PreviewForm(initial={"subscriber": subscriber.pk} if subscriber else None)
        context = self._context(
            request,
            digest=digest,
            wanted=wanted,
            subscriber=subscriber,
            form=form,
            media=self.media + form.media,
            title=f"Preview: {digest}",
            withheld=edition_contents(digest).withheld,
        )
        if subscriber is not None:
            message = digest_preview(digest=digest, subscriber=subscriber)
            if message is None:
                context["nothing"] = True
            elif request.GET.get("format") == "text":
                return HttpResponse(message.body, content_type="text/plain; charset=utf-8")
            elif request.GET.get("format") == "html":
                response = HttpResponse(message.alternatives[0][0])
                # The mail is shown as it is, framed by the preview page only (same origin).
                response.headers["X-Frame-Options"] = "SAMEORIGIN"
                response.headers["Content-Security-Policy"] = "script-src 'none'; frame-ancestors 'self'"
                return response
            else:
                context["message"] = message
                context["headers"] = {**message.extra_headers, "Subject": message.subject, "To": subscriber.email}
        elif wanted:
            context["not_found"] = True
        status = 404 if wanted and subscriber is None else 200
        return TemplateResponse(request, "admin/digests/digest/preview.html", context, status=status)

    def send_test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        digest = self._digest(request, pk, change=True)
        if not request.user.email:
            messages.error(request, "Your account has no email address: add one to your user to receive tests.")
            return HttpResponseRedirect(self._change_url(digest))
        try:
            digest_send_test(digest=digest, email=request.user.email)
        except NothingToSend as error:
            messages.error(request, str(error))
        except (OSError, smtplib.SMTPException) as error:
            messages.error(request, f"The mail server did not take the test ({type(error).__name__}): try again.")
        else:
            messages.success(request, f"A test of “{digest}” was sent to {request.user.email}.")
        return HttpResponseRedirect(self._change_url(digest))

    def send_now_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: what sending would do (how many subscribers, what is left out); POST with
        `confirm`: send. A POST without it only shows the question again."""
        digest = self._digest(request, pk, change=True)
        if digest.status == Digest.Status.SENT:
            messages.info(request, "This edition has already been sent.")
            return HttpResponseRedirect(self._change_url(digest))
        if digest.status == Digest.Status.SENDING:
            return HttpResponseRedirect(reverse("admin:digests_digest_progress", args=[digest.pk]))
        if request.method == "POST" and request.POST.get("confirm") == "send":
            try:
                digest_send(digest=digest)
            except NothingToSend as error:
                messages.error(request, str(error))
                return HttpResponseRedirect(self._change_url(digest))
            digest.refresh_from_db()
            messages.success(request, f"“{digest}” is going out to {digest.recipients_count} subscribers.")
            return HttpResponseRedirect(reverse("admin:digests_digest_progress", args=[digest.pk]))
        contents = edition_contents(digest)
        context = self._context(
            request,
            digest=digest,
            title=f"Send “{digest}” now?",
            articles=contents.articles,
            withheld=contents.withheld,
            recipients=edition_recipients(digest).count() if contents.articles else 0,
        )
        return TemplateResponse(request, "admin/digests/digest/send_now.html", context)

    def send_article_view(self, request: HttpRequest) -> HttpResponse:
        """Mail one published article on its own: creates its single-article edition (one per
        article) as a draft, to preview, test and send from its page like any edition."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SendArticleForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                edition, created = article_edition_create(
                    article=form.cleaned_data["article"], intro=form.cleaned_data["intro"]
                )
            except NothingToSend as error:
                form.add_error("article", str(error))
            else:
                if created:
                    messages.success(
                        request, "The article has its edition: preview it, send yourself a test, then send it."
                    )
                else:
                    messages.warning(
                        request,
                        f"This article already has its edition ({edition.get_status_display().lower()}): "
                        "each subscriber gets an article on its own once at most.",
                    )
                return HttpResponseRedirect(self._change_url(edition))
        context = self._context(
            request,
            form=form,
            media=self.media + form.media,
            title="Send one article",
            recent=Digest.objects.filter(kind=Digest.Kind.ARTICLE).select_related("article")[:10],
        )
        status = 400 if request.method == "POST" else 200  # here only when the form was refused
        return TemplateResponse(request, "admin/digests/digest/send_article.html", context, status=status)

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        digest = self._digest(request, pk)
        progress = Delivery.objects.filter(digest=digest).progress()
        done = progress["total"] - progress["remaining"]
        context = self._context(
            request,
            digest=digest,
            progress=progress,
            done=done,
            percent=round(100 * done / progress["total"]) if progress["total"] else 100,
            refresh=digest.status == Digest.Status.SENDING,
            checked_at=timezone.now(),
            title=f"Progress: {digest}",
        )
        return TemplateResponse(request, "admin/digests/digest/progress.html", context)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "digest", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "digest"]
    list_select_related = ["subscriber", "digest"]
    search_fields = ["subscriber__email_normalized"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
