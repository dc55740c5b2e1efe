"""Which ISO 3166-2 regions lie inside which: enough to tell that a council in the province of
Barcelona (ES-B) is Km0 when the home region is Catalonia (ES-CT).

The mapping is the public ISO 3166-2:ES hierarchy (province -> autonomous community), as published
by Debian's iso-codes and distributed by pycountry 26.2.16 (`parent_code` column of
../shared/data/eu_iso3166_2_subdivisions_pycountry.csv). It is small and stable, so it is written
out here rather than adding a dependency; other countries' regions compare by equality only.
"""

from __future__ import annotations

import re

# An ISO 3166-2 subdivision code as records and the home region setting give it (e.g. ES-CT).
REGION_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
# C0 control characters (and DEL) other than tab, line feed and carriage return: never stored
# (validation refuses them) and never rendered (the renderer drops them).
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_SPANISH_PROVINCES: dict[str, tuple[str, ...]] = {
    "ES-AN": ("ES-AL", "ES-CA", "ES-CO", "ES-GR", "ES-H", "ES-J", "ES-MA", "ES-SE"),
    "ES-AR": ("ES-HU", "ES-TE", "ES-Z"),
    "ES-AS": ("ES-O",),
    "ES-CB": ("ES-S",),
    "ES-CL": ("ES-AV", "ES-BU", "ES-LE", "ES-P", "ES-SA", "ES-SG", "ES-SO", "ES-VA", "ES-ZA"),
    "ES-CM": ("ES-AB", "ES-CR", "ES-CU", "ES-GU", "ES-TO"),
    "ES-CN": ("ES-GC", "ES-TF"),
    "ES-CT": ("ES-B", "ES-GI", "ES-L", "ES-T"),
    "ES-EX": ("ES-BA", "ES-CC"),
    "ES-GA": ("ES-C", "ES-LU", "ES-OR", "ES-PO"),
    "ES-IB": ("ES-PM",),
    "ES-MC": ("ES-MU",),
    "ES-MD": ("ES-M",),
    "ES-NC": ("ES-NA",),
    "ES-PV": ("ES-BI", "ES-SS", "ES-VI"),
    "ES-RI": ("ES-LO",),
    "ES-VC": ("ES-A", "ES-CS", "ES-V"),
}

PARENT: dict[str, str] = {
    child: parent for parent, children in _SPANISH_PROVINCES.items() for child in children
}


def within(region: str | None, home: str) -> bool:
    """True when `region` is `home` or lies inside it (a province of the home community)."""
    if not region:
        return False
    region, home = region.upper(), home.upper()
    while region:
        if region == home:
            return True
        region = PARENT.get(region, "")
    return False


# Spain's municipality codes (INE, five digits) begin with their province's two-digit code. The
# province codes are INE's "Relación de provincias con sus códigos" (Real Decreto 1690/1986,
# anexo; https://www.ine.es/daco/daco42/codmun/cod_provincia.htm); their ISO 3166-2:ES codes are
# those of the subdivision table above (pycountry / iso-codes). A municipality the gazetteer
# places is thus in a known region without the record saying so (issue 27: once-only).
_INE_PROVINCE_REGION: dict[str, str] = {
    "01": "ES-VI", "02": "ES-AB", "03": "ES-A", "04": "ES-AL", "05": "ES-AV", "06": "ES-BA",
    "07": "ES-PM", "08": "ES-B", "09": "ES-BU", "10": "ES-CC", "11": "ES-CA", "12": "ES-CS",
    "13": "ES-CR", "14": "ES-CO", "15": "ES-C", "16": "ES-CU", "17": "ES-GI", "18": "ES-GR",
    "19": "ES-GU", "20": "ES-SS", "21": "ES-H", "22": "ES-HU", "23": "ES-J", "24": "ES-LE",
    "25": "ES-L", "26": "ES-LO", "27": "ES-LU", "28": "ES-M", "29": "ES-MA", "30": "ES-MU",
    "31": "ES-NA", "32": "ES-OR", "33": "ES-O", "34": "ES-P", "35": "ES-GC", "36": "ES-PO",
    "37": "ES-SA", "38": "ES-TF", "39": "ES-S", "40": "ES-SG", "41": "ES-SE", "42": "ES-SO",
    "43": "ES-T", "44": "ES-TE", "45": "ES-TO", "46": "ES-V", "47": "ES-VA", "48": "ES-BI",
    "49": "ES-ZA", "50": "ES-Z", "51": "ES-CE", "52": "ES-ML",
}  # fmt: skip


def place_region(country: str | None, place_code: str | None) -> str | None:
    """The ISO 3166-2 region of a place of the gazetteer, where its code tells it: a Spanish
    municipality's province. None elsewhere (a LAU code carries no ISO 3166-2 region)."""
    if country != "ES" or not place_code or len(place_code) != 5 or not place_code.isdigit():
        return None
    return _INE_PROVINCE_REGION.get(place_code[:2])


def same_region(a: str, b: str) -> bool:
    """True when one region lies inside the other (ES-B and ES-CT agree; ES-B and ES-M do not)."""
    return within(a, b) or within(b, a)
