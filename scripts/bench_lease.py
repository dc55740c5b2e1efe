"""How soon a sync can start after the previous holder of the lease was killed with SIGKILL.

A child process takes the sync lease and hangs; it is killed with SIGKILL; the time until this
process holds the lease is printed (before: up to the 90 s lease TTL). SQLite always; PostgreSQL
too with --postgres-url (a scratch database: the script creates the schema in it).

    .venv/bin/python scripts/bench_lease.py [--postgres-url postgresql+psycopg://postgres@127.0.0.1/db]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bridge.db import make_engine, upgrade  # noqa: E402
from bridge.sync.lease import SYNC_LEASE, LeaseHandle  # noqa: E402

CHILD = (
    "import sys, time\n"
    "from bridge.db import make_engine\n"
    "from bridge.sync.lease import LeaseHandle\n"
    "lease = LeaseHandle.acquire(make_engine(sys.argv[1]), 'sync', holder='doomed')\n"
    "print('held', flush=True)\n"
    "time.sleep(600)\n"
)


def measure(url: str) -> float:
    engine = make_engine(url)
    upgrade(engine)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    child.kill()
    child.wait()
    started = time.perf_counter()
    while True:
        try:
            with LeaseHandle.acquire(engine, SYNC_LEASE, holder="re-run"):
                return time.perf_counter() - started
        except Exception:
            if time.perf_counter() - started > 120:
                raise
            time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seconds = measure(f"sqlite:///{tmp}/bench.db")
        print(f"sqlite: re-run after SIGKILL held the lease after {seconds * 1000:.1f} ms")
    if args.postgres_url:
        seconds = measure(args.postgres_url)
        print(f"postgresql: re-run after SIGKILL held the lease after {seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()
