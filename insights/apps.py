from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Reader insights: the beacon, its counters, daily aggregates and the admin's Insights page.

    Nothing here identifies a reader: visitors are counted through a hash salted with a
    secret that lives for one day only.
    """

    name = "insights"
    verbose_name = "Reader insights"
