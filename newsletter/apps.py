from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        from . import checks, webhooks  # noqa: F401 - the deploy check; the mail provider's bounce receivers
