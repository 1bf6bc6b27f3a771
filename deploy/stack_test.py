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

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stack_checks import (
    Checks,
    check_beat,
    check_digest,
    check_front_cache,
    check_media_upload,
    check_pages,
    check_restart,
    check_signup,
)
from stack_compose import Stack, StackFailure, build, log


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
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
    sys.exit(main(sys.argv[1:]))
