from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from newsletter.models import Subscriber

from .models import Delivery, Digest
from .services import PERIOD, digest_preview, digest_send, digest_send_test, digest_slot


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["subject", "cadence", "status", "period_end", "recipients_count", "sent_count", "failed_count"]
    list_filter = ["cadence", "status"]
    filter_horizontal = ["articles"]
    readonly_fields = ["status", "recipients_count", "sent_count", "failed_count", "started_at", "sent_at"]
    fields = ["cadence", "period_start", "period_end", "subject", "intro", "articles", *readonly_fields]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        # A new edition defaults to the next daily slot, so an editor can write its intro ahead.
        next_slot = digest_slot(cadence=Subscriber.Cadence.DAILY) + PERIOD[Subscriber.Cadence.DAILY]
        return {
            "cadence": Subscriber.Cadence.DAILY,
            "period_end": next_slot,
            "period_start": next_slot - PERIOD[Subscriber.Cadence.DAILY],
        }

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(self.preview_view), name="digests_digest_preview"),
            path("<int:pk>/send-test/", view(require_POST(self.send_test_view)), name="digests_digest_send_test"),
            path("<int:pk>/send-now/", view(require_POST(self.send_now_view)), name="digests_digest_send_now"),
            path("<int:pk>/progress/", view(self.progress_view), name="digests_digest_progress"),
            *super().get_urls(),
        ]

    def _digest(self, request: HttpRequest, pk: int, *, change: bool = False) -> Digest:
        digest = get_object_or_404(Digest, pk=pk)
        allowed = self.has_change_permission(request, digest) if change else self.has_view_permission(request, digest)
        if not allowed:
            raise PermissionDenied
        return digest

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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "digest": digest,
            "wanted": wanted,
            "subscriber": subscriber,
            "title": f"Preview: {digest}",
        }
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
        else:
            try:
                digest_send_test(digest=digest, email=request.user.email)
            except ValueError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"A test of “{digest}” was sent to {request.user.email}.")
        return HttpResponseRedirect(reverse("admin:digests_digest_change", args=[digest.pk]))

    def send_now_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        digest = self._digest(request, pk, change=True)
        if digest.status == Digest.Status.SENT:
            messages.info(request, "This digest has already been sent.")
            return HttpResponseRedirect(reverse("admin:digests_digest_change", args=[digest.pk]))
        if not digest.articles.exists():
            messages.error(request, "Choose at least one article before sending.")
            return HttpResponseRedirect(reverse("admin:digests_digest_change", args=[digest.pk]))
        digest_send(digest=digest)
        messages.success(request, f"“{digest}” is going out.")
        return HttpResponseRedirect(reverse("admin:digests_digest_progress", args=[digest.pk]))

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        digest = self._digest(request, pk)
        progress = Delivery.objects.filter(digest=digest).progress()
        done = progress["total"] - progress["remaining"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "digest": digest,
            "progress": progress,
            "done": done,
            "percent": round(100 * done / progress["total"]) if progress["total"] else 100,
            "refresh": digest.status == Digest.Status.SENDING,
            "checked_at": timezone.now(),
            "title": f"Progress: {digest}",
        }
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
