"""The stack `make stack-test` boots: the compose project (the production compose file with
deploy/stack-test/compose.yml on top, on free loopback ports), its images and their build.

Standard library only: it runs with the host's python3."""

import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / "deploy" / "wheels"
SITE_HOST = "vivold.test"
SITE_URL = f"https://{SITE_HOST}"
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
