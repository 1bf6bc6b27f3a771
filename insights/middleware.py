"""The beacon's fast path: a page view answered before sessions, CSRF, messages and the rest.

A beacon needs none of them, and a spike of readers is a spike of beacons: it should
cost a counter increment, not a trip through every middleware. Only requests with no
session cookie take this path; an editor's beacon (which has one) goes the long way,
where the view sees the signed-in user and counts nothing.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class BeaconMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.path = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.path:
            self.path = reverse("insights:beacon")
        if (
            request.path_info == self.path
            and request.method == "POST"
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        ):
            from .views import beacon_answer

            return beacon_answer(request)
        return self.get_response(request)
