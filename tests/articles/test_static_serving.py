"""Static files as production serves them: hashed names, compressed, cached for good."""

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware


@pytest.fixture
def production_static(tmp_path):
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
        WHITENOISE_MAX_AGE=60 * 60 * 24 * 365,
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield WhiteNoiseMiddleware(lambda request: pytest.fail("static files are served by whitenoise"))


@pytest.mark.django_db
def test_stylesheet_has_a_hashed_name_far_future_caching_and_gzip(production_static):
    url = static("css/site.css")
    assert url.startswith("/static/css/site.") and url != "/static/css/site.css"
    response = production_static(RequestFactory().get(url, headers={"accept-encoding": "gzip"}))
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert int(response["Cache-Control"].split("max-age=")[1].split(",")[0]) >= 60 * 60 * 24 * 365
    response.close()
