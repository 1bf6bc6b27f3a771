from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("beacon/", views.beacon, name="beacon"),
    path("digest/<int:digest_id>/articles/<slug:slug>/", views.digest_link, name="digest_link"),
]
