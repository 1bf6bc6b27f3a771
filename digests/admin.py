from django.contrib import admin

from .models import Digest


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["subject", "cadence", "status", "period_end", "recipients_count", "sent_count", "failed_count"]
    list_filter = ["cadence", "status"]
    filter_horizontal = ["articles"]
