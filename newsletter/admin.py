from django.contrib import admin

from .models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "cadence", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["status", "cadence", "topics"]
    search_fields = ["email", "email_normalized"]
    readonly_fields = [
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "suppressed_at",
        "consent_source",
        "consent_ip",
        "consent_at",
    ]
    filter_horizontal = ["topics"]
