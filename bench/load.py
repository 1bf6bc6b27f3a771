"""The load generator (wrk) and what is read off a run: requests/s, percentiles, errors, server CPU.

BENCH_CONNECTIONS (32) is wrk's number of connections, over two threads.
"""

import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .environment import PROXY_HEADERS
from .servers import Server

THREADS = 2
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))


def wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        print("wrk is missing: installing the Debian package", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        path = shutil.which("wrk")
    if path is None:
        sys.exit("bench_pages needs wrk: apt-get install wrk")
    return path


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int
    cpu_ms: float | None = None  # server CPU (all processes) per request


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        sys.exit(f"cannot read wrk's latency {text!r}")
    number, unit = found.groups()
    return float(number) * _UNITS[unit]


def wrk_command(*, connections: int = CONNECTIONS, seconds: int) -> list[str]:
    """wrk with its latency distribution, every request marked as from the TLS proxy."""
    command = [wrk(), f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header, value in PROXY_HEADERS.items():
        command += ["-H", f"{header}: {value}"]
    return command


def wrk_read(output: str) -> tuple[Load, int]:
    """The figures of wrk's report, and how many of its socket errors were timeouts.

    Percentiles are NaN when wrk printed no latency distribution."""
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    # The latency distribution's lines, not a thread-statistics column ending in 50%.
    p50 = re.search(r"^ +50% +(\S+)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^ +99% +(\S+)\s*$", output, re.MULTILINE)
    load = Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=ms(p50.group(1)) if p50 else math.nan,
        p99_ms=ms(p99.group(1)) if p99 else math.nan,
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        bad=(int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
    )
    return load, int(errors.group(4)) if errors else 0


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk_run(url: str, *, seconds: int, server: Server, script: Path | None = None) -> Load:
    """wrk against `url`, with the CPU time `server`'s processes spent meanwhile per request."""
    command = wrk_command(seconds=seconds)
    if script:
        command += ["-s", str(script)]
    pids = server.pids()
    cpu_before = cpu_seconds(pids)
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    if not re.search(r"^ +99% +\S+\s*$", output, re.MULTILINE):
        sys.exit(f"wrk printed no latency distribution for {url}:\n{output}")
    cpu = cpu_seconds(pids) - cpu_before
    load, _ = wrk_read(output)
    return replace(load, cpu_ms=cpu * 1000 / load.requests if load.requests else None)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
