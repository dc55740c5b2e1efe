#!/usr/bin/env python3
"""Benchmark of the CLI's start-up and read path (issue 15), whole processes, median of five,
every ratio measured in one run (the runs of the two sides interleaved, so that a busy machine
slows both alike). Prints the figures; asserts nothing (timings belong here, never in tests).

- `digicanvis --help` against `python -c "import typer"`           target <= 2.5x
- `projects list --json` over 10,000 records against the floor,
  `scripts/floor_json.py` reading that listing's own output         target <= 1.5x
- peak memory of that listing                                       target < 150 MB
- `projects show REF --json`, `status --json` and `export` for information.
- with --importtime: what each top-level package costs to import for `--help` and for the listing.

    python scripts/bench_cli.py [--records 10000] [--runs 5] [--keep DIR] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


def _digicanvis() -> list[str]:
    """The installed console script when there is one (what people type), else python -m bridge."""
    script = Path(sys.executable).with_name("digicanvis")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bridge"]


def _run(argv: list[str], stdout: int | object = subprocess.DEVNULL) -> tuple[float, float, float]:
    """One whole process: (wall seconds, peak RSS in MB, CPU seconds: user + system)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)  # type: ignore[arg-type]
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed: {stderr.decode()[:2000]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _medians(commands: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float, float]]:
    """Median seconds, highest peak RSS and median CPU seconds per command, runs interleaved.
    On a shared machine under load, CPU time is the steadier measure of the two."""
    seconds: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    peak: dict[str, float] = defaultdict(float)
    for _ in range(runs):
        for name, argv in commands.items():
            wall, mb, used = _run(argv)
            seconds[name].append(wall)
            cpu[name].append(used)
            peak[name] = max(peak[name], mb)
    return {
        name: (statistics.median(seconds[name]), peak[name], statistics.median(cpu[name]))
        for name in commands
    }


def _import_table(args: list[str], top: int = 12) -> list[tuple[str, float]]:
    """Import time by top-level package (self times summed, milliseconds), from -X importtime."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bridge", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    by_package: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            by_package[match[2].split(".")[0]] += int(match[1]) / 1000
    ranked = sorted(by_package.items(), key=lambda item: -item[1])
    return [("(all)", sum(by_package.values())), *ranked[:top]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="work in this directory and keep it (reused when filled)")
    parser.add_argument("--importtime", action="store_true", help="also print import costs")
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-cli-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["BRIDGE_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    for name in ("BRIDGE_HOME_REGION", "BRIDGE_CONFIG", "DISCOURSE_URL", "DISCOURSE_API_KEY"):
        os.environ.pop(name, None)
    cli = _digicanvis()
    marker = work / f"filled-{args.records}"
    if not marker.exists():
        sys.path.insert(0, str(SCRIPTS))
        from bench_catalogue import generate

        from bridge.catalogue.formats import dumps

        for stale in work.glob("bench.db*"):
            stale.unlink()
        source = work / "records.json"
        source.write_text(dumps(generate(args.records), "json"), encoding="utf-8")
        _run([*cli, "db", "upgrade"])
        _run([*cli, "import", str(source)])
        marker.touch()

    listing = work / "listing.json"
    with open(listing, "wb") as handle:
        _run([*cli, "projects", "list", "--json"], stdout=handle)
    size_mb = listing.stat().st_size / 1e6
    python = sys.executable
    figures = _medians(
        {
            "typer": [python, "-c", "import typer"],
            "help": [*cli, "--help"],
            "floor": [python, str(SCRIPTS / "floor_json.py"), str(listing)],
            "list": [*cli, "projects", "list", "--json"],
            "show": [*cli, "projects", "show", "bench-00042", "--json"],
            "status": [*cli, "status", "--json"],
            "export": [*cli, "export", str(work / "export.json")],
            "challenges": [*cli, "challenges", "list", "--json"],
        },
        args.runs,
    )

    def sec(name: str) -> float:
        return figures[name][0]

    print(
        f"{args.records} records ({size_mb:.1f} MB of listing), {os.cpu_count()} cores, "
        f"median of {args.runs} whole processes, {' '.join(Path(c).name for c in cli)}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} (1 min)")
    print(f"python -c 'import typer'        {sec('typer'):.3f} s")
    print(
        f"digicanvis --help               {sec('help'):.3f} s   "
        f"{sec('help') / sec('typer'):.2f}x import typer   [target <= 2.5x]"
    )
    print(f"scripts/floor_json.py           {sec('floor'):.3f} s")
    print(
        f"projects list --json            {sec('list'):.3f} s   "
        f"{sec('list') / sec('floor'):.2f}x the floor   [target <= 1.5x]"
    )
    print(
        f"  peak memory of the listing    {figures['list'][1]:.0f} MB max RSS   [target < 150 MB]"
        f"   (floor: {figures['floor'][1]:.0f} MB)"
    )
    for name, label in (
        ("show", "projects show REF --json"),
        ("status", "status --json"),
        ("export", "export FILE.json"),
        ("challenges", "challenges list --json"),
    ):
        used, help_used = figures[name][2], figures["help"][2]
        print(
            f"{label:<32}{sec(name):.3f} s   {sec(name) / sec('typer'):.2f}x import typer, "
            f"{sec(name) / sec('help'):.2f}x --help; CPU {used:.3f} s, "
            f"{used / help_used:.2f}x --help's   [issue 20: export, challenges <= 3x]"
        )
    if args.importtime:
        for command in (["--help"], ["projects", "list", "--json"]):
            print(f"\nimport time of `digicanvis {' '.join(command)}` by package (ms, one run):")
            for package, ms in _import_table(command):
                print(f"  {package:<24}{ms:8.1f}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
