"""Time and memory of drawing the observatory's maps and charts (issue 24).

    python scripts/bench_visual.py [N ...] [--out DIR]

For each N (default 1000 and 10000) builds N records shaped as `projects list --json` gives
them: two thirds Km0 at real Catalan municipalities (the built-in gazetteer, larger towns more
often, as in real inventories), one third at European cities; areas, phases and first-import
months spread over three years. Draws every picture the forum shows (the overview's two maps
and three charts, one map per area) and prints the wall time, the peak resident memory of the
process and each picture's size. `--out DIR` also writes the PNGs there, to look at them.
Target: 10,000 records in under 3 s and 300 MB; every PNG under Discourse's default
max_image_size_kb (4096). The CPU time is printed too: on a shared machine the wall time
includes waiting for a core.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.models.enums import Area  # noqa: E402
from bridge.places.registries import builtin_rows  # noqa: E402
from bridge.rules.discourse import MAX_IMAGE_SIZE_KB  # noqa: E402

CITIES = (  # (name, longitude, latitude, population): a few European cities
    ("Lisboa", -9.14, 38.72, 545000), ("Porto", -8.61, 41.15, 232000),
    ("Madrid", -3.70, 40.42, 3300000), ("València", -0.38, 39.47, 800000),
    ("Bilbao", -2.93, 43.26, 345000), ("Toulouse", 1.44, 43.60, 493000),
    ("Perpignan", 2.90, 42.70, 119000), ("Lyon", 4.84, 45.76, 522000),
    ("Paris", 2.35, 48.86, 2100000), ("Bruxelles", 4.35, 50.85, 185000),
    ("Amsterdam", 4.90, 52.37, 880000), ("Utrecht", 5.12, 52.09, 361000),
    ("Berlin", 13.40, 52.52, 3700000), ("Hamburg", 9.99, 53.55, 1900000),
    ("München", 11.58, 48.14, 1500000), ("Wien", 16.37, 48.21, 1900000),
    ("Milano", 9.19, 45.46, 1400000), ("Bologna", 11.34, 44.49, 390000),
    ("Roma", 12.50, 41.90, 2800000), ("Ljubljana", 14.51, 46.06, 285000),
    ("København", 12.57, 55.68, 640000), ("Stockholm", 18.07, 59.33, 980000),
    ("Helsinki", 24.94, 60.17, 660000), ("Tallinn", 24.75, 59.44, 440000),
    ("Warszawa", 21.01, 52.23, 1800000), ("Praha", 14.42, 50.09, 1300000),
    ("Dublin", -6.26, 53.35, 590000), ("Athina", 23.73, 37.98, 640000),
    ("Gent", 3.72, 51.05, 265000), ("Tampere", 23.76, 61.50, 245000),
)  # fmt: skip
PHASES = ("prototype", "pilot", "implemented")


def generate(n: int, seed: int = 24) -> tuple[list[dict[str, Any]], list[date]]:
    rng = random.Random(seed)
    towns = [r for r in builtin_rows() if r.latitude is not None]
    weights = [(r.population or 1) ** 0.6 for r in towns]
    areas = [a.value for a in Area]
    records, created = [], []
    for i in range(n):
        if i % 3 == 2:
            name, lon, lat, population = CITIES[rng.randrange(len(CITIES))]
            place = None
            body = {"name": name, "country": "XX", "latitude": lat, "longitude": lon,
                    "population": population}  # fmt: skip
            proximity = "foreign"
        else:
            town = rng.choices(towns, weights)[0]
            place = {"code": town.code, "name": town.name, "population": town.population,
                     "latitude": town.latitude, "longitude": town.longitude,
                     "comarca": town.comarca}  # fmt: skip
            body = {"name": f"Ajuntament de {town.name}", "country": "ES", "region": "ES-CT"}
            proximity = "km0"
        records.append(
            {
                "ref": f"visual-{i:05d}",
                "title": f"Projecte {i}",
                "area": areas[rng.randrange(6)],
                "phase": PHASES[rng.randrange(3)],
                "proximity": proximity,
                "archived": False,
                "local_body": body,
                "place": place,
            }
        )
        month = rng.randrange(36)
        created.append(date(2023 + month // 12, month % 12 + 1, 1 + rng.randrange(28)))
    return records, created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--out", type=Path, help="write the PNGs into this directory")
    args = parser.parse_args()
    from bridge.settings import load_settings
    from bridge.visual.pictures import area_picture, overview_pictures

    settings = load_settings()
    for n in args.sizes:
        records, created = generate(n)
        started, cpu = time.perf_counter(), time.process_time()
        pictures = overview_pictures(records, created, settings)
        pictures += [area_picture(records, settings, a.value) for a in Area]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        largest = max(len(p.data) for p in pictures)
        print(
            f"{n:>6} records: {len(pictures)} pictures in {elapsed:.2f} s ({cpu:.2f} s CPU), "
            f"peak RSS {peak_mb:.0f} MB, largest PNG {largest / 1024:.0f} KiB "
            f"(Discourse's default limit {MAX_IMAGE_SIZE_KB} KiB)"
        )
        for picture in pictures:
            width, height = picture.size
            print(f"    {picture.key:<42} {width}x{height}  {len(picture.data) / 1024:6.0f} KiB")
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"{n}-{picture.filename}").write_bytes(picture.data)


if __name__ == "__main__":
    main()
