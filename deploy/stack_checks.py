"""What `make stack-test` checks, through the ports the stack publishes on 127.0.0.1: pages and
their landmarks, the front cache and its purge, a signup's mails, a digest, the media volume,
beat, and what survives `down` and `up`.

Standard library only: it runs with the host's python3."""

import email
import email.policy
import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

from stack_compose import SITE_HOST, SITE_URL, Stack, StackFailure, log

SUBSCRIBER = "stack-test-reader@example.org"
# 1x1 PNG: what an editor's upload leaves in the media volume, in small.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201"
    "f3d1b4a50000000049454e44ae426082"
)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(url: str, *, data: dict | None = None, headers: dict | None = None, timeout: float = 20):
    """(status, headers, body) of one request, with the Host and scheme the proxy in front sends."""
    sent = {"Host": SITE_HOST, "X-Forwarded-Proto": "https", "User-Agent": "vivold-stack-test"}
    sent.update(headers or {})
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=sent, method="POST" if data is not None else "GET")  # noqa: S310
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise StackFailure(what)


class Checks:
    def __init__(self) -> None:
        self.passed, self.skipped = 0, 0

    def ok(self, what: str) -> None:
        self.passed += 1
        log(f"ok: {what}")

    def skip(self, what: str) -> None:
        self.skipped += 1
        log(f"skipped: {what}")


def sink_messages(stack: Stack) -> list[email.message.EmailMessage]:
    status, _, body = http(stack.sink + "/messages", headers={"Host": "127.0.0.1"})
    expect(status == 200, f"the SMTP sink answered {status}")
    return [email.message_from_string(m["data"], policy=email.policy.default) for m in json.loads(body)]


def wait_for_mail(stack: Stack, subject_part: str, timeout: float = 90) -> email.message.EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sink_messages(stack):
            if SUBSCRIBER in str(message["To"]) and subject_part in str(message["Subject"]):
                return message
        time.sleep(1)
    raise StackFailure(f"no mail to {SUBSCRIBER} with {subject_part!r} in its subject reached the sink")


def text_part(message: email.message.EmailMessage) -> str:
    subject = message["Subject"]
    expect(message.get_content_type() == "multipart/alternative", f"{subject!r} is not multipart/alternative")
    types = [part.get_content_type() for part in message.iter_parts()]
    expect(types[:2] == ["text/plain", "text/html"], f"{message['Subject']!r} has parts {types}")
    return message.get_body(("plain",)).get_content()


def form_state(headers, body: bytes) -> tuple[dict, dict]:
    """The CSRF field of a page's form and the cookie that goes with it, where the page has them."""
    field = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
    return (
        {"csrfmiddlewaretoken": field[1].decode()} if field else {},
        {"Cookie": f"csrftoken={cookie[1]}"} if cookie else {},
    )


def check_pages(stack: Stack, checks: Checks) -> str:
    where = "through varnish" if stack.varnish else "from web (no front cache in this tree)"
    status, headers, body = http(stack.front + "/")
    page = body.decode()
    expect(status == 200, f"home page answered {status}")
    for landmark in ("<html lang=", "<title>", '<meta name="description"', 'rel="canonical"', "<main"):
        expect(landmark in page, f"home page lacks {landmark}")
    expect(page.count("<main") == 1, "home page has more than one <main>")
    if stack.varnish:
        # With the front cache in the tree, reader pages are for sharing: no cookie, public.
        expect("Set-Cookie" not in headers, f"home page sets a cookie: {headers.get('Set-Cookie', '')[:40]}")
        expect("public" in headers.get("Cache-Control", ""), f"home page Cache-Control: {headers['Cache-Control']}")
    checks.ok(f"home page 200 with its landmarks ({where}; Cache-Control: {headers.get('Cache-Control')})")

    stylesheet = re.search(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', page) or re.search(
        r'<link[^>]+href="([^"]+\.css)"', page
    )
    expect(stylesheet is not None, "home page links no stylesheet")
    status, headers, _ = http(stack.front + urllib.parse.urlsplit(stylesheet[1]).path)
    expect(status == 200, f"{stylesheet[1]} answered {status}")
    checks.ok(f"collected static file {stylesheet[1]} served 200")

    slugs = re.findall(r'href="(?:https?://[^/"]+)?/articles/([\w-]+)/"', page)
    expect(slugs, "home page links no article")
    status, headers, body = http(f"{stack.front}/articles/{slugs[0]}/")
    article = body.decode()
    expect(status == 200, f"article {slugs[0]} answered {status}")
    expect(article.count("<h1") == 1, "article page has not exactly one <h1>")
    for landmark in ("Key Insights", "<article", "Stay Updated", "Related Articles", ">Email<", "Subscribe"):
        expect(landmark in article, f"article page lacks {landmark!r}")
    checks.ok(f"article /articles/{slugs[0]}/ 200 with its landmarks ({where})")

    status, _, body = http(stack.web + "/healthz", headers={"X-Forwarded-Proto": "http"})
    expect(status == 200 and json.loads(body), f"/healthz answered {status}: {body[:200]!r}")
    checks.ok(f"/healthz 200 over plain HTTP from web: {body.decode().strip()[:120]}")
    return slugs[0]


