#!/usr/bin/env python3
"""Benchmark of the catalogue (issue 2): import 10,000 generated records into a fresh SQLite
catalogue through the real CLI code path, then time `projects list --json` over them.

Targets on a 2-core machine: import < 20 s with < 300 MB peak memory; list < 1 s.
Prints the figures; asserts nothing (timings belong here, never in tests).

    python scripts/bench_catalogue.py [--records 10000] [--format json|yaml|csv] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

AREAS = [
    "citizen-care",
    "services-formalities",
    "social-services",
    "participation-open-government",
    "planning-management",
    "comprehensive-transformation",
]
TOWNS = [  # name, INE code, region, population, latitude, longitude (cat_municipis_947.csv)
    ("Barcelona", "08019", "ES-B", 1660122, 41.38240539, 2.177241106),
    ("Girona", "17079", "ES-GI", 104320, 41.98315544, 2.824865628),
    ("Lleida", "25120", "ES-L", 143094, 41.61473059, 0.626842574),
    ("Tarragona", "43148", "ES-T", 138262, 41.11743424, 1.254358212),
    ("Tàrrega", "25217", "ES-L", 18268, 41.64628389, 1.139054429),
]


def generate(n: int, seed: int = 2, prefix: str = "bench") -> list[dict[str, Any]]:
    """n varied records; about 2,000 distinct local bodies, a third of them outside Catalonia.
    Also used by bench_sync.py and bench_loop.py."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        town = i % 2000
        if town % 3 == 2:
            body: dict[str, Any] = {
                "name": f"Gemeente Voorbeeld {town}",
                "country": "NL",
                "population": 10000 + town,
            }
        else:
            name, _code, region, population, lat, lon = TOWNS[town % len(TOWNS)]
            body = {
                "name": f"{name} {town}",
                "country": "ES",
                "region": region,
                "kind": "Ajuntament",
                "municipality_code": f"{90000 + town}",
                "population": population + town,
                "latitude": lat,
                "longitude": lon,
            }
        record: dict[str, Any] = {
            "ref": f"{prefix}-{i:05d}",
            "title": f"Projecte de transformació digital {i}",
            "local_body": body,
            "description": (
                "Descripció llarga amb accents (àèéíòóúç·l) i salts de línia.\n"
                * rng.randint(2, 12)
            ).strip(),
            "area": AREAS[i % 6],
            "kind": ("service", "process", "organisation")[i % 3],
            "phase": ("prototype", "pilot", "implemented")[(i // 3) % 3],
            "contacts": [
                {
                    "name": f"Persona {i}",
                    "email": f"p{i}@exemple.cat",
                    "forum_username": f"p{i}",
                    "public": i % 2 == 0,
                }
            ],
            "documents": [
                {"kind": "article", "title": f"Article {i}", "url": f"https://exemple.cat/p/{i}"}
            ],
            "analysis": {"technology": "Programari lliure", "benefits": "Menys cues"},
            "savings_eur_per_year": rng.randint(0, 100000),
        }
        records.append(record)
    return records


def _child(argv: list[str]) -> tuple[float, float, str]:
    """Run `python -m bridge ARGV` as its own process: (wall seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    # stderr goes to a file: an import's warnings can fill a pipe that nobody reads yet.
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", *argv], stdout=subprocess.PIPE, stderr=errors
        )
        stdout = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read()
    if proc.returncode != 0:
        sys.exit(
            f"digicanvis {' '.join(argv)} failed ({proc.returncode}): {stderr.decode()[:2000]}"
        )
    return seconds, usage.ru_maxrss / 1024, stdout.decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--format", choices=["json", "yaml", "csv"], default="json")
    parser.add_argument(
        "--keep", help="work in this directory and keep it (default: a temporary one)"
    )
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-catalogue-"))
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob("bench.db*"):
        stale.unlink()
    os.environ["BRIDGE_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    os.environ.pop("BRIDGE_HOME_REGION", None)

    from bridge.catalogue.formats import dumps

    source = work / f"records.{args.format}"
    source.write_text(dumps(generate(args.records), args.format), encoding="utf-8")

    # The import runs as its own process (`python -m bridge import`), so its peak memory is its own.
    _child(["db", "upgrade"])
    import_seconds, import_mb, import_out = _child(["import", str(source)])
    reimport_seconds, _, reimport_out = _child(["import", str(source)])
    process_list_seconds, list_mb, listed = _child(["projects", "list", "--json"])
    listed_count = len(json.loads(listed))

    # `projects list --json` in this process, through the same CLI code (interpreter start-up
    # excluded).
    from typer.testing import CliRunner

    from bridge.cli import app

    runner = CliRunner()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = runner.invoke(app, ["projects", "list", "--json"], catch_exceptions=False)
        timings.append(time.perf_counter() - started)
        assert result.exit_code == 0, result.stderr

    print(
        f"records:                         {args.records} ({args.format}, "
        f"{source.stat().st_size / 1e6:.1f} MB), {os.cpu_count()} cores"
    )
    print(
        f"import into a fresh SQLite:      {import_seconds:.2f} s wall, whole process   [target < "
        "20 s]"
    )
    print(f"  peak memory of that process:   {import_mb:.0f} MB max RSS   [target < 300 MB]")
    print(f"  said:                          {import_out.strip()}")
    print(f"re-import (nothing changed):     {reimport_seconds:.2f} s  -> {reimport_out.strip()}")
    print(
        f"projects list --json:            best {min(timings):.2f} s, worst {max(timings):.2f} s "
        f"of 3 in-process runs over {listed_count} records   [target < 1 s]"
    )
    print(
        f"  as a new process:              {process_list_seconds:.2f} s wall including interpreter "
        f"start-up, {list_mb:.0f} MB max RSS"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
