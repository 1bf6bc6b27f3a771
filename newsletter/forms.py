import idna
from django import forms
from django.core.validators import EmailValidator

from articles.models import Topic

from .models import Subscriber, normalize_email

INVALID_EMAIL = "Please enter a valid email address, like name@example.com."
BAD_DOMAIN = (
    "The part after the @ is not a domain name we can send mail to "
    "(it holds a character no domain may have). Please check it."
)
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
MAX_SOURCE_LENGTH = 500

# No allowlist: "name@localhost" is not an address we can mail.
_email_validator = EmailValidator(message=INVALID_EMAIL, allowlist=[])


def clean_address(address: str) -> str:
    """The address as typed, trimmed, or ValidationError with a message a reader understands."""
    address = address.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in address):
        # Newlines would be a header injection; no control character belongs in an address.
        raise forms.ValidationError(INVALID_EMAIL, code="invalid")
    if "@" not in address:
        raise forms.ValidationError("An email address needs an @, like name@example.com.", code="invalid")
    if address.startswith('"') or address.rpartition("@")[2].startswith("["):
        # Quoted local parts and bare IP domains are legal but only ever typed by robots.
        raise forms.ValidationError(INVALID_EMAIL, code="invalid")
    if len(address.rpartition("@")[0]) > 64:
        raise forms.ValidationError("The part before the @ is too long.", code="max_length")
    try:
        _email_validator(address)
    except UnicodeError:  # a domain label IDNA can't spell
        raise forms.ValidationError(INVALID_EMAIL, code="invalid") from None
    if not _spellable_domain(address.rpartition("@")[2]):
        raise forms.ValidationError(BAD_DOMAIN, code="invalid_domain")
    # An international domain grows when spelled in punycode, which is what we match and store.
    if len(normalize_email(address)) > MAX_EMAIL_LENGTH:
        raise forms.ValidationError("That address is too long.", code="max_length")
    return address


def _spellable_domain(domain: str) -> bool:
    """Whether the domain has an IDNA spelling: by IDNA 2008 (no bidi controls, no stray joiners,
    which Django's validator lets through) and by the IDNA 2003 codec that matching and sending use."""
    if domain.isascii():
        return True
    try:
        idna.encode(domain, uts46=True)
        domain.encode("idna")
    except (idna.IDNAError, UnicodeError):
        return False
    return True


TOPIC_ERRORS = {
    "invalid_choice": "Please choose topics from the list.",
    "invalid_pk_value": "Please choose topics from the list.",
    "invalid_list": "Please choose topics from the list.",
}


class TopicsField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # PostgreSQL refuses NUL in a query parameter: say "not on the list" before asking it.
        # Nor will a database take an id beyond 64 bits: also "not on the list".
        for item in value:
            text = str(item)
            too_big = not self.to_field_name and text.isdigit() and (len(text) > 19 or int(text) >= 2**63)
            if "\x00" in text or too_big:
                raise forms.ValidationError(TOPIC_ERRORS["invalid_choice"], code="invalid_choice")
        return super()._check_values(value)


class SubscribeForm(forms.Form):
    email = forms.CharField(
        max_length=MAX_EMAIL_LENGTH,
        error_messages={"required": "Please enter your email address.", "max_length": "That address is too long."},
    )
    topics = TopicsField(
        queryset=Topic.objects.all(), to_field_name="slug", required=False, error_messages=TOPIC_ERRORS
    )
    topic_choice = forms.ChoiceField(
        choices=[("all", "all"), ("chosen", "chosen")],
        required=False,
        error_messages={"invalid_choice": "Please choose every topic or the topics listed."},
    )
    cadence = forms.ChoiceField(
        choices=Subscriber.Cadence.choices,
        required=False,
        error_messages={"invalid_choice": "Please choose a daily or a weekly digest."},
    )
    source = forms.CharField(required=False, strip=True)
    # Honeypot: hidden from people, filled in by naive bots.
    website = forms.CharField(required=False)
    # The site that sent the reader to the page the form is on (static/js/insights.js adds it).
    referrer_site = forms.CharField(required=False, strip=True)

    def clean_email(self) -> str:
        return clean_address(self.cleaned_data["email"])

    def clean_source(self) -> str:
        # The page the form was on, for the consent record: a path on this site, or nothing.
        source = self.cleaned_data["source"]
        if not source.startswith("/") or source.startswith("//") or any(ord(ch) < 32 for ch in source):
            return ""
        return source[:MAX_SOURCE_LENGTH]

    def clean_cadence(self) -> str:
        return self.cleaned_data["cadence"] or Subscriber.Cadence.WEEKLY

    def chosen_topics(self) -> list[Topic]:
        """The topics posted, unless the reader picked "everything" (none means every topic)."""
        if self.cleaned_data.get("topic_choice") == "all":
            return []
        return list(self.cleaned_data.get("topics") or [])

    @property
    def referrer(self) -> str:
        """The referring site's domain, or "" when the field is absent or holds anything but a host name."""
        from insights.reader import referrer_domain

        site = self.cleaned_data.get("referrer_site", "")
        return referrer_domain(f"https://{site}/", set()) if site and "/" not in site else ""

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def error_message(self) -> str:
        """One sentence for the inline answer."""
        return " ".join(str(error) for errors in self.errors.values() for error in errors)


class PreferencesForm(forms.Form):
    cadence = forms.ChoiceField(
        choices=Subscriber.Cadence.choices,
        widget=forms.RadioSelect,
        label="How often",
        error_messages={"invalid_choice": "Please choose a daily or a weekly digest."},
    )
    topics = TopicsField(
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Topics",
        help_text="Choose none to get every topic.",
        error_messages=TOPIC_ERRORS,
    )

    def __init__(self, *args, subscriber: Subscriber, **kwargs):
        kwargs.setdefault("initial", {"cadence": subscriber.cadence, "topics": list(subscriber.topics.all())})
        kwargs.setdefault("label_suffix", "")  # legends read "How often", not "How often:"
        super().__init__(*args, **kwargs)
