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