RETITLE = """
from articles.models import Article
article = Article.objects.get(slug={slug!r})
article.title = {title!r}
article.save()
"""


def check_front_cache(stack: Stack, checks: Checks, slug: str) -> None:
    """Varnish keeps the article, and an editor's change purges it through the worker
    (FRONT_CACHE_URL, PURGE_ALLOW admitting the compose network)."""
    url = f"{stack.front}/articles/{slug}/"
    for _ in range(2):
        status, headers, _ = http(url)
    cache = headers.get("X-Cache")
    expect(status == 200 and cache == "hit", f"the article's second fetch through varnish: {status}, X-Cache {cache}")
    checks.ok(f"varnish serves the article from its cache (X-Cache: hit, Cache-Control: {headers['Cache-Control']})")
    title = f"Retitled by the stack test {secrets.token_hex(4)}"
    stack.manage("shell", script=RETITLE.format(slug=slug, title=title))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, headers, body = http(url)
        if title.encode() in body:
            checks.ok("an edit purged the article from varnish through the worker; the new title is served")
            return
        time.sleep(1)
    cache = headers.get("X-Cache")
    raise StackFailure(f"varnish still serves the old article a minute after the edit (X-Cache {cache})")


def check_signup(stack: Stack, checks: Checks) -> None:
    # As a browser does: the Stay Updated page's form, with its CSRF token and cookie when it has them.
    status, headers, body = http(stack.front + "/newsletter/")
    expect(status == 200, f"/newsletter/ answered {status}")
    form, cookies = form_state(headers, body)
    origin = {"Origin": SITE_URL, "Referer": SITE_URL + "/newsletter/"}
    status, headers, body = http(
        stack.front + "/newsletter/subscribe/",
        data={**form, "email": SUBSCRIBER, "cadence": "weekly", "source": "/newsletter/"},
        headers={**origin, **cookies},
    )
    expect(status in (302, 303) and headers.get("Location", "").endswith("/newsletter/subscribed/"),
           f"signup answered {status} {headers.get('Location')}: {body[:300]!r}")  # fmt: skip
    checks.ok("signup accepted (redirect to /newsletter/subscribed/)")

    confirmation = wait_for_mail(stack, "Confirm")
    text = text_part(confirmation)
    expect(f"insights@{SITE_HOST}" in str(confirmation["From"]), f"confirmation From: {confirmation['From']}")
    link = re.search(re.escape(SITE_URL) + r"(/newsletter/confirm/[^/\s]+/)", text)
    expect(link is not None, "the confirmation mail carries no confirm link")
    checks.ok(f"confirmation mail reached the sink through the worker ({confirmation['Subject']!r})")

    status, headers, body = http(stack.front + link[1])
    expect(status == 200 and b"<form" in body, f"confirm page answered {status}")
    form, cookies = form_state(headers, body)
    status, _, body = http(
        stack.front + link[1], data=form, headers={**origin, "Referer": SITE_URL + link[1], **cookies}
    )
    expect(status == 200 and b"confirmed" in body.lower(), f"confirming answered {status}: {body[:300]!r}")
    state = stack.manage(
        "shell",
        script=f"from newsletter.models import Subscriber\nprint(Subscriber.objects.get(email={SUBSCRIBER!r}).status)",
    )
    expect(state.strip().endswith("active"), f"the subscriber is {state.strip()!r} after confirming")
    checks.ok("confirming through the link's page and button made the subscriber active")


