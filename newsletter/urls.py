from django.urls import path

from . import views

app_name = "newsletter"

urlpatterns = [
    path("", views.signup, name="signup"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribed/", views.subscribed, name="subscribed"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("confirm/<str:token>/resend/", views.confirm_resend, name="confirm_resend"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
]
