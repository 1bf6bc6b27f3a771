from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from . import chart, subscriber_csv
from .models import Subscriber
from .services import subscriber_confirmation_request, subscriber_suppress, subscriber_unsubscribe, subscribers_import

NUL_REFUSED = "A filter or search holds a NUL character, which no subscriber field can contain."


def _has_nul(request: HttpRequest) -> bool:
    # PostgreSQL refuses NUL in a parameter; say so rather than fail.
    return any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"Columns as in an export: {', '.join(subscriber_csv.COLUMNS)}. Only “email” is required.",
    )


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "cadence", "topic_names", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["status", "cadence", "topics", "created_at", "confirmed_at"]
    search_fields = ["email", "email_normalized"]
    date_hierarchy = "created_at"
    list_per_page = 100
    readonly_fields = [*Subscriber.RECORD_FIELDS, "mails"]
    filter_horizontal = ["topics"]
    actions = ["export_selected", "unsubscribe_selected", "suppress_selected"]

    @admin.display(description="Mails")
    def mails(self, obj: Subscriber) -> str:
        """The subscriber's mails from the ledger: what was asked for, and whether it went out."""
        rows = [
            format_html(
                "<li>{} · {} · asked {}{}</li>",
                mail.get_kind_display(),
                mail.get_status_display(),
                date_format(timezone.localtime(mail.created_at), "DATETIME_FORMAT"),
                f" · {mail.last_error}" if mail.last_error else "",
            )
            for mail in obj.mails.order_by("-created_at")[:20]
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((row,) for row in rows))) if rows else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Subscriber | None = None) -> list[str]:
        # Status changes only through the actions (or the subscriber's own links), so timestamps
        # follow; a changed address would skip its owner's confirmation.
        readonly = [*self.readonly_fields, "status", "hard_bounces"]
        return [*readonly, "email"] if obj is not None else readonly

    def save_model(self, request: HttpRequest, obj: Subscriber, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            # Added by an editor, confirmed by its owner: the double opt-in still applies.
            subscriber_confirmation_request(subscriber=obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscriber]:
        return super().get_queryset(request).prefetch_related("topics")

    @admin.display(description="Topics")
    def topic_names(self, subscriber: Subscriber) -> str:
        return ", ".join(topic.name for topic in subscriber.topics.all()) or "All"

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL refuses NUL in a parameter; nobody searches for one.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"),
            path("import/", self.admin_site.admin_view(self.import_view), name=f"{prefix}_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        if _has_nul(request):
            return HttpResponseBadRequest(NUL_REFUSED)
        counts = Subscriber.objects.counts_by_status()
        extra_context = {
            **(extra_context or {}),
            "status_counts": [(value, label, counts[value]) for value, label in Subscriber.Status.choices],
            "total_count": sum(counts.values()),
            "activity": (weeks := chart.subscriber_activity()),
            "activity_svg": chart.render_svg(weeks),
        }
        return super().changelist_view(request, extra_context)

    def _csv_response(self, subscribers: QuerySet[Subscriber]) -> StreamingHttpResponse:
        rows = subscribers.order_by("pk").prefetch_related("topics").iterator(chunk_size=2000)
        response = StreamingHttpResponse(subscriber_csv.export_lines(rows), content_type="text/csv; charset=utf-8")
        filename = f"subscribers-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """Every subscriber the change list shows with the same filters and search."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if _has_nul(request):
            return HttpResponseBadRequest(NUL_REFUSED)
        try:
            changelist = self.get_changelist_instance(request)
            subscribers = changelist.get_queryset(request)
        except (IncorrectLookupParameters, ValidationError, ValueError):
            return HttpResponseBadRequest("These filters can't be exported: go back to the list and choose again.")
        return self._csv_response(subscribers)

    @admin.action(description="Export selected subscribers to CSV", permissions=["view"])
    def export_selected(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> StreamingHttpResponse:
        return self._csv_response(queryset)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        file_error = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                subscriber_csv.size_check(upload.size)
                parsed = subscriber_csv.parse_csv(upload.read())
            except subscriber_csv.ImportFileError as exc:
                file_error = str(exc)
            else:
                report = subscribers_import(rows=parsed.rows)
                report.errors = sorted(
                    parsed.errors + report.errors, key=lambda error: int(error.split()[1].rstrip(":"))
                )
                level = messages.WARNING if report.errors else messages.SUCCESS
                self.message_user(
                    request,
                    f"{report.created} subscribers added, {report.updated} updated, "
                    f"{len(report.errors)} rows left out.",
                    level,
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import subscribers from CSV",
            "form": form,
            "report": report,
            "file_error": file_error,
            "changelist_url": reverse("admin:newsletter_subscriber_changelist"),
        }
        status = 400 if file_error or (request.method == "POST" and not form.is_valid()) else 200
        return TemplateResponse(request, "admin/newsletter/subscriber/import.html", context, status=status)

    # Status actions go through the services, so timestamps follow.

    @admin.action(description="Unsubscribe selected subscribers", permissions=["change"])
    def unsubscribe_selected(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            subscriber_unsubscribe(subscriber=subscriber)
        self.message_user(request, f"{len(queryset)} subscribers unsubscribed.")

    @admin.action(description="Suppress selected subscribers (bounces, complaints)", permissions=["change"])
    def suppress_selected(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            subscriber_suppress(subscriber=subscriber)
        self.message_user(request, f"{len(queryset)} subscribers suppressed.")