DIGEST_ARTICLE = """
from datetime import timedelta
from articles.models import Article, Author, Topic
from digests.building import digest_slot
article, _ = Article.objects.update_or_create(
    slug="stack-test-dispatch",
    defaults=dict(
        title="Stack test dispatch",
        dek="Published inside the due period, so the weekly digest carries it.",
        key_insights="The digest reached the sink through the worker.",
        body="<p>Written by the stack test.</p>",
        author=Author.objects.first(),
        status=Article.Status.PUBLISHED,
        published_at=digest_slot(cadence="weekly") - timedelta(hours=1),
    ),
)
article.topics.set(Topic.objects.all()[:1])
print(article.get_absolute_url())
"""

MEDIA_UPLOAD = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
name = default_storage.save("stack-test/probe.png", ContentFile(bytes.fromhex({png!r})))
print(default_storage.url(name))
"""


def check_digest(stack: Stack, checks: Checks) -> str:
    url = stack.manage("shell", script=DIGEST_ARTICLE).strip().splitlines()[-1]
    output = stack.manage("send_digest", "--cadence", "weekly")
    expect("1 sent" in output or "sent" in output.lower(), f"send_digest said: {output[-500:]}")
    digest = wait_for_mail(stack, "Vivold Weekly")
    text = text_part(digest)
    expect("Stack test dispatch" in text, "the digest lacks the article")
    # Article links pass through the counted redirect (insights), which leads to the article.
    link = re.search(re.escape(SITE_URL) + r"(/insights/digest/\d+/articles/[^\s?]+/\?s=\S+)", text)
    expect(link is not None, "the digest lacks the article's link")
    status, headers, _ = http(stack.front + link[1])
    location = (headers["Location"] or "").split("?")[0]
    expect(status in (301, 302) and location.endswith(url), f"the digest's article link led to {status} {location}")
    expect(digest["List-Unsubscribe"] and "/newsletter/unsubscribe/" in digest["List-Unsubscribe"],
           f"digest List-Unsubscribe: {digest['List-Unsubscribe']}")  # fmt: skip
    expect(digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", "digest lacks List-Unsubscribe-Post")
    archive = re.search(re.escape(SITE_URL) + r"(/newsletter/digests/\d+/)", text)
    expect(archive is not None, "the digest links no web-archive copy")
    status, _, _ = http(stack.front + archive[1])
    expect(status == 200, f"the digest's archive page answered {status}")
    checks.ok(f"digest sent with send_digest reached the sink through the worker ({digest['Subject']!r})")
    return archive[1]


def check_media_upload(stack: Stack, checks: Checks) -> str:
    url = stack.manage("shell", script=MEDIA_UPLOAD.format(png=PNG.hex())).strip().splitlines()[-1]
    status, _, body = http(stack.front + url)
    expect(status == 200 and body == PNG, f"the uploaded file {url} answered {status}")
    checks.ok(f"a file written to the media volume as the app's user is served at {url}")
    return url


def check_beat(stack: Stack, checks: Checks, timeout: float = 120) -> None:
    """Beat (the one scheduler) hands the every-minute sweeper to the worker through Redis."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = stack.run("logs", "--no-color", "worker", capture=True).stdout
        if "deliveries_reclaim_task" in logs:
            checks.ok("beat's every-minute task reached the worker through Redis")
            return
        time.sleep(3)
    raise StackFailure("no task from beat reached the worker")


def check_restart(stack: Stack, checks: Checks, *, media: str, archive: str, article: str) -> None:
    log("down, then up again")
    stack.run("down", "--timeout", "20")
    expect(not stack.containers(), "containers left after down")
    stack.up()
    status, _, body = http(stack.front + media)
    expect(status == 200 and body == PNG, f"after the restart the uploaded file answered {status}")
    status, _, _ = http(stack.front + archive)
    expect(status == 200, f"after the restart the digest archive answered {status}")
    status, _, _ = http(f"{stack.front}/articles/{article}/")
    expect(status == 200, f"after the restart the article answered {status}")
    state = stack.manage(
        "shell",
        script=f"from newsletter.models import Subscriber\nprint(Subscriber.objects.get(email={SUBSCRIBER!r}).status)",
    )
    expect(state.strip().endswith("active"), f"after the restart the subscriber is {state.strip()!r}")
    checks.ok("down and up again kept the database (subscriber, digest, articles) and the uploaded media")
