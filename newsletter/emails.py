"""Building the mails we send to subscribers.

Every mail is multipart/alternative (plain text and HTML with inlined CSS)
from DEFAULT_FROM_EMAIL; a mail to a subscriber carries the RFC 8058
List-Unsubscribe pair and visible links to unsubscribe and preferences.
"""

from functools import cache

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import get_text_list

from core.links import absolute_url

from .models import Subscriber
from .tokens import Purpose, make_token


def subscriber_links(subscriber: Subscriber) -> dict[str, str]:
    """The personal links every mail to this subscriber carries."""
    return {
        "unsubscribe_url": absolute_url(
            reverse("newsletter:unsubscribe", kwargs={"token": make_token(subscriber, Purpose.UNSUBSCRIBE)})
        ),
        "preferences_url": absolute_url(
            reverse("newsletter:preferences", kwargs={"token": make_token(subscriber, Purpose.PREFERENCES)})
        ),
    }


@cache
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    return _inliner().inline(html)


def render_mail(template: str, context: dict) -> tuple[str, str]:
    """(plain text, HTML with inlined CSS) from `<template>.txt` and `<template>.html`.

    The HTML extends templates/email/base.html, the layout every mail shares."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    text = render_to_string(f"{template}.txt", context)
    html = inline_css(render_to_string(f"{template}.html", context))
    return text, html


def subscriber_message(
    *, subscriber: Subscriber, subject: str, text: str, html: str, unsubscribe_url: str, connection=None
) -> EmailMultiAlternatives:
    """A ready-to-send mail to one subscriber, with the one-click unsubscribe headers."""
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # never a header break inside a subject
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def confirm_url(subscriber: Subscriber) -> str:
    return absolute_url(reverse("newsletter:confirm", kwargs={"token": make_token(subscriber, Purpose.CONFIRM)}))


def confirmation_message(*, subscriber: Subscriber, connection=None) -> EmailMultiAlternatives:
    """The double opt-in mail: one link to confirm, nothing else to act on."""
    return _mail_to(
        subscriber,
        template="newsletter/email/confirm",
        subject=f"Confirm your subscription to {settings.SITE_NAME}",
        context={"confirm_url": confirm_url(subscriber)},
        connection=connection,
    )


def welcome_message(*, subscriber: Subscriber, connection=None) -> EmailMultiAlternatives:
    return _mail_to(
        subscriber,
        template="newsletter/email/welcome",
        subject=f"Welcome to {settings.SITE_NAME}",
        context={
            "home_url": absolute_url(reverse("articles:home")),
            "topics": get_text_list([topic.name for topic in subscriber.topics.all()], "and"),
        },
        connection=connection,
    )


def _mail_to(
    subscriber: Subscriber, *, template: str, subject: str, context: dict, connection
) -> EmailMultiAlternatives:
    """One of the newsletter's own mails to this subscriber, with their personal links."""
    links = subscriber_links(subscriber)
    text, html = render_mail(template, {"subscriber": subscriber, **context, **links})
    return subscriber_message(
        subscriber=subscriber,
        subject=subject,
        text=text,
        html=html,
        unsubscribe_url=links["unsubscribe_url"],
        connection=connection,
    )
