#!/usr/bin/env python3
"""Benchmark of the intake (issue 10): spreadsheets, the gazetteer, and where real bodies land.

1. Import of 10,000 records from an .xlsx into a fresh SQLite catalogue, as its own process
   (targets on a 2-core machine: < 20 s, < 300 MB peak memory).
2. `places load` of Eurostat's LAU centres (63,645 rows; target < 10 s), then IGN's Nomenclátor.
3. Resolution of every local body of the JRC local subset and of the Catalan Decidim list, as
   published: how many placed, how many unresolved and why.
Prints the figures; asserts nothing.

    python scripts/bench_intake.py [--records 10000] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_catalogue import generate

ROOT = Path(__file__).resolve().parent.parent


def _child(argv: list[str]) -> tuple[float, float, float, str]:
    """Run `python -m bridge ARGV`: (wall s, CPU s, peak RSS MB, stdout). CPU time is printed too
    because this machine is shared: under load, wall time says more about the neighbours."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:  # warnings may be many: never an unread pipe
        proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", *argv], stdout=subprocess.PIPE, stderr=errors
        )
        stdout = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            sys.exit(f"digicanvis {' '.join(argv)} failed: {errors.read().decode()[:2000]}")
    wall = time.perf_counter() - started
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout.decode()


def _resolution_table(title: str, bodies: list[tuple[str, str, str]], gazetteer) -> None:
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for name, country, kind in bodies:
        found = gazetteer.resolve(country, name, kind or None)
        key = "placed" if found.place else f"unresolved: {found.reason.value}"
        counts[key] += 1
        examples.setdefault(key, [])
        if len(examples[key]) < 3:
            examples[key].append(" ".join(name.split()))
    print(f"\n{title}: {len(bodies)} local bodies")
    for key, count in sorted(counts.items(), key=lambda kv: (kv[0] != "placed", -kv[1])):
        print(f"  {key:<55} {count:>4}   e.g. {'; '.join(examples[key])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = parser.parse_args()
    data = Path(args.shared) / "data"
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    os.environ["BRIDGE_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"

    from bridge.catalogue.spreadsheet import write_xlsx

    source = work / "records.xlsx"
    records = generate(args.records)
    for record in records:  # bench_catalogue's codes are made up; names place them (or not)
        record["local_body"].pop("municipality_code", None)
    source.write_bytes(write_xlsx(records))
    _child(["db", "upgrade"])
    seconds, cpu, mb, said = _child(["import", str(source)])
    size = source.stat().st_size / 1e6
    load = os.getloadavg()[0]
    print(
        f"records: {args.records} (.xlsx, {size:.1f} MB), {os.cpu_count()} cores, load {load:.1f}"
    )
    print(
        f"import from .xlsx into a fresh SQLite: {seconds:.2f} s wall, {cpu:.2f} s CPU, "
        f"{mb:.0f} MB max RSS   [targets < 20 s, < 300 MB]"
    )
    print(f"  said: {said.strip()}")

    lau = data / "eu_lau_centres_2020_nuts2021.csv"
    seconds, cpu, mb, said = _child(["places", "load", str(lau)])
    print(
        f"places load LAU centres (63,645 rows): {seconds:.2f} s wall, {cpu:.2f} s CPU, "
        f"{mb:.0f} MB max RSS   [target < 10 s]"
    )
    seconds, cpu, _, _ = _child(["places", "load", str(lau)])
    print(f"  again (safe to repeat): {seconds:.2f} s wall, {cpu:.2f} s CPU")
    seconds, cpu, _, _ = _child(["places", "load", str(data / "es_municipios_ign_ngmep2024.csv")])
    print(f"places load IGN Nomenclátor (8,132 rows): {seconds:.2f} s wall, {cpu:.2f} s CPU")

    from bridge.db import make_engine
    from bridge.places import store

    engine = make_engine(os.environ["BRIDGE_DATABASE_URL"])
    with engine.begin() as conn:
        store.ensure_builtin(conn)
        gazetteer = store.gazetteer(conn)
    engine.dispose()

    with open(data / "projects_jrc_ipsx_local_subset.csv", encoding="utf-8") as handle:
        jrc = [
            (row["lead_organisation_name"] or row["geocoverage"], row["geocoverage_codes"][:2],
             row["lead_organisation_category"])
            for row in csv.DictReader(handle)
        ]  # fmt: skip
    _resolution_table("JRC local subset (lead organisation, country, category)", jrc, gazetteer)
    with open(data / "projects_decidim_installations.csv", encoding="utf-8") as handle:
        decidim = [
            (row["title"], "ES", row["type"])
            for row in csv.DictReader(handle)
            if row["derived_country_code"] == "ES" and row["derived_admin1_code"] == "56"
        ]
    _resolution_table("Catalan Decidim installations (title, type)", decidim, gazetteer)
    _resolution_table("  of which type=city", [b for b in decidim if b[2] == "city"], gazetteer)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
