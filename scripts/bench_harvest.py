#!/usr/bin/env python3
"""Benchmark of the harvest (issue 23): the JRC inventory (the full 2022 CSV of ../shared/data)
harvested from a local HTTP server into a fresh SQLite catalogue, then harvested again with
nothing changed.

Each harvest runs as `digicanvis harvest URL --json` in its own process (wall time, CPU time and
peak memory of the whole process); "rows written" compares the catalogue before and after the
re-harvest (row counts, revisions, the latest `updated_at` and the source's `checked_at`).

Targets on a 2-core machine: the first harvest < 10 s and < 300 MB; the re-harvest < 1 s and
0 rows written. Prints the figures; asserts nothing.

    python scripts/bench_harvest.py [--shared ../shared] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

JRC = "projects_jrc_ipsx_cases_2022.csv"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _timed(argv: list[str]) -> tuple[float, float, float, str]:
    """wall s, CPU s, peak MB and stdout of `python -m bridge ARGV` as its own process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout, stderr = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"digicanvis {' '.join(argv)} failed: {stderr.decode()[:2000]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout.decode()


def _state(db: Path) -> tuple[int, int, str]:
    """Rows, the sum of revisions and the latest write: any row written changes one of them."""
    with sqlite3.connect(db) as conn:
        rows = sum(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("project", "local_body", "document", "contact", "harvest_source")
        )
        revisions, latest = conn.execute(
            "SELECT coalesce(sum(revision), 0), coalesce(max(updated_at), '') FROM project"
        ).fetchone()
        checked = conn.execute(
            "SELECT coalesce(max(checked_at), '') FROM harvest_source"
        ).fetchone()
    return rows, revisions, f"{latest}|{checked[0]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--keep", help="work in this directory and keep it")
    args = parser.parse_args()
    data = Path(args.shared) / "data"
    if not (data / JRC).is_file():
        sys.exit(f"{data / JRC} not found (--shared)")

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-harvest-"))
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob("bench.db*"):
        stale.unlink()
    db = work / "bench.db"
    os.environ["BRIDGE_DATABASE_URL"] = f"sqlite:///{db}"
    _timed(["db", "upgrade"])  # (its figures are not the harvest's)

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(data)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{JRC}"
    try:
        wall, cpu, peak, said = _timed(["harvest", url, "--slug", "jrc", "--json"])
        first = json.loads(said)["sources"][0]
        before = _state(db)
        again_wall, again_cpu, again_peak, said_again = _timed(
            ["harvest", url, "--slug", "jrc", "--json"]
        )
        again = json.loads(said_again)["sources"][0]
        after = _state(db)
    finally:
        server.shutdown()
        server.server_close()

    size = (data / JRC).stat().st_size
    print(f"JRC inventory {JRC} ({size / 2**20:.2f} MB) over HTTP from 127.0.0.1")
    print(
        f"first harvest: {first['added']} added ({len(first['warnings'])} warnings: rows that "
        f"cannot be fitxes, normalised titles), {wall:.2f} s wall, {cpu:.2f} s CPU, "
        f"{peak:.0f} MB peak (target < 10 s, < 300 MB)"
    )
    written = 0 if before == after else "some"
    print(
        f"re-harvest, nothing changed: {'unchanged' if again['not_modified'] else 'READ'} "
        f"({again['note']}), {again_wall:.2f} s wall, {again_cpu:.2f} s CPU, "
        f"{again_peak:.0f} MB peak, rows written: {written} (target < 1 s, 0 rows)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
