from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What several apps share: the client address, and more as it moves here. No models."""

    name = "core"
