"""Container health check: ``python -m core.healthcheck [URL]``.

Asks the web process on this machine for /healthz, presenting the first
DJANGO_ALLOWED_HOSTS name as the Host (so host validation passes) and exits 0
only on a 200. The slim image has no curl; the standard library does.
"""

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    host = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".") or "localhost"
    request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our own loopback URL
            body = response.read(2000).decode(errors="replace")
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(2000).decode(errors="replace"), exc.code
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    print(f"{status} {body}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
