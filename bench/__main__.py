"""Run every benchmark module in this package (bench_*.py), or those named on the command line."""

import importlib
import pkgutil
import sys
from pathlib import Path

USAGE = "usage: python -m bench [bench_NAME ...]   (make bench BENCH_ARGS='bench_NAME ...')"


def _available() -> list[str]:
    return sorted(
        info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)]) if info.name.startswith("bench_")
    )


def _summary(module) -> str:
    return module.__doc__.strip().splitlines()[0] if module.__doc__ else ""


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        print("Runs the benchmarks named, or all of them; each prints its figures (see docs/benchmarks.md).")
        for name in _available():
            print(f"  {name}: {_summary(importlib.import_module(f'bench.{name}'))}")
        return 0
    names = argv or _available()
    if not names:
        print("no benchmarks found")
        return 1
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {_summary(module)}", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
