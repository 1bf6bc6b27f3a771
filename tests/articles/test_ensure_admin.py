from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_make_runs_admin_account_has_an_email_address_printed_with_its_login(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    admin = get_user_model().objects.get(username="admin")
    assert admin.email == "admin@localhost" and admin.is_superuser
    assert "as admin / " in out.getvalue() and "(email admin@localhost)" in out.getvalue()

    # An account made before it had an address gets one; its password is not shown again.
    get_user_model().objects.filter(pk=admin.pk).update(email="")
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    assert "email admin@localhost" in out.getvalue() and " / " not in out.getvalue()
    admin.refresh_from_db()
    assert admin.email == "admin@localhost"
