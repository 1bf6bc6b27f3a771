"""What a beacon or a click may tell us, and what it must not be counted for.

Pure functions over a request's headers: whether to count at all (Global Privacy
Control, Do Not Track, known bots, signed-in staff), the coarse device class, the
referring site (domain only) and the campaign. Nothing here keeps anything.
"""

import contextlib
import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest

# Crawlers, link previewers, monitors and HTTP libraries: substrings of their user agents.
BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|scrap|archiver|facebookexternalhit|embedly|preview|whatsapp|"
    r"mediapartners|lighthouse|pagespeed|headless|phantomjs|pingdom|uptime|monitor|"
    r"curl|wget|python-|httpclient|go-http|java/|okhttp|axios|node-fetch|libwww|feedfetcher|"
    r"yandex|baidu|bytespider|petalsearch|ahrefs|semrush|gptbot|ccbot|claude|perplexity",
    re.IGNORECASE,
)
TABLET_PATTERN = re.compile(r"ipad|tablet|kindle|silk|playbook|android(?!.*mobile)", re.IGNORECASE)
MOBILE_PATTERN = re.compile(r"mobi|iphone|ipod|android|blackberry|opera mini|iemobile", re.IGNORECASE)
# utm_source=newsletter, utm_medium=email: short words; anything else is not a campaign name.
CAMPAIGN_WORD = re.compile(r"[a-z0-9][a-z0-9._+-]{0,39}")
INTERNAL = "internal"  # the referrer was another page of this site
MAX_DOMAIN = 120


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOT_PATTERN.search(user_agent))


def opted_out(request: HttpRequest) -> bool:
    """The reader's browser asked not to be tracked (Sec-GPC: 1 or DNT: 1)."""
    return request.headers.get("Sec-GPC", "").strip() == "1" or request.headers.get("DNT", "").strip() == "1"


def is_staff(request: HttpRequest) -> bool:
    """A signed-in editor. Readers have no session cookie, so only editors' requests read a session."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


def countable(request: HttpRequest) -> bool:
    return not (opted_out(request) or is_bot(request.headers.get("User-Agent", "")) or is_staff(request))


def device_class(user_agent: str) -> str:
    if TABLET_PATTERN.search(user_agent):
        return "tablet"
    if MOBILE_PATTERN.search(user_agent):
        return "mobile"
    return "desktop"


def own_hosts(request: HttpRequest) -> set[str]:
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    with contextlib.suppress(DisallowedHost):  # answered elsewhere; here it is just not ours
        hosts.add(request.get_host().rsplit(":", 1)[0].lower())
    return {host for host in hosts if host}


def referrer_domain(referrer: str, hosts: set[str]) -> str:
    """The referring site's host name, "internal" for this site, "" for none (direct, or hidden)."""
    try:
        parts = urlsplit(referrer.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not host:
        return ""
    if host in hosts:
        return INTERNAL
    host = host.removeprefix("www.")
    if len(host) > MAX_DOMAIN or not re.fullmatch(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]", host):
        return ""
    return host


def campaign(query: str) -> str:
    """ "source / medium" from utm_source and utm_medium, lower case; "" when absent or unreadable."""
    params = parse_qs(query, max_num_fields=50)
    words = []
    for name in ("utm_source", "utm_medium"):
        value = (params.get(name) or [""])[0].strip().lower()
        words.append(value if CAMPAIGN_WORD.fullmatch(value) else "")
    if not any(words):
        return ""
    return " / ".join(word or "-" for word in words)
