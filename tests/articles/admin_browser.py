"""What the editors' browser tests do in the admin before the part they test: sign in, pick in an autocomplete."""

from django.contrib.auth.models import User

EDITOR_PASSWORD = "a-long-test-password"  # noqa: S105


def editor_signs_in(page, live_server, *, landing: str = "/admin/") -> None:
    """Create the editor's account, open `landing` (the admin asks for a sign-in first), sign in and land there."""
    User.objects.create_superuser("editor", "editor@example.com", EDITOR_PASSWORD)
    page.goto(live_server.url + landing)
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + landing)


def choose(page, field_id: str, text: str) -> None:
    """Pick an option in one of the admin's autocomplete (select2) widgets."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()
