from django import forms
from django.core.validators import EmailValidator

from articles.models import Topic

from .models import Subscriber


class SubscribeForm(forms.Form):
    email = forms.CharField(
        max_length=254,
        error_messages={"required": "Please enter your email address.", "max_length": "That address is too long."},
    )
    topics = forms.ModelMultipleChoiceField(queryset=Topic.objects.all(), to_field_name="slug", required=False)
    topic_choice = forms.ChoiceField(choices=[("all", "all"), ("chosen", "chosen")], required=False)
    source = forms.CharField(max_length=500, required=False)
    # Honeypot: hidden from people, filled in by naive bots.
    website = forms.CharField(required=False)

    def clean_email(self) -> str:
        address = self.cleaned_data["email"].strip()
        if any(ch in address for ch in "\r\n\0"):
            raise forms.ValidationError("Please enter a valid email address.")
        EmailValidator(message="Please enter a valid email address, like name@example.com.")(address)
        return address

    def chosen_topics(self) -> list[Topic]:
        if self.cleaned_data.get("topic_choice") != "chosen":
            return []
        return list(self.cleaned_data.get("topics") or [])


class PreferencesForm(forms.Form):
    cadence = forms.ChoiceField(choices=Subscriber.Cadence.choices, widget=forms.RadioSelect, label="How often")
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Topics",
        help_text="Choose none to get every topic.",
    )

    def __init__(self, *args, subscriber: Subscriber, **kwargs):
        kwargs.setdefault("initial", {"cadence": subscriber.cadence, "topics": list(subscriber.topics.all())})
        super().__init__(*args, **kwargs)
