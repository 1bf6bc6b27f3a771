import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEFAULT_EMAIL = "admin@localhost"


class Command(BaseCommand):
    help = "Create a local admin account on first use and print its login once (development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--email", default=DEFAULT_EMAIL, help="its address: digest tests sent from the admin go there"
        )

    def handle(self, *args, username: str, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("ensure_admin is for development; use createsuperuser in production.")
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is not None:
            if not user.email:  # accounts made before they had one
                user.email = email
                user.save(update_fields=["email"])
            self.stdout.write(
                f"Admin account: {username}, email {user.email} (its password was printed when it was created)."
            )
            return
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created an admin account. Log in at /admin/ as {username} / {password} (email {email})"
            )
        )
        self.stdout.write("This password is shown only now; `python manage.py changepassword admin` sets a new one.")
        self.stdout.write(f"Tests of a digest sent from the admin go to {email} (with no EMAIL_URL: to this console).")
