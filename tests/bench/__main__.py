"""`make bench`: runs every benchmark module in tests/bench/ (bench_*.py) as its own process.

Each prints its figures; docs/benchmarks.md records them. Benchmarks need PostgreSQL
(ORGONAUT_TEST_POSTGRES_URL) and Redis; they make their own throw-away databases.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    selected = [n for n in names if not sys.argv[1:] or n in sys.argv[1:]]
    failures = 0
    for name in selected:
        print(f"\n=== {name} ===", flush=True)
        result = subprocess.run([sys.executable, "-m", f"tests.bench.{name}"], cwd=HERE.parent.parent)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
