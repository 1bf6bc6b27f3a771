"""`make stack-test`: build the image, boot the whole compose stack, check it end to end.

Runs on the host with the standard library only. It builds the project's image,
starts migrate, web, worker, beat, postgres, redis, varnish (when
deploy/varnish/start.sh is in the tree) and an SMTP sink (deploy/stack-test/), waits
until every service is healthy, and talks to the stack only through the ports it
publishes on 127.0.0.1: pages and their landmarks, a signup whose confirmation mail
the worker delivers to the sink, the confirmation, a digest sent through the
worker, /healthz; then `down` and `up` again must keep the database and the
uploaded media. Whatever happens, it removes the containers, networks and volumes
it started, and on a failure prints each service's last log lines first.

STACK_IMAGES=local (the default) builds on local images (deploy/images/build.sh:
debootstrap, Debian's packages) and installs Python packages from wheels pip
downloads on the host; STACK_IMAGES=public uses python:3.11-slim, postgres, redis
and debian from the registry and lets pip use the index, as an operator's server does.
"""

import email
import email.policy
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / "deploy" / "wheels"
SITE_HOST = "vivold.test"
SITE_URL = f"https://{SITE_HOST}"
SUBSCRIBER = "stack-test-reader@example.org"
APP_SERVICES = ["migrate", "web", "worker", "beat"]
LOCAL_IMAGES = {
    "PYTHON_IMAGE": "vivold-local/python:3.11",
    "DEBIAN_IMAGE": "vivold-local/debian:bookworm",
    "POSTGRES_IMAGE": "vivold-local/postgres:15",
    "REDIS_IMAGE": "vivold-local/redis:7",
}
# pip download evaluates environment markers with the host's Python, not the image's:
# these are what the image's Python needs beyond that (Debian bookworm's 3.11.2 takes
# async-timeout for redis, `python_full_version < "3.11.3"`), pinned in constraints.txt.
MARKER_REQUIREMENTS = ["async-timeout"]
# 1x1 PNG: what an editor's upload leaves in the media volume, in small.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201"
    "f3d1b4a50000000049454e44ae426082"
)


class StackFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} stack-test: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def compose_command() -> list[str]:
    if os.environ.get("COMPOSE"):
        return shlex.split(os.environ["COMPOSE"])
    if subprocess.run(["docker", "compose", "version"], check=False, capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise StackFailure("neither `docker compose` nor `docker-compose` is installed")


# --- HTTP, as the TLS proxy in front would speak to the stack ----------------


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


# --- the stack -----------------------------------------------------------------


class Stack:
    def __init__(self, workdir: Path, *, local: bool) -> None:
        self.local = local
        self.varnish = (ROOT / "deploy" / "varnish" / "start.sh").exists()
        self.project = os.environ.get("COMPOSE_PROJECT_NAME", "vivold-stack-test")
        # STACK_WEB_PORT, STACK_VARNISH_PORT, STACK_SINK_PORT choose them; free ones otherwise.
        ports = ("WEB_PORT", "VARNISH_PORT", "SINK_PORT")
        self.ports = {name: int(os.environ.get(f"STACK_{name}") or free_port()) for name in ports}
        app_env = workdir / "app.env"
        app_env.write_text(
            "\n".join(
                [
                    f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}",
                    "DJANGO_DEBUG=0",
                    f"DJANGO_ALLOWED_HOSTS={SITE_HOST},localhost,127.0.0.1",
                    f"SITE_URL={SITE_URL}",
                    "EMAIL_URL=smtp://smtp-sink:1025",
                    f"DEFAULT_FROM_EMAIL=Vivold Insights <insights@{SITE_HOST}>",
                    "",
                ]
            )
        )
        variables = {
            "COMPOSE_PROJECT_NAME": self.project,
            "VIVOLD_ENV_FILE": str(app_env),
            "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
            "WEB_BIND": "127.0.0.1",
            "VARNISH_BIND": "127.0.0.1",
            **{name: str(port) for name, port in self.ports.items()},
        }
        if local:
            variables |= LOCAL_IMAGES | {"PIP_NO_INDEX": "1", "BUILD_NETWORK": "host"}
        compose_env = workdir / "compose.env"
        compose_env.write_text("".join(f"{name}={value}\n" for name, value in variables.items()))
        self.env = {**os.environ, **variables}
        files = ["-f", str(ROOT / "docker-compose.yml"), "-f", str(ROOT / "deploy" / "stack-test" / "compose.yml")]
        self.compose = [*compose_command(), "--project-directory", str(ROOT), "--env-file", str(compose_env), *files]
        self.services = [*APP_SERVICES, "postgres", "redis", "smtp-sink"] + (["varnish"] if self.varnish else [])
        self.web = f"http://127.0.0.1:{self.ports['WEB_PORT']}"
        self.front = f"http://127.0.0.1:{self.ports['VARNISH_PORT']}" if self.varnish else self.web
        self.sink = f"http://127.0.0.1:{self.ports['SINK_PORT']}"

    def run(self, *args: str, timeout: float = 900, capture: bool = False, check: bool = True, stdin=None):
        result = subprocess.run(
            [*self.compose, *args],
            check=False,
            env=self.env,
            cwd=ROOT,
            timeout=timeout,
            text=True,
            capture_output=capture,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            detail = (result.stdout or "")[-2000:] + (result.stderr or "")[-2000:] if capture else ""
            raise StackFailure(f"`compose {' '.join(args)}` exited {result.returncode}\n{detail}")
        return result

    def manage(self, *args: str, script: str | None = None) -> str:
        """A management command in the running web container, as its own user."""
        command = ["exec", "-T", "web", "python", "manage.py", *args]
        result = subprocess.run(
            [*self.compose, *command],
            check=False,
            env=self.env,
            cwd=ROOT,
            input=script or "",
            text=True,
            capture_output=True,
            timeout=300,
        )
        if result.returncode != 0:
            output = result.stdout + result.stderr
            raise StackFailure(f"manage.py {' '.join(args)} exited {result.returncode}:\n{output}")
        return result.stdout

    def containers(self) -> dict[str, dict]:
        ids = self.run("ps", "-a", "-q", capture=True).stdout.split()
        if not ids:
            return {}
        inspected = json.loads(
            subprocess.run(["docker", "inspect", *ids], check=False, capture_output=True, text=True).stdout
        )
        return {c["Config"]["Labels"].get("com.docker.compose.service", c["Name"]): c for c in inspected}

    def wait_healthy(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states, waiting = self.containers(), []
            for name in self.services:
                state = states.get(name, {}).get("State")
                if state is None:
                    waiting.append(f"{name}: no container")
                elif name == "migrate":
                    if state["Status"] == "exited" and state["ExitCode"] != 0:
                        raise StackFailure(f"migrate exited {state['ExitCode']}")
                    if state["Status"] != "exited":
                        waiting.append("migrate: running")
                elif state["Status"] != "running":
                    raise StackFailure(f"{name} is {state['Status']} (exit code {state.get('ExitCode')})")
                elif "Health" in state and state["Health"]["Status"] != "healthy":
                    if state["Health"]["Status"] == "unhealthy":
                        raise StackFailure(f"{name} is unhealthy: {state['Health']['Log'][-1:]}")
                    waiting.append(f"{name}: {state['Health']['Status']}")
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise StackFailure("not healthy in time: " + ", ".join(waiting))
            time.sleep(1)

    def up(self) -> None:
        self.run("up", "-d", "--no-build", *self.services)
        self.wait_healthy()

    def print_logs(self) -> None:
        self.run("ps", "-a", check=False)
        for name in self.services:
            print(f"----- last log lines of {name} -----", flush=True)
            self.run("logs", "--no-color", "--tail", "40", name, check=False)

    def remove(self, *, quiet: bool = False) -> None:
        self.run("down", "-v", "--remove-orphans", "--timeout", "10", check=False, timeout=300, capture=quiet)


# --- building --------------------------------------------------------------------


def download_wheels() -> None:
    """What pip inside the build installs from: wheels for the image's Python (CPython 3.11 on
    x86-64 glibc), downloaded on the host, which reaches the index, with the pinned versions."""
    stamp = WHEELS / (".stamp-" + str(hash_files(ROOT / "requirements.txt", ROOT / "constraints.txt")))
    if stamp.exists():
        return
    for old in WHEELS.glob("*.whl"):
        old.unlink()
    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(17, 37)] + ["manylinux2014_x86_64"]
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    command += ["-r", "requirements.txt", *MARKER_REQUIREMENTS, "-c", "constraints.txt", "-d", str(WHEELS)]
    command += ["--only-binary=:all:"]
    command += ["--python-version", "3.11", "--implementation", "cp"]
    command += ["--abi", "cp311", "--abi", "abi3", "--abi", "none"]
    for platform in platforms:
        command += ["--platform", platform]
    result = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackFailure(f"pip download failed:\n{result.stdout}{result.stderr}")
    for old in WHEELS.glob(".stamp-*"):
        old.unlink()
    stamp.touch()


def hash_files(*paths: Path) -> int:
    import zlib

    return zlib.crc32(b"".join(path.read_bytes() for path in paths))


def build(stack: Stack) -> None:
    if stack.local:
        log("local images (deploy/images/build.sh: kept when present)")
        subprocess.run(["bash", str(ROOT / "deploy" / "images" / "build.sh")], check=True)
        log("wheels for the build (pip download on the host)")
        download_wheels()
    log("building the image")
    stack.run("build", "migrate")
    if stack.varnish:
        log("building the front cache's image")
        stack.run("build", "varnish")


# --- the checks ------------------------------------------------------------------


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


def main() -> int:
    mode = os.environ.get("STACK_IMAGES", "local")
    if mode not in ("local", "public"):
        print("STACK_IMAGES is local or public", file=sys.stderr)
        return 2
    if subprocess.run(["docker", "info"], check=False, capture_output=True).returncode != 0:
        print("stack-test: no Docker engine answers (start dockerd, or run .ci/run)", file=sys.stderr)
        return 2
    started = time.monotonic()
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="vivold-stack-") as workdir:
        stack = Stack(Path(workdir), local=mode == "local")
        log(f"{mode} images; project {stack.project}; ports web {stack.web}, sink {stack.sink}"
            + (f", varnish {stack.front}" if stack.varnish else ""))  # fmt: skip
        stack.remove(quiet=True)  # what an interrupted run may have left
        failed = None
        try:
            build(stack)
            log(f"built in {time.monotonic() - started:.0f} s; starting the stack")
            booted = time.monotonic()
            stack.up()
            checks.ok(f"every service up and healthy in {time.monotonic() - booted:.0f} s: {', '.join(stack.services)}")
            if not stack.varnish:
                checks.skip("varnish: deploy/varnish/start.sh is not in this tree; pages checked on web directly")
            print(stack.manage("seed_demo").strip(), flush=True)
            article = check_pages(stack, checks)
            if stack.varnish:
                check_front_cache(stack, checks, article)
            check_signup(stack, checks)
            archive = check_digest(stack, checks)
            media = check_media_upload(stack, checks)
            check_beat(stack, checks)
            check_restart(stack, checks, media=media, archive=archive, article=article)
        except (StackFailure, subprocess.SubprocessError, OSError) as error:
            failed = error
            log(f"FAILED: {error}")
            stack.print_logs()
        except BaseException:
            stack.print_logs()
            raise
        finally:
            if failed and os.environ.get("STACK_KEEP"):
                log(f"STACK_KEEP is set: the stack stays up (COMPOSE_PROJECT_NAME={stack.project})")
            else:
                log("removing the stack's containers, networks and volumes")
                stack.remove()
    log(f"took {time.monotonic() - started:.0f} s")
    print(f"stack-test: {checks.passed} passed, {1 if failed else 0} failed, {checks.skipped} skipped", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
