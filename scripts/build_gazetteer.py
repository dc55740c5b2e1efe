"""Build the gazetteer's built-in package data: the 947 Catalan municipalities.

    python scripts/build_gazetteer.py [SHARED_DATA_DIR]   (default ../shared/data)

Reads the public tables described in ../shared/data/SOURCES.md:
- cat_municipis_geo_gencat_20260221.csv (Generalitat de Catalunya, "Municipis Catalunya Geo",
  open data with attribution): code, name, comarca, position;
- cat_municipis_947.csv (the same municipalities joined with IGN/CNIG's Nomenclátor NGMEP 2024,
  CC BY 4.0): INE code, province, population, IGN's name and surface.
Writes bridge/places/data/catalunya.csv in the Catalan table's columns (a subset), which
`digicanvis places load` also reads. Values are copied, never changed; the script checks that
both tables agree on every municipality's code, name and position.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bridge" / "places" / "data" / "catalunya.csv"
COLUMNS = ("codi_ine", "nom", "nom_ign", "nom_comarca", "provincia", "poblacio",
           "superficie_ha_ign", "latitud", "longitud")  # fmt: skip


def main(data: Path) -> None:
    with open(data / "cat_municipis_geo_gencat_20260221.csv", encoding="utf-8") as handle:
        geo = {row["Codi"].zfill(6): row for row in csv.DictReader(handle)}
    with open(data / "cat_municipis_947.csv", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 947, len(table)
    for row in table:
        source = geo[row["codi_idescat"]]
        assert source["Nom"] == row["nom"], (source["Nom"], row["nom"])
        assert float(source["Latitud"]) == float(row["latitud"]), row["codi_idescat"]
        assert float(source["Longitud"]) == float(row["longitud"]), row["codi_idescat"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in sorted(table, key=lambda r: r["codi_ine"]):
            writer.writerow([row[c] for c in COLUMNS])
    print(f"wrote {len(table)} municipalities to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
