#!/usr/bin/env python3
"""Benchmark of the open data (issue 13): publish 10,000 records with `digicanvis opendata DIR`.

Imports the generated records of bench_catalogue.py into a fresh SQLite catalogue, then times
`digicanvis opendata DIR` as its own process (first write, then a refresh of the unchanged
catalogue, which writes nothing) and the same command in-process.

Target on a 2-core machine: 10,000 records published in < 10 s.
Prints the figures; asserts nothing (timings belong here, never in tests).

    python scripts/bench_opendata.py [--records 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_catalogue import _child, generate  # a sibling script


def _timed_child(argv: list[str]) -> tuple[float, float, float, str]:
    """`python -m bridge ARGV` as its own process: wall s, CPU s (user + system), peak MB, stdout.
    CPU time is what the figure costs on an idle machine; wall time depends on the load."""
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--keep", help="work in this directory and keep it")
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-opendata-"))
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob("bench.db*"):
        stale.unlink()
    shutil.rmtree(work / "open", ignore_errors=True)
    os.environ["BRIDGE_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    os.environ.pop("BRIDGE_HOME_REGION", None)

    from bridge.catalogue.formats import dumps

    source = work / "records.json"
    source.write_text(dumps(generate(args.records), "json"), encoding="utf-8")
    _child(["db", "upgrade"])
    _child(["import", str(source)])

    out = work / "open"
    first, first_cpu, first_mb, said = _timed_child(["opendata", str(out)])
    again, again_cpu, _, said_again = _timed_child(["opendata", str(out)])

    from typer.testing import CliRunner

    from bridge.cli import app

    runner = CliRunner()
    timings, cpu = [], []
    for n in range(3):
        target = work / f"open-{n}"
        started, started_cpu = time.perf_counter(), time.process_time()
        result = runner.invoke(app, ["opendata", str(target)], catch_exceptions=False)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert result.exit_code == 0, result.stderr
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}

    print(f"records:                       {args.records}, {os.cpu_count()} cores")
    print(
        f"opendata DIR, new process:     {first:.2f} s wall, {first_cpu:.2f} s CPU, "
        f"{first_mb:.0f} MB max RSS   [target < 10 s]"
    )
    print(f"  said:                        {said.strip()}")
    print(
        f"again, catalogue unchanged:    {again:.2f} s wall, {again_cpu:.2f} s CPU"
        f"  -> {said_again.strip()}"
    )
    print(
        f"in-process:                    best {min(timings):.2f} s, worst {max(timings):.2f} s "
        f"of 3 (interpreter start-up excluded); CPU {min(cpu):.2f} s (load-independent)"
    )
    print(f"machine load average:          {os.getloadavg()[0]:.1f} over {os.cpu_count()} cores")
    print(
        "files:                         "
        + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items())
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
