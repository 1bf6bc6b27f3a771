from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy check
