from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_is_https(app_configs, **kwargs) -> list[Warning]:
    """RFC 8058 one-click unsubscribe needs an HTTPS List-Unsubscribe link, built from SITE_URL."""
    if settings.SITE_URL.startswith("https://"):
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL!r}: links in mails (List-Unsubscribe, confirmation) will not be HTTPS.",
            hint="Set SITE_URL to the site's https:// origin, for example https://insights.example.com.",
            id="newsletter.W001",
        )
    ]
